// The same seed gives the same training batches from dataset files and from generation.
import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
import { datasetReader, openDataset, writeDataset } from "@hamiltonian/hgn/io";
import { frameBatches } from "@hamiltonian/hgn/train";
import { useBackend } from "@hamiltonian/hgn/tensor";
import { deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";

await useBackend("cpu");

Deno.test("sources: files and generation give the same batches for the same seed, across epochs", async () => {
  const spec = datasetSpec({
    system: "two-body",
    seed: 5,
    steps: 3,
    size: 32,
    noiseMode: "observation",
  });
  const out = await Deno.makeTempDir();
  try {
    await writeDataset({ out, spec, train: 10, test: 0, shardSize: 3 });
    const files = frameBatches(datasetReader(await openDataset(out), 2), {
      seed: 7,
      batchSize: 4,
      frames: 3,
    });
    const generated = frameBatches(generatedReader(generator(spec), { train: 10, test: 0 }, 3), {
      seed: 7,
      batchSize: 4,
      frames: 3,
    });
    // 2 full batches per epoch: steps 0..5 span three epochs, each its own shuffle
    for (let step = 0; step < 6; step++) {
      const [a, b] = [await files.batchAt(step), await generated.batchAt(step)];
      deepStrictEqual(await a.data(), await b.data(), `step ${step}`);
      files.release!(a);
      generated.release!(b);
    }
    const other = frameBatches(generatedReader(generator(spec), { train: 10, test: 0 }, 3), {
      seed: 8,
      batchSize: 4,
      frames: 3,
    });
    const [a, b] = [await generated.batchAt(0), await other.batchAt(0)];
    notDeepStrictEqual(await a.data(), await b.data());
    a.dispose();
    b.dispose();
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
