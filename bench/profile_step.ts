/**
 * Where the time of one paper-sized HGN update goes (batch 16, 32 px, appendix A.1 widths, GECO,
 * Adam), on one tfjs backend in the main thread: each forward stage timed alone (encoder, f_psi,
 * the Hamiltonian rollout with its autodiff forces, the decoder, the loss), the whole update
 * (`trainStep`: forward, the backward pass with its second-order gradients, Adam), Adam alone, and
 * the share of every kernel in one update (`tf.profile`; wasm kernels run synchronously, so their
 * times are wall time). Medians of `--reps`.
 *
 *   flock /tmp/heavy.lock deno run -A bench/profile_step.ts [--backend wasm] [--steps 10] [--reps 3] [--top 15]
 *     [--torch-threads 1] [--no-torch]
 *
 * Beside it, PyTorch's side of the same breakdown (`bench/hgn_step_torch.py --profile`, the same
 * step, torch.profiler, with `--torch-threads` threads; tfjs here runs in one thread): its stages
 * and its operators by self CPU time. Their names differ (a tfjs kernel is not a PyTorch
 * operator), the shares are what compare.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  decode,
  encode,
  hgn,
  hgnHamiltonian,
  initHgn,
  initialState,
  PAPER_HGN,
} from "@hamiltonian/hgn/models/hgn";
import {
  adam,
  adamStep,
  constrained,
  disposeState,
  initState,
  trainStep,
} from "@hamiltonian/hgn/train";
import {
  type BackendRequest,
  flattenWithPaths,
  gaussianKl,
  paramLeaves,
  tensorSpace,
  tf,
  useBackend,
} from "@hamiltonian/hgn/tensor";
import { integratorByName, rollout, stepOf } from "@hamiltonian/hgn/core";
import { kernelBreakdown, kernelTable, timeTorch } from "./hgn_step_bench.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "wasm" },
    steps: { type: "string", default: "10" },
    reps: { type: "string", default: "3" },
    top: { type: "string", default: "15" },
    "torch-threads": { type: "string", default: "1" },
    "no-torch": { type: "boolean", default: false },
  },
});
const reps = Number(a.reps);
const T = Number(a.steps);
const choice = await useBackend(a.backend as BackendRequest);
const model = { ...PAPER_HGN, rolloutSteps: T, inputFrames: T + 1 };
const config = { model, geco: { tolerance: 1e-3, init: 1, learningRate: 1.5e-4 } };
const frames = tf.randomUniform([16, T + 1, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor5D;
const params = initHgn(model, 0);

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/** Median ms of `f`, its outputs read back (so the work is done) and disposed. */
const time = async (f: () => tf.Tensor | tf.Tensor[]): Promise<number> => {
  const ms: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    const out = tf.tidy(f);
    const list = Array.isArray(out) ? out : [out];
    await Promise.all(list.map((t) => t.data()));
    if (r > 0) ms.push(performance.now() - t0); // the first run compiles and allocates
    tf.dispose(list);
  }
  return median(ms);
};

// The forward stages, each from the previous one's output (kept outside the timing).
const posterior = tf.tidy(() => encode(model, params, frames).mean);
const s0 = initialState(model, params, posterior);
const H = hgnHamiltonian(model, params);
const step = stepOf(integratorByName(model.integrator), tensorSpace, H, model.dt);
const states = tf.tidy(() => rollout(step, T)(s0).slice(1).map((s) => s.q) as tf.Tensor[]);
const qs = tf.concat([s0.q, ...states], 0) as tf.Tensor4D;
const stages: [string, number][] = [
  ["encoder", await time(() => encode(model, params, frames).mean)],
  ["f_psi", await time(() => initialState(model, params, posterior).q)],
  [
    `rollout (${T} leapfrog steps, autodiff forces)`,
    await time(() => rollout(step, T)(s0).slice(1).map((s) => s.q)),
  ],
  [`decoder (${T + 1} frames)`, await time(() => decode(model, params, qs))],
  [
    "loss (MSE + KL)",
    await time(() => {
      const images = decode(model, params, qs);
      const target = tf.reshape(tf.transpose(frames, [1, 0, 2, 3, 4]), images.shape);
      return tf.add(
        tf.mean(tf.squaredDifference(images, target)),
        gaussianKl(posterior, posterior),
      );
    }) - await time(() => decode(model, params, qs)),
  ],
];
const forward = stages.reduce((acc, [, ms]) => acc + ms, 0);

