// Batches: examples stacked along a leading axis, in the epoch order of a generated split.
import { deepStrictEqual } from "node:assert/strict";
import { datasetSpec, generatedBatches, generator, stackExamples } from "@hamiltonian/hgn/data";

Deno.test("batches: on-the-fly batches stack the generator's examples", () => {
  const gen = generator(datasetSpec({ system: "pendulum", steps: 2, size: 8 }));
  const got = [...generatedBatches(gen, "test", 5, 2, { batchSize: 2, seed: 4 })];
  deepStrictEqual(got.map((b) => b.size), [2, 2, 1]);
  const b = got[0];
  const per = 3 * 8 * 8 * 3;
  b.indices.forEach((i, k) =>
    deepStrictEqual(b.pixels.slice(k * per, (k + 1) * per), gen.example("test", i).pixels)
  );
});

Deno.test("batches: stackExamples lays examples end to end, states and pixels alike", () => {
  const spec = datasetSpec({ system: "two-body", steps: 3, size: 8 });
  const gen = generator(spec);
  const examples = [gen.example("train", 4), gen.example("train", 1)];
  const b = stackExamples(spec, examples);
  deepStrictEqual([...b.indices], [4, 1]);
  deepStrictEqual(b.size, 2);
  const per = b.pixels.length / 2;
  deepStrictEqual(b.pixels.slice(0, per), examples[0].pixels);
  deepStrictEqual(b.pixels.slice(per), examples[1].pixels);
  const perState = b.states.length / 2;
  deepStrictEqual(b.states.slice(perState), examples[1].states);
});
