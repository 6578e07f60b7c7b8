import { claimRunDir, openMetrics, readMetrics, writeRunConfig } from "@hamiltonian/hgn/io";
import { deepStrictEqual, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";

Deno.test("run dir: runs started at the same moment never share a directory", async () => {
  const base = await Deno.makeTempDir();
  const dirs = await Promise.all(
    Array.from({ length: 6 }, () => claimRunDir({ base, name: "mass-spring-now" })),
  );
  strictEqual(new Set(dirs).size, 6);
  await Deno.remove(base, { recursive: true });
});

Deno.test("run dir: --out must be empty or new, never a run or a dataset; an empty path is refused", async () => {
  const base = await Deno.makeTempDir();
  const dir = join(base, "a");
  strictEqual(await claimRunDir({ dir }), dir);
  await rejects(() => claimRunDir({ dir }), /already holds a run/);
  const data = join(base, "data");
  await Deno.mkdir(data);
  await Deno.writeTextFile(join(data, "manifest.json"), "{}");
  await rejects(() => claimRunDir({ dir: data }), /holds a dataset/);
  const other = join(base, "other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "notes.txt"), "x");
  await rejects(() => claimRunDir({ dir: other }), /is not empty/);
  await rejects(() => claimRunDir({ dir: "" }), /empty path/);
  // concurrent claims of one --out: exactly one wins
  const same = join(base, "same");
  const results = await Promise.allSettled([
    claimRunDir({ dir: same }),
    claimRunDir({ dir: same }),
  ]);
  strictEqual(results.filter((r) => r.status === "fulfilled").length, 1);
  await Deno.remove(base, { recursive: true });
});

Deno.test("metrics: a resume truncates to the checkpoint's step (no duplicates after kill -9), a torn last line is dropped", async () => {
  const dir = await Deno.makeTempDir();
  await writeRunConfig(dir, { version: 2 });
  const log = await openMetrics(dir);
  for (const step of [10, 20, 30]) await log.append({ step, loss: step / 10 });
  log.close();
  // a kill -9 mid-write leaves a torn line
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), '{"step":40,"lo', { append: true });
  deepStrictEqual((await readMetrics(dir)).map((m) => m.step), [10, 20, 30]);
  // resume from the checkpoint at step 20: lines 30 and 40 are redone
  const resumed = await openMetrics(dir, 20);
  for (const step of [30, 40]) await resumed.append({ step, loss: 0 });
  resumed.close();
  deepStrictEqual((await readMetrics(dir)).map((m) => m.step), [10, 20, 30, 40]);
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), 'garbage\n{"step":1}\n');
  await rejects(() => readMetrics(dir), /line 1 is not valid JSON/);
  await Deno.remove(dir, { recursive: true });
});