// The whole update, and Adam alone on gradients shaped like the weights.
const state = initState(constrained(hgn), config, { learningRate: 1.5e-4, seed: 0 });
await trainStep(state, frames); // warm-up
const updates: number[] = [];
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  await trainStep(state, frames);
  updates.push(performance.now() - t0);
}
const update = median(updates);
const named = flattenWithPaths(state.params) as [string, tf.Variable][];
const fakeGrads = new Map(named.map(([p, v]) => [p, tf.onesLike(v)]));
const opt = adam({ learningRate: 1e-9 });
const adamMs: number[] = [];
for (let r = 0; r <= reps; r++) {
  const t0 = performance.now();
  adamStep(opt, new Map(named), fakeGrads);
  await named[0][1].data();
  if (r > 0) adamMs.push(performance.now() - t0);
}
const adamTime = median(adamMs);

// Every kernel of one update.
const profile = await tf.profile(async () => {
  await trainStep(state, frames);
});
const kernels = kernelBreakdown(profile);
const kernelTotal = kernels.total;

const pct = (ms: number, of: number) => `${(100 * ms / of).toFixed(1)}%`;
const torchThreads = Number(a["torch-threads"]);
const torch = a["no-torch"] ? undefined : timeTorch(64, T, 16, reps, torchThreads, Number(a.top));
const torchStages = torch?.stages ?? {};
const torchUpdate = torchStages["whole update"] ?? NaN;
const rows: [label: string, ms: number, torchKey: string][] = [
  ...stages.map(([name, ms], i): [string, number, string] => [
    `forward: ${name}`,
    ms,
    ["encoder", "f_psi", "rollout (autodiff forces)", "decoder", "loss (MSE + KL)"][i],
  ]),
  [
    "backward (second-order gradients) and the rest",
    update - forward - adamTime,
    "backward (second-order gradients)",
  ],
  ["Adam", adamTime, "Adam"],
  ["whole update", update, "whole update"],
];
console.log(`${choice.report}; batch 16, 32 px, ${T} rollout steps; medians of ${reps}`);
console.log(
  torch
    ? `PyTorch ${torch.version}, ${torchThreads} thread(s), one profiled step\n`
    : "PyTorch not run (--no-torch)\n",
);
console.log(
  "| stage | tfjs ms | tfjs share | torch ms | torch share | tfjs / torch |\n|---|---|---|---|---|---|",
);
for (const [label, ms, key] of rows) {
  const t = torchStages[key] ?? NaN;
  console.log(
    `| ${label} | ${ms.toFixed(0)} | ${pct(ms, update)} | ${t.toFixed(0)} | ${
      pct(t, torchUpdate)
    } | ${(ms / t).toFixed(2)} |`,
  );
}
console.log(`\n${kernelTable(kernels, Number(a.top))}`);
console.log(
  `\nkernel time ${
    kernelTotal.toFixed(0)
  } ms of a profiled update (${profile.kernels.length} kernel calls)`,
);
if (torch?.ops) {
  const opTotal = torch.ops.reduce((acc, o) => acc + o.ms, 0);
  console.log(
    `\n| torch operator | calls | self ms | share of the update |\n|---|---|---|---|`,
  );
  for (const o of torch.ops) {
    console.log(`| ${o.name} | ${o.calls} | ${o.ms.toFixed(0)} | ${pct(o.ms, torchUpdate)} |`);
  }
  console.log(
    `\nthe top ${torch.ops.length} operators: ${pct(opTotal, torchUpdate)} of the update`,
  );
}
disposeState(state);
tf.dispose([
  ...fakeGrads.values(),
  frames,
  posterior,
  s0.q,
  s0.p,
  ...states,
  qs,
  ...paramLeaves(params),
]);
