/**
 * Batch sources for `fit` over any {@link ExampleReader} (files or generation): the seeded
 * training order of a split, its examples stacked and turned into tensors.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { deriveSeed, random } from "../core/random.ts";
import { sampleTarget, type Target } from "../data/targets.ts";
import type { Split } from "../data/dataset.ts";
import { trainingOrder } from "../data/order.ts";
import { type ExampleReader } from "../data/reader.ts";
import { toBatch } from "../tensor/frames.ts";
import type { BatchSource } from "./fit.ts";

/** The per-sequence byte arrays of a stacked batch of the reader's examples. */
const sequencesOf = (reader: ExampleReader, pixels: Uint8Array): Uint8Array[] => {
  const per = reader.spec.frames * reader.spec.render.size ** 2 * 3;
  return Array.from(
    { length: pixels.length / per },
    (_, i) => pixels.subarray(i * per, (i + 1) * per),
  );
};

/** Settings of {@link frameBatches}. */
export interface FrameBatchOptions {
  /** seed of the training order (each epoch its own shuffle) */
  readonly seed: number;
  readonly batchSize: number;
  /** frames kept from the start of each sequence */
  readonly frames: number;
  /** the split to train on (default `"train"`) */
  readonly split?: Split;
}

/**
 * Batches `[batchSize, frames, size, size, 3]` in [0, 1] for update `k` of a run: the `k`-th
 * batch of the seeded {@link trainingOrder} over the reader's shards. Files and generation give
 * the same batches for the same seed; each batch is disposed after its update.
 *
 * @example
 * ```ts
 * import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
 * import { frameBatches } from "@hamiltonian/hgn/train";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const reader = generatedReader(generator(datasetSpec({ system: "pendulum", steps: 4, size: 32 })), { train: 10, test: 0 });
 * const source = frameBatches(reader, { seed: 0, batchSize: 4, frames: 3 });
 * const batch = await source.batchAt(7);
 * deepStrictEqual(batch.shape, [4, 3, 32, 32, 3]);
 * source.release!(batch);
 * ```
 */
export const frameBatches = (
  reader: ExampleReader,
  options: FrameBatchOptions,
): BatchSource<tf.Tensor5D> => {
  const split = options.split ?? "train";
  const order = trainingOrder(reader.shardSizes(split), split, options.seed, options.batchSize);
  return {
    batchAt: async (step) => {
      const b = await reader.batch(split, order(step));
      return toBatch(sequencesOf(reader, b.pixels), options.frames, reader.spec.render.size);
    },
    release: (t) => t.dispose(),
  };
};

/**
 * The bytes of sequence `i` of a split (for `evaluate` and rollouts).
 *
 * @example
 * ```ts
 * import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
 * import { sequenceBytes } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * const reader = generatedReader(generator(datasetSpec({ system: "pendulum", steps: 4, size: 8 })), { train: 0, test: 2 });
 * strictEqual((await sequenceBytes(reader, "test")(1)).length, 5 * 8 * 8 * 3);
 * ```
 */
export const sequenceBytes = (
  reader: ExampleReader,
  split: Split,
): (index: number) => Promise<Uint8Array> =>
async (index) => (await reader.batch(split, [index])).pixels;

/**
 * Batches `[batchSize, dim]` of fresh draws from a density target for update `k` of a run:
 * `sampleTarget(target, batchSize, deriveSeed(seed, 0x7a9, k))`, as float32 tensors (a pure
 * function of `k`, so a resumed run sees the batches it would have seen).
 *
 * @example
 * ```ts
 * import { targets } from "@hamiltonian/hgn/data";
 * import { targetBatches } from "@hamiltonian/hgn/train";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const source = targetBatches(targets.moons, { seed: 0, batchSize: 8 });
 * deepStrictEqual((await source.batchAt(3)).shape, [8, 2]);
 * ```
 */
export const targetBatches = (
  target: Target,
  options: { readonly seed: number; readonly batchSize: number },
): BatchSource<tf.Tensor2D> => ({
  batchAt: (step) => targetTensor(target, options.batchSize, deriveSeed(options.seed, 0x7a9, step)),
  release: (t) => t.dispose(),
});

/**
 * `count` seeded draws of a target as a float32 tensor `[count, dim]`.
 *
 * @example
 * ```ts
 * import { targets } from "@hamiltonian/hgn/data";
 * import { targetTensor } from "@hamiltonian/hgn/train";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(targetTensor(targets.mixture6d, 4, 1).shape, [4, 6]);
 * ```
 */
export const targetTensor = (target: Target, count: number, seed: number): tf.Tensor2D =>
  tf.tensor2d(Float32Array.from(sampleTarget(target, count, seed)), [count, target.dim]);

