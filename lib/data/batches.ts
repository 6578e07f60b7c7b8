/**
 * Batches of examples: arrays stacked along a leading batch axis, and the batches of a generated
 * split in the epoch order of `order.ts`.
 *
 * @module
 */
import type { DatasetSpec, Example, Generator as ExampleGenerator, Split } from "./dataset.ts";
import { epochPlan, type OrderOptions } from "./order.ts";
import { shardSizes } from "./format.ts";

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
