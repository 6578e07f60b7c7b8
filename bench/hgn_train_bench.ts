/**
 * The real HGN training step (`trainStep` of `lib/train/state.ts` on the `hgn` model record under GECO,
 * Adam) per tfjs backend, at the paper's size (batch 16, 32 px, widths of appendix A.1) for 10 and
 * 30 rollout steps, next to the PyTorch CPU baseline of `bench/hgn_step_torch.py` in the same run.
 *
 *   bench/setup_torch.sh   # once, Debian's python3-torch; never in CI
 *   flock /tmp/heavy.lock deno run -A bench/hgn_train_bench.ts [--backends wasm] [--steps 10,30] \
 *     [--threads 1,2] [--reps 3] [--no-torch]
 *
 * `--threads`: tfjs with that many gradient workers (`gradientPool`; 1: the main thread alone)
 * beside PyTorch with as many threads; the table also gives each count's speedup over 1.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { hgn, PAPER_HGN } from "@hamiltonian/hgn/models/hgn";
import {
  constrained,
  disposeState,
  gradientPool,
  initState,
  trainStep,
} from "@hamiltonian/hgn/train";
import { type BackendRequest, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { median, timeTorch } from "./hgn_step_bench.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    backends: { type: "string", default: "wasm" },
    steps: { type: "string", default: "10,30" },
    threads: { type: "string", default: "1" },
    reps: { type: "string", default: "3" },
    "no-torch": { type: "boolean", default: false },
  },
});
const reps = Number(a.reps);
const rows: string[] = [
  "| backend | rollout steps | threads | tfjs ms/step (median) | speedup over 1 thread | torch ms/step (median) | tfjs / torch |",
  "|---|---|---|---|---|---|---|",
];
for (const backend of a.backends.split(",") as BackendRequest[]) {
  const choice = await useBackend(backend);
  console.error(choice.report);
  for (const steps of a.steps.split(",").map(Number)) {
    const model = { ...PAPER_HGN, rolloutSteps: steps, inputFrames: steps + 1 };
    const config = { model, geco: { tolerance: 1e-3, init: 1, learningRate: 1.5e-4 } };
    let single = NaN;
    for (const threads of a.threads.split(",").map(Number)) {
      const state = initState(constrained(hgn), config, { learningRate: 1.5e-4, seed: 0 });
      const pool = threads > 1
        ? await gradientPool(
          {
            module: import.meta.resolve("@hamiltonian/hgn/models/hgn"),
            name: "hgn",
            constrained: true,
          },
          config,
          threads,
          choice.backend,
        )
        : undefined;
      const batch = tf.randomUniform([16, steps + 1, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor5D;
      await trainStep(state, batch, pool?.gradients); // warm-up: kernels compiled, slots created
      const ms: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        await trainStep(state, batch, pool?.gradients);
        ms.push(performance.now() - t0);
      }
      pool?.close();
      batch.dispose();
      disposeState(state);
      if (threads === 1) single = median(ms);
      const torch = a["no-torch"] ? NaN : timeTorch(64, steps, 16, reps, threads).median;
      rows.push(
        `| ${choice.backend} | ${steps} | ${threads} | ${median(ms).toFixed(0)} | ${
          (single / median(ms)).toFixed(2)
        } | ${torch.toFixed(0)} | ${(median(ms) / torch).toFixed(2)} |`,
      );
      console.error(rows.at(-1));
    }
  }
}
console.log(rows.join("\n"));