/** Settings of the window sources ({@link frameWindows}, {@link stateRates}). */
export interface WindowOptions {
  /** seed of the training order and of the offsets */
  readonly seed: number;
  /** sequences per update, one window from each */
  readonly batchSize: number;
  /** the split to train on (default `"train"`) */
  readonly split?: Split;
}

/**
 * For update `step`: the `step`-th batch of sequences of the seeded {@link trainingOrder} and in
 * each a window of `width` consecutive frames at a seeded uniform offset (a pure function of
 * `step`, so a resumed run sees the windows it would have seen).
 */
const windowsAt = (reader: ExampleReader, options: WindowOptions, width: number) => {
  const split = options.split ?? "train";
  const frames = reader.spec.frames;
  if (!Number.isInteger(width) || width < 1 || width > frames) {
    throw new RangeError(`a window of ${width} frames does not fit sequences of ${frames}`);
  }
  const order = trainingOrder(reader.shardSizes(split), split, options.seed, options.batchSize);
  return async (step: number) => {
    const batch = await reader.batch(split, order(step));
    const rng = random(deriveSeed(options.seed, 0x3d0f, step));
    const offsets = Array.from({ length: batch.size }, () => rng.int(frames - width + 1));
    return { batch, offsets };
  };
};

/**
 * Batches `[batchSize, width, size, size, 3]` in [0, 1] for update `k`: one window of `width`
 * consecutive frames from each sequence of the `k`-th batch of the seeded training order, at a
 * seeded offset (the pixel baselines learn from pairs and triples of frames).
 *
 * @example
 * ```ts
 * import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
 * import { frameWindows } from "@hamiltonian/hgn/train";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const reader = generatedReader(generator(datasetSpec({ system: "pendulum", steps: 4, size: 8 })), { train: 6, test: 0 });
 * const source = frameWindows(reader, { seed: 0, batchSize: 3 }, 3);
 * deepStrictEqual((await source.batchAt(5)).shape, [3, 3, 8, 8, 3]);
 * ```
 */
export const frameWindows = (
  reader: ExampleReader,
  options: WindowOptions,
  width: number,
): BatchSource<tf.Tensor5D> => {
  const at = windowsAt(reader, options, width);
  const frame = reader.spec.render.size ** 2 * 3;
  const seq = reader.spec.frames * frame;
  return {
    batchAt: async (step) => {
      const { batch, offsets } = await at(step);
      return toBatch(
        offsets.map((o, b) => batch.pixels.subarray(b * seq + o * frame, (b + 1) * seq)),
        width,
        reader.spec.render.size,
      );
    },
    release: (t) => t.dispose(),
  };
};

/**
 * Batches of states and their time derivatives for update `k` (the HNN's eq. 1): from each
 * sequence of the `k`-th batch of the seeded training order, one pair of consecutive states
 * `s_t, s_{t+1}` at a seeded offset, given as the midpoint `(s_t + s_{t+1}) / 2` with the
 * central difference `(s_{t+1} - s_t) / dt` (second-order accurate there). `observed: true`
 * takes the rendered (noisy) states, otherwise the exact ones. Each `[batchSize, 2 dim]`.
 *
 * @example
 * ```ts
 * import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
 * import { stateRates } from "@hamiltonian/hgn/train";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const reader = generatedReader(generator(datasetSpec({ system: "two-body", steps: 4, size: 8 })), { train: 6, test: 0 });
 * const b = await stateRates(reader, { seed: 0, batchSize: 3 }).batchAt(2);
 * deepStrictEqual([b.states.shape, b.rates.shape], [[3, 8], [3, 8]]);
 * ```
 */
export const stateRates = (
  reader: ExampleReader,
  options: WindowOptions & { readonly observed?: boolean },
): BatchSource<{ readonly states: tf.Tensor2D; readonly rates: tf.Tensor2D }> => {
  const at = windowsAt(reader, options, 2);
  const k = 2 * reader.spec.dim;
  const dt = reader.spec.dt;
  return {
    batchAt: async (step) => {
      const { batch, offsets } = await at(step);
      const all = options.observed ? batch.observed : batch.states;
      const states = new Float32Array(batch.size * k);
      const rates = new Float32Array(batch.size * k);
      offsets.forEach((o, b) => {
        const base = (b * reader.spec.frames + o) * k;
        for (let i = 0; i < k; i++) {
          const [a, c] = [all[base + i], all[base + k + i]];
          states[b * k + i] = (a + c) / 2;
          rates[b * k + i] = (c - a) / dt;
        }
      });
      return {
        states: tf.tensor2d(states, [batch.size, k]),
        rates: tf.tensor2d(rates, [batch.size, k]),
      };
    },
    release: (b) => tf.dispose([b.states, b.rates]),
  };
};
