/**
 * Train an HGN on the pendulum from a script, without the CLI: the library's model record, data
 * generated from a seed, the one `fit` loop, and an evaluation against the static predictor.
 *
 *   deno run --allow-read examples/train_pendulum.ts [updates]
 *
 * @module
 */
import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
import { evaluate, hgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
import { useBackend } from "@hamiltonian/hgn/tensor";
import { fit, frameBatches, initState, sequenceBytes } from "@hamiltonian/hgn/train";

const updates = Number(Deno.args[0] ?? 200);
console.log((await useBackend("auto")).report);

// 31-frame pendulum sequences from seed 0 (the bytes `cli.ts generate` would write)
const data = generatedReader(generator(datasetSpec({ system: "pendulum", seed: 0 })), {
  train: 5000,
  test: 32,
});
const model = { ...SMALL_HGN, rolloutSteps: 6 };
const state = initState(hgn, { model, framesPerUpdate: 4 }, { learningRate: 2e-3, seed: 0 });

await fit(state, frameBatches(data, { seed: 0, batchSize: 8, frames: 7 }), {
  steps: updates,
  onStep: (m) => {
    if (m.step % 20 === 0) console.log(`step ${m.step} mse ${m.mse.toExponential(3)}`);
  },
});

const test = await evaluate(model, state.params, sequenceBytes(data, "test"), 32, {
  steps: 6,
  batchSize: 16,
});
console.log(
  `test MSE x1e4 ${(test.mse * 1e4).toFixed(2)}, static predictor ${
    (test.staticMse * 1e4).toFixed(2)
  }: ${test.improvementOverStatic.toFixed(2)}x better`,
);
