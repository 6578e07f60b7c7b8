// The epoch plan: coverage, determinism, bounded live shards.
import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { epochPlan, type OrderOptions } from "@hamiltonian/hgn/data";

const flat = (sizes: number[], o: OrderOptions) =>
  [...epochPlan(sizes, "train", 3, o)].flatMap((s) => s.batches.map((b) => [...b]));

Deno.test("order: every example exactly once, in batches, whatever the window", () => {
  const sizes = [5, 5, 5, 2];
  for (const bufferShards of [1, 2, 3, 10]) {
    for (const batchSize of [1, 4, 7, 100]) {
      const batches = flat(sizes, { batchSize, bufferShards, seed: 9 });
      deepStrictEqual(
        batches.flat().sort((a, b) => a - b),
        Array.from({ length: 17 }, (_, i) => i),
      );
      batches.slice(0, -1).forEach((b) => strictEqual(b.length, batchSize));
      const dropped = flat(sizes, { batchSize, bufferShards, seed: 9, dropLast: true });
      ok(dropped.every((b) => b.length === batchSize));
      strictEqual(dropped.flat().length, Math.floor(17 / batchSize) * batchSize);
    }
  }
});

Deno.test("order: seeded by (seed, epoch); unshuffled is index order", () => {
  const sizes = [4, 4, 4];
  const a = flat(sizes, { batchSize: 3, seed: 1 });
  deepStrictEqual(flat(sizes, { batchSize: 3, seed: 1 }), a);
  notDeepStrictEqual(flat(sizes, { batchSize: 3, seed: 1, epoch: 1 }), a);
  notDeepStrictEqual(flat(sizes, { batchSize: 3, seed: 2 }), a);
  deepStrictEqual(flat(sizes, { batchSize: 12, shuffle: false }), [
    Array.from({ length: 12 }, (_, i) => i),
  ]);
  throws(() => flat(sizes, { batchSize: 0 }), /batch size must be a positive integer/);
});

Deno.test("order: a shard is released once all its examples are out; live shards stay bounded", () => {
  const sizes = [3, 3, 3, 3, 3, 3];
  const live = new Set<number>();
  let most = 0;
  const emitted = new Set<number>();
  for (const step of epochPlan(sizes, "train", 0, { batchSize: 4, bufferShards: 2, seed: 5 })) {
    step.load.forEach((k) => live.add(k));
    most = Math.max(most, live.size);
    step.batches.flat().forEach((i) => emitted.add(i));
    for (const k of step.done) {
      for (let j = 0; j < 3; j++) ok(emitted.has(3 * k + j), `shard ${k} released early`);
      live.delete(k);
    }
  }
  strictEqual(live.size, 0);
  ok(most <= 4, `${most} shards live at once`);
});
