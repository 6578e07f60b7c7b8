/**
 * Readers of examples by split and index, shard by shard: the interface the file loader
 * (`lib/io`) and on-the-fly generation both implement.
 *
 * @module
 */
import type { DatasetSpec, Generator as ExampleGenerator, Split } from "./dataset.ts";
import { defaultShardSize, shardSizes } from "./format.ts";
import { type Batch, stackExamples } from "./batches.ts";

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
