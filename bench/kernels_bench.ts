/**
 * What the faster kernel paths of `lib/tensor/kernels.ts` buy: one training update of each model
 * (NHF and RealNVP on the figure-10 mixture at batch 256, the pixel HNN with the MLP autoencoder
 * at batch 64, the state HNN at batch 256, HGN as the small preset trains it and at the paper's
 * size with 10 rollout steps) on wasm in one thread, with the stock kernels (`BatchMatMul`,
 * `Identity`, `Reverse`, `Slice`, `SplitV`, `Sum`, `Unpack`) and with the replacements, interleaved in one
 * process; medians of `--reps`, and the ratio.
 *
 *   deno run -A bench/kernels_bench.ts [--reps 5] [--no-paper]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { targets } from "@hamiltonian/hgn/data";
import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
import { nhf, NHF_2D } from "@hamiltonian/hgn/models/nhf";
import { realNvp, REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
import { pixelHnn, pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
import { hnn, hnnConfig } from "@hamiltonian/hgn/models/hnn";
import { hgn, HGN_RECIPES, PAPER_HGN } from "@hamiltonian/hgn/models/hgn";
import { registerKernelFixes, stockWasmKernels, tf, useBackend } from "@hamiltonian/hgn/tensor";
import {
  constrained,
  disposeState,
  frameBatches,
  frameWindows,
  initState,
  type Model,
  stateRates,
  targetTensor,
  trainStep,
} from "@hamiltonian/hgn/train";

const { values: a } = parseArgs({
  args: Deno.args,
  options: { reps: { type: "string", default: "5" }, "no-paper": { type: "boolean" } },
});
const reps = Number(a.reps);
await useBackend("wasm");
registerKernelFixes();
const names = Object.keys(stockWasmKernels).filter((name) => stockWasmKernels[name]);
const kernels = {
  stock: names.map((name) => stockWasmKernels[name]!),
  fixed: names.map((name) => tf.getKernel(name, "wasm")!),
};
const use = (which: keyof typeof kernels) => {
  for (const kernel of kernels[which]) {
    tf.unregisterKernel(kernel.kernelName, "wasm");
    tf.registerKernel(kernel);
  }
};
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

const reader = generatedReader(generator(datasetSpec({ system: "mass-spring" })), {
  train: 256,
  test: 0,
});
const small = HGN_RECIPES.small;
const cases: [string, Model<object, object, unknown>, object, () => unknown][] = [
  [
    "NHF (figure 10: 2 flow steps x 3 leapfrog, 128 units), batch 256",
    nhf,
    NHF_2D,
    () => targetTensor(targets.mixture, 256, 1),
  ],
  [
    "RealNVP (2 couplings, 128 units), batch 256",
    realNvp,
    REALNVP_2D,
    () => targetTensor(targets.mixture, 256, 1),
  ],
  [
    "pixel HNN, MLP autoencoder (4 x 200), batch 64",
    pixelHnn,
    pixelHnnConfig("mlp", 2),
    () => frameWindows(reader, { seed: 0, batchSize: 64 }, 3).batchAt(0),
  ],
  [
    "state HNN (2 x 200), batch 256",
    hnn,
    hnnConfig(1),
    () => stateRates(reader, { seed: 0, batchSize: 256 }).batchAt(0),
  ],
  [
    `HGN, small preset (batch 8, ${small.model.rolloutSteps} steps, ${small.framesPerUpdate} frames scored)`,
    hgn,
    { model: small.model, framesPerUpdate: small.framesPerUpdate },
    () =>
      frameBatches(reader, { seed: 0, batchSize: 8, frames: small.model.rolloutSteps + 1 })
        .batchAt(0),
  ],
  ...(a["no-paper"] ? [] : [[
    "HGN, paper-sized (batch 16, 32 px, 10 steps)",
    constrained(hgn),
    {
      model: { ...PAPER_HGN, rolloutSteps: 10, inputFrames: 11 },
      geco: { tolerance: 1e-3, init: 1, learningRate: 1.5e-4 },
    },
    () => tf.randomUniform([16, 11, 32, 32, 3], 0, 1, "float32", 1),
  ]]),
] as never;

console.log(`wasm, one training update per model; medians of ${reps}, interleaved\n`);
console.log(`kernels replaced: ${names.join(", ")}\n`);
console.log("| model | stock kernels ms | replacements ms | speedup |\n|---|---|---|---|");
for (const [name, model, config, batchOf] of cases) {
  const state = initState(model, config, { learningRate: 1e-3, seed: 0 });
  const batch = await batchOf();
  const times: Record<"stock" | "fixed", number[]> = { stock: [], fixed: [] };
  for (let r = 0; r <= reps; r++) {
    for (const which of ["stock", "fixed"] as const) {
      use(which);
      const t0 = performance.now();
      await trainStep(state, batch);
      if (r > 0) times[which].push(performance.now() - t0); // the first of each compiles
    }
  }
  const [s, f] = [median(times.stock), median(times.fixed)];
  console.log(`| ${name} | ${s.toFixed(1)} | ${f.toFixed(1)} | ${(s / f).toFixed(2)}x |`);
  disposeState(state);
  tf.dispose(batch as tf.TensorContainer);
}
use("fixed");
