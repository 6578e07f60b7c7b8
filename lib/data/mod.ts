/**
 * The paper's datasets: float64 ground truth with a measured error bound, rendering to RGB
 * frames, the seeded example generator and the binary dataset format. Pure: no `Deno.*` (files
 * live in `@hamiltonian/hgn/io`).
 *
 * ```ts
 * import { datasetSpec, generator } from "@hamiltonian/hgn/data";
 * import { ok } from "node:assert/strict";
 * const ex = generator(datasetSpec({ system: "mass-spring" })).example("train", 0);
 * ok(ex.exactError < 1e-9);
 * ```
 * @module
 */
export * from "./fast_path.ts";
export * from "./ground_truth.ts";
export * from "./render.ts";
export * from "./dataset.ts";
export * from "./format.ts";
export * from "./order.ts";
export * from "./batches.ts";
export * from "./reader.ts";
export * from "./targets.ts";
export * from "./kde.ts";
