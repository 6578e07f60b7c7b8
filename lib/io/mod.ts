/**
 * Files: atomic writes, dataset directories (streamed writing, checked reading, a seeded
 * shuffling batch loader) and pictures (PNG grids, animated GIFs). The only library folder that
 * touches `Deno.*`.
 *
 * ```ts
 * import { datasetSpec } from "@hamiltonian/hgn/data";
 * import { openDataset, readShard, writeDataset } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * await writeDataset({ out, spec: datasetSpec({ system: "mass-spring", steps: 2, size: 8 }), train: 2, test: 1 });
 * strictEqual((await readShard(await openDataset(out), "test", 0)).count, 1);
 * await Deno.remove(out, { recursive: true });
 * ```
 * @module
 */
export * from "./atomic.ts";
export * from "./dataset.ts";
export * from "./image.ts";
export * from "./checkpoint.ts";
export * from "./run.ts";
export * from "./report.ts";
