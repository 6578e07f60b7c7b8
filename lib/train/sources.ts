/**
 * Batch sources for `fit` over any {@link ExampleReader} (files or generation): the seeded
 * training order of a split, its examples stacked and turned into tensors.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { deriveSeed } from "../core/random.ts";
import { sampleTarget, type Target } from "../data/targets.ts";
import type { Split } from "../data/dataset.ts";
import { type ExampleReader, trainingOrder } from "../data/order.ts";
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
