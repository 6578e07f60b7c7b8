// Readers: a generated split laid out in shards as `cli.ts generate` writes them, read by index.
import { deepStrictEqual, throws } from "node:assert/strict";
import {
  datasetSpec,
  defaultShardSize,
  generatedReader,
  generator,
  shardSizes,
} from "@hamiltonian/hgn/data";

Deno.test("reader: shard sizes as generate cuts them; a batch is the stacked examples", async () => {
  const spec = datasetSpec({ system: "mass-spring", steps: 2, size: 8 });
  const gen = generator(spec);
  const reader = generatedReader(gen, { train: 7, test: 3 }, 3);
  deepStrictEqual(reader.shardSizes("train"), [3, 3, 1]);
  deepStrictEqual(reader.shardSizes("test"), shardSizes(3, 3));
  const b = await reader.batch("test", [2, 0]);
  deepStrictEqual([...b.indices], [2, 0]);
  const per = b.pixels.length / 2;
  deepStrictEqual(b.pixels.slice(0, per), gen.example("test", 2).pixels);
  deepStrictEqual(b.pixels.slice(per), gen.example("test", 0).pixels);
  // the default shard size is generate's
  const byDefault = generatedReader(gen, { train: 7, test: 0 });
  deepStrictEqual(byDefault.shardSizes("train"), shardSizes(7, defaultShardSize(spec.frames, 8)));
});

Deno.test("reader: an index outside the split is a RangeError naming it", () => {
  const reader = generatedReader(
    generator(datasetSpec({ system: "pendulum", steps: 2, size: 8 })),
    {
      train: 2,
      test: 0,
    },
  );
  throws(() => reader.batch("train", [2]), /train has 2 examples; no example 2/);
  throws(() => reader.batch("test", [0]), RangeError);
  throws(() => reader.batch("train", [0.5]), RangeError);
});
