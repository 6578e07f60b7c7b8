/**
 * Where the time of one update of the default run goes (`deno task train`: the small preset with
 * its whole objective, curriculum, frames scored per update and latent consistency), per tfjs
 * kernel, on one backend in the main thread: the update at `--at` (default 1000, in the 30-step
 * phase; 100 is in the 10-step one) on the batch one of the run's gradient workers computes
 * (`--batch`, default 4: the default's 8 over its 2 workers). Random frames: the kernels' time does
 * not depend on the pixels. Medians of `--reps`; the profiled update is one more.
 *
 *   flock /tmp/heavy.lock deno run -A bench/profile_default.ts [--backend wasm] [--at 1000] \
 *     [--batch 4] [--reps 11] [--top 20]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { rolloutStepsAt } from "@hamiltonian/hgn/models/hgn";
import { hgnRunSettings, runConfig, runModel, runOptions } from "@hamiltonian/hgn/runs";
import { disposeState, initState, trainStep } from "@hamiltonian/hgn/train";
import { type BackendRequest, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { kernelBreakdown, kernelTable, median } from "./hgn_step_bench.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "wasm" },
    at: { type: "string", default: "1000" },
    batch: { type: "string", default: "4" },
    reps: { type: "string", default: "11" },
    top: { type: "string", default: "20" },
  },
});
const [at, batch, reps] = [Number(a.at), Number(a.batch), Number(a.reps)];
const choice = await useBackend(a.backend as BackendRequest);
const settings = hgnRunSettings({});
const config = runConfig(settings);
const model = config.model;
const state = initState(runModel(settings), config, runOptions(settings));
const frames = tf.randomUniform(
  [batch, Math.max(model.rolloutSteps + 1, model.inputFrames), model.size, model.size, 3],
  0,
  1,
  "float32",
  1,
) as tf.Tensor5D;

/** One update at `at` (trainStep counts it; the count is set back so every update is the same). */
const update = async (): Promise<void> => {
  state.step = at;
  await trainStep(state, frames);
};

await update(); // compiles the kernels, allocates
const ms: number[] = [];
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  await update();
  ms.push(performance.now() - t0);
}
const ms50 = median(ms);

const profile = await tf.profile(update);
const kernels = kernelBreakdown(profile);
const kernelTotal = kernels.total;
const pct = (x: number, of: number) => `${(100 * x / of).toFixed(1)}%`;

console.log(
  `${choice.report}; the default run's update ${at} (${
    rolloutStepsAt(config, at)
  }-step rollout), batch ${batch}: ${ms50.toFixed(0)} ms (median of ${reps}; ${
    (1000 / ms50).toFixed(2)
  } updates/s for this batch alone)`,
);
console.log(
  `kernel time ${kernelTotal.toFixed(0)} ms in ${profile.kernels.length} kernel calls; the rest, ${
    (ms50 - kernelTotal).toFixed(0)
  } ms (${
    pct(ms50 - kernelTotal, ms50)
  }), estimates the JavaScript between kernels (taping, tidy, dispatch)`,
);
console.log(`\n${kernelTable(kernels, Number(a.top))}`);
disposeState(state);
frames.dispose();
