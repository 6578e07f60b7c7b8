/**
 * The order in which an epoch visits a split: one pure plan shared by the file loader (`lib/io`)
 * and on-the-fly generation, so both give the same batches for the same seed, and the seekable
 * training order (batch `k` of a run is a pure function of `k`, so a resumed run sees the
 * batches it would have seen).
 *
 * @module
 */
import { deriveSeed, random, shuffle } from "../core/random.ts";
import type { Split } from "./dataset.ts";
import { SPLIT_INDEX } from "./dataset.ts";

/** Settings of an epoch's order. */
export interface OrderOptions {
  /** examples per batch */
  readonly batchSize: number;
  /** shuffle seed (default: the dataset's seed) */
  readonly seed?: number;
  /** epoch number: each epoch has its own order (default 0) */
  readonly epoch?: number;
  /** shuffle (default true); false visits examples in index order */
  readonly shuffle?: boolean;
  /** drop a last batch smaller than `batchSize` (default false) */
  readonly dropLast?: boolean;
  /** shards held at once and shuffled together (default 2) */
  readonly bufferShards?: number;
}

/** One step of an epoch plan: shards to load, then batches (example indices) to emit. */
export interface PlanStep {
  /** shard numbers to load before emitting */
  readonly load: readonly number[];
  /** batches to emit, each a list of example indices of the split */
  readonly batches: readonly (readonly number[])[];
  /** shard numbers whose examples are all emitted after this step (may be released) */
  readonly done: readonly number[];
}

/**
 * The plan of one epoch over shards of the given sizes (consecutive indices from 0). With
 * `shuffle`, a seeded function of `(seed, epoch, split)`: shards in a random order,
 * `bufferShards` at a time, their examples (and any left over from the window before) shuffled
 * together and cut into batches. Laws: every example appears exactly once (unless `dropLast`
 * drops the final short batch); at most `bufferShards` windows' worth of shards are live.
 *
 * @example
 * ```ts
 * import { epochPlan } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * const plan = [...epochPlan([2, 2, 1], "train", 0, { batchSize: 2, shuffle: false })];
 * deepStrictEqual(plan.flatMap((s) => s.batches), [[0, 1], [2, 3], [4]]);
 * ```
 */
export function* epochPlan(
  shardSizes: readonly number[],
  split: Split,
  datasetSeed: number,
  options: OrderOptions,
): Generator<PlanStep> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  }
  const shuffled = options.shuffle ?? true;
  const window = Math.max(1, options.bufferShards ?? 2);
  const rng = random(
    deriveSeed(options.seed ?? datasetSeed, options.epoch ?? 0, SPLIT_INDEX[split]),
  );
  const starts: number[] = [];
  shardSizes.reduce((a, n) => (starts.push(a), a + n), 0);
  const shardOf = (index: number) => {
    let k = 0;
    while (k + 1 < starts.length && starts[k + 1] <= index) k++;
    return k;
  };
  const order = shardSizes.map((_, k) => k);
  if (shuffled) shuffle(rng, order);
  let pool: number[] = [];
  let live = new Set<number>();
  for (let w = 0; w < order.length; w += window) {
    const load = order.slice(w, w + window);
    for (const k of load) {
      for (let j = 0; j < shardSizes[k]; j++) pool.push(starts[k] + j);
      live.add(k);
    }
    if (shuffled) shuffle(rng, pool);
    const batches: number[][] = [];
    let at = 0;
    for (; at + batchSize <= pool.length; at += batchSize) {
      batches.push(pool.slice(at, at + batchSize));
    }
    pool = pool.slice(at);
    const still = new Set(pool.map(shardOf));
    const last = w + window >= order.length;
    if (last && pool.length > 0 && !options.dropLast) {
      batches.push(pool);
      pool = [];
      still.clear();
    }
    yield { load, batches, done: [...live].filter((k) => !still.has(k)) };
    live = still;
  }
}

/**
 * The training order of a split: update `step` (0-based) takes the `step`-th full batch of the
 * endless sequence of epochs, each epoch the seeded {@link epochPlan} of `(seed, epoch)` (the last
 * short batch of an epoch is dropped, so every update sees `batchSize` examples). A pure function
 * of `(shard sizes, seed, batchSize, step)`.
 *
 * @example
 * ```ts
 * import { trainingOrder } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * const at = trainingOrder([4, 4], "train", 9, 2);
 * deepStrictEqual([0, 1, 2, 3].flatMap(at).sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
 * deepStrictEqual(at(5), trainingOrder([4, 4], "train", 9, 2)(5));
 * ```
 */
export const trainingOrder = (
  sizes: readonly number[],
  split: Split,
  seed: number,
  batchSize: number,
): (step: number) => number[] => {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total < batchSize) {
    throw new RangeError(
      `the ${split} split has ${total} examples, fewer than a batch of ${batchSize}`,
    );
  }
  let cached = -1;
  let epochBatches: number[][] = [];
  const perEpoch = Math.floor(total / batchSize);
  return (step) => {
    const epoch = Math.floor(step / perEpoch);
    if (epoch !== cached) {
      epochBatches = [...epochPlan(sizes, split, seed, { batchSize, seed, epoch, dropLast: true })]
        .flatMap((s) => s.batches.map((b) => [...b]));
      cached = epoch;
    }
    return epochBatches[step - epoch * perEpoch];
  };
};
