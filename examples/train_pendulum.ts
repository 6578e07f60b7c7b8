/**
 * Train an HGN on the pendulum from a script, without the CLI: a run folder with checkpoints,
 * metrics, resume and the report, through `@hamiltonian/hgn/runs`. Run it again with more
 * updates and it resumes where it stopped.
 *
 *   deno run --allow-read --allow-write=runs examples/train_pendulum.ts [updates] [dir]
 *
 * @module
 */
import { claimRunDir } from "@hamiltonian/hgn/io";
import {
  finishRun,
  hgnRunSettings,
  openReader,
  readSettings,
  trainHgn,
} from "@hamiltonian/hgn/runs";
import { useBackend } from "@hamiltonian/hgn/tensor";
import { disposeState } from "@hamiltonian/hgn/train";

const updates = Number(Deno.args[0] ?? 200);
const dir = Deno.args[1] ?? "runs/pendulum-script";

// a run folder with a config resumes (to the new update count); otherwise a new run
const resumed = await Deno.stat(`${dir}/config.json`).then(() => true, () => false);
const saved = resumed ? await readSettings(dir) : undefined;
const settings = saved ? { ...saved, run: { ...saved.run, steps: updates } } : hgnRunSettings({
  system: "pendulum",
  steps: updates,
  train: { trainSize: 5000 },
  run: { testSize: 32, checkpointEvery: 100 },
});
const reader = await openReader(settings);
const { report } = await useBackend(settings.run.backend);
if (!resumed) await claimRunDir({ dir });

const { state } = await trainHgn({
  dir,
  settings,
  reader,
  resumed,
  onMessage: console.log,
  onProgress: (p) => {
    if (p.logged) console.log(`step ${p.step}/${p.steps} mse ${p.metrics.mse.toExponential(3)}`);
  },
});
const done = await finishRun(
  settings,
  dir,
  state,
  reader,
  report,
  settings.run.backend,
  (line) => console.log(line),
);
disposeState(state);
console.log(
  `${state.step} updates: test MSE x1e4 ${(done.eval.test.mse * 1e4).toFixed(2)}, ${
    done.eval.test.improvementOverStatic.toFixed(2)
  }x better than the static predictor; report ${dir}/${done.report}`,
);
