/**
 * The one epoch/shuffle/batch module: the order in which an epoch visits a split, one pure plan
 * shared by the file loader (`lib/io`) and on-the-fly generation, so both give the same batches
 * for the same seed; and the seekable batch source training reads (batch `k` of a run is a pure
 * function of `k`, so a resumed run sees the batches it would have seen).
 *
 * @module
 */
import { deriveSeed, random, shuffle } from "../core/random.ts";
import type { DatasetSpec, Example, Generator as ExampleGenerator, Split } from "./dataset.ts";
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

/** A batch of examples, arrays stacked along a leading batch axis. */
export interface Batch {
  /** examples in this batch */
  readonly size: number;
  /** example indices within the split */
  readonly indices: Uint32Array;
  /** `size x frames x S x S x 3` RGB bytes */
  readonly pixels: Uint8Array;
  /** `size x frames x 2 dim` exact states */
  readonly states: Float64Array;
  /** `size x frames x 2 dim` rendered (noisy) states */
  readonly observed: Float64Array;
  /** `size x frames` energies of the exact states */
  readonly energies: Float64Array;
}

/**
 * Stacks examples into a {@link Batch}.
 *
 * @example
 * ```ts
 * import { datasetSpec, generator, stackExamples } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * const gen = generator(datasetSpec({ system: "pendulum", steps: 2, size: 8 }));
 * const b = stackExamples(gen.spec, [gen.example("train", 4), gen.example("train", 1)]);
 * strictEqual(b.indices[0], 4);
 * strictEqual(b.pixels.length, 2 * 3 * 8 * 8 * 3);
 * ```
 */
export const stackExamples = (spec: DatasetSpec, examples: readonly Example[]): Batch => {
  const n = examples.length;
  const stateLen = spec.frames * 2 * spec.dim;
  const pixLen = spec.frames * spec.render.size ** 2 * 3;
  const b = {
    size: n,
    indices: new Uint32Array(n),
    pixels: new Uint8Array(n * pixLen),
    states: new Float64Array(n * stateLen),
    observed: new Float64Array(n * stateLen),
    energies: new Float64Array(n * spec.frames),
  };
  examples.forEach((e, k) => {
    b.indices[k] = e.index;
    b.pixels.set(e.pixels, k * pixLen);
    b.states.set(e.states, k * stateLen);
    b.observed.set(e.observed, k * stateLen);
    b.energies.set(e.energies, k * spec.frames);
  });
  return b;
};

/**
 * The default examples per shard: about 64 MiB of frames, rounded down to a multiple of 50.
 *
 * @example
 * ```ts
 * import { defaultShardSize } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(defaultShardSize(31, 32), 700);
 * ```
 */
export const defaultShardSize = (frames: number, size: number): number => {
  const per = frames * size * size * 3;
  const n = Math.floor(2 ** 26 / per);
  return n >= 100 ? n - (n % 50) : Math.max(1, n);
};

/**
 * The sizes of the shards `count` examples fill, `shardSize` at a time.
 *
 * @example
 * ```ts
 * import { shardSizes } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(shardSizes(5, 2), [2, 2, 1]);
 * ```
 */
export const shardSizes = (count: number, shardSize: number): number[] => {
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(shardSize) || shardSize < 1) {
    throw new RangeError(
      `count must be an integer >= 0 and shard size >= 1, got ${count}, ${shardSize}`,
    );
  }
  const sizes: number[] = [];
  for (let first = 0; first < count; first += shardSize) {
    sizes.push(Math.min(shardSize, count - first));
  }
  return sizes;
};

/**
 * Reads examples of a dataset, from files (`datasetReader` in `@hamiltonian/hgn/io`) or
 * generated from the spec ({@link generatedReader}): the same bytes either way.
 */
export interface ExampleReader {
  readonly spec: DatasetSpec;
  /** the sizes of a split's shards (consecutive indices from 0) */
  readonly shardSizes: (split: Split) => readonly number[];
  /** the examples at `indices` of `split`, stacked */
  readonly batch: (split: Split, indices: readonly number[]) => Batch | Promise<Batch>;
}

/**
 * A reader that generates examples on the fly, laid out in shards as `cli.ts generate` would
 * write them (`count` examples per split, `shardSize` each, default {@link defaultShardSize}).
 *
 * @example
 * ```ts
 * import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * const reader = generatedReader(generator(datasetSpec({ system: "pendulum", steps: 2, size: 8 })), { train: 5, test: 1 }, 2);
 * deepStrictEqual(reader.shardSizes("train"), [2, 2, 1]);
 * deepStrictEqual([...(await reader.batch("train", [3, 0])).indices], [3, 0]);
 * ```
 */
export const generatedReader = (
  gen: ExampleGenerator,
  counts: Readonly<Record<Split, number>>,
  shardSize: number = defaultShardSize(gen.spec.frames, gen.spec.render.size),
): ExampleReader => {
  const sizes = {
    train: shardSizes(counts.train, shardSize),
    test: shardSizes(counts.test, shardSize),
  };
  return {
    spec: gen.spec,
    shardSizes: (split) => sizes[split],
    batch: (split, indices) => {
      for (const i of indices) {
        if (!Number.isInteger(i) || i < 0 || i >= counts[split]) {
          throw new RangeError(`${split} has ${counts[split]} examples; no example ${i}`);
        }
      }
      return stackExamples(gen.spec, indices.map((i) => gen.example(split, i)));
    },
  };
};

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

/**
 * Batches generated on the fly, without files: the same batches, in the same order, as the
 * file loader (`batches` in `@hamiltonian/hgn/io`) gives for a dataset written from the same
 * spec with the same `count` and `shardSize`.
 *
 * @example
 * ```ts
 * import { datasetSpec, generatedBatches, generator } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * const gen = generator(datasetSpec({ system: "mass-spring", steps: 2, size: 8 }));
 * const seen = [...generatedBatches(gen, "train", 5, 2, { batchSize: 2 })].flatMap((b) => [...b.indices]);
 * deepStrictEqual(seen.sort(), [0, 1, 2, 3, 4]);
 * ```
 */
export function* generatedBatches(
  gen: ExampleGenerator,
  split: Split,
  count: number,
  shardSize: number,
  options: OrderOptions,
): Generator<Batch> {
  const sizes = shardSizes(count, shardSize);
  for (const step of epochPlan(sizes, split, gen.spec.seed, options)) {
    for (const batch of step.batches) {
      yield stackExamples(gen.spec, batch.map((i) => gen.example(split, i)));
    }
  }
}
