/**
 * One HGN-shaped training step per tfjs backend, next to the same model in PyTorch (CPU) in the
 * same run, printing ms/step and the ratio.
 *
 * Model (batch 16, 32x32x3 frames, width W, T rollout steps): conv encoder over the T+1 stacked
 * frames (8 convs, three stride-2) -> 4x4x(2x32) Gaussian -> f_psi (3 convs) -> 4x4x(2x16) state
 * -> T leapfrog steps (dt 0.125) with autodiff forces of a separable conv Hamiltonian (K and V
 * each 3 convs with softplus) -> nearest-neighbour upsampling conv decoder (3 blocks of x2 + 2
 * convs, then 3 channels and a sigmoid) on every q_t -> MSE + KL -> Adam update.
 *
 * Usage (heavy: always under the lock; torch from bench/setup_torch.sh):
 *   flock /tmp/heavy.lock deno run -A bench/hgn_step_bench.ts \
 *     [--backends wasm,cpu] [--widths 16,32,64] [--steps 10,30] [--reps 3] [--no-torch] \
 *     [--cpu-max-width 16]
 *
 * `deno bench` runs only a small smoke benchmark of this file (wasm, width 16, 2 steps).
 * @module
 */
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { leapfrog, phase, random, rollout } from "@hamiltonian/hgn/core";
import {
  applyConv2d,
  type BackendName,
  type Conv2dParams,
  initConv2d,
  paramLeaves,
  separableNetworkHamiltonian,
  tensorSpace,
  tf,
  upsampleNearest2x,
  useBackend,
  withLeaves,
} from "@hamiltonian/hgn/tensor";

/** The benchmark model's parameters. */
export interface BenchParams {
  readonly enc: Conv2dParams[];
  readonly fpsi: Conv2dParams[];
  readonly v: Conv2dParams[];
  readonly k: Conv2dParams[];
  readonly dec: Conv2dParams[];
}

const conv = (inChannels: number, outChannels: number, seed: number) =>
  initConv2d(seed, "conv", { inChannels, outChannels });

/** Seeded parameters for width `w` and `frames` stacked input frames. */
export const initBench = (w: number, frames: number, seed: number): BenchParams => {
  let s = seed;
  const c = (i: number, o: number) => conv(i, o, s++);
  return {
    enc: [c(3 * frames, w), ...Array.from({ length: 6 }, () => c(w, w)), c(w, 64)],
    fpsi: [c(32, w), c(w, w), c(w, 32)],
    v: [c(16, w), c(w, w), c(w, 1)],
    k: [c(16, w), c(w, w), c(w, 1)],
    dec: [c(16, w), ...Array.from({ length: 6 }, () => c(w, w)), c(w, 3)],
  };
};

const energy = (ps: Conv2dParams[]) => (x: tf.Tensor): tf.Tensor => {
  const h1 = tf.softplus(applyConv2d(ps[0], x));
  const h2 = tf.softplus(applyConv2d(ps[1], h1));
  return tf.sum(applyConv2d(ps[2], h2), [1, 2, 3]);
};

/** The loss of one batch: frames `x` `[B, 32, 32, 3(T+1)]`, noise `eps` `[B, 4, 4, 32]`. */
export const benchLoss = (
  P: BenchParams,
  x: tf.Tensor,
  eps: tf.Tensor,
  steps: number,
  dt = 0.125,
): tf.Scalar =>
  tf.tidy(() => {
    const e = P.enc;
    let h = tf.leakyRelu(applyConv2d(e[0], x));
    h = tf.leakyRelu(applyConv2d(e[1], h));
    h = tf.leakyRelu(applyConv2d(e[2], h, { stride: 2 }));
    h = tf.leakyRelu(applyConv2d(e[3], h));
    h = tf.leakyRelu(applyConv2d(e[4], h, { stride: 2 }));
    h = tf.leakyRelu(applyConv2d(e[5], h));
    h = tf.leakyRelu(applyConv2d(e[6], h, { stride: 2 }));
    h = applyConv2d(e[7], h);
    const [loc, logscale] = tf.split(h, 2, 3);
    const z = tf.add(loc, tf.mul(tf.exp(logscale), eps));
    const t = P.fpsi;
    const s = applyConv2d(
      t[2],
      tf.leakyRelu(applyConv2d(t[1], tf.leakyRelu(applyConv2d(t[0], z)))),
    );
    const [q0, p0] = tf.split(s, 2, 3);
    const H = separableNetworkHamiltonian(energy(P.k), energy(P.v));
    const traj = rollout(leapfrog.step(tensorSpace, H, dt), steps)(phase(q0, p0));
    const d = P.dec;
    let y = tf.leakyRelu(applyConv2d(d[0], tf.concat(traj.map((st) => st.q), 0)));
    for (let b = 0; b < 3; b++) {
      y = upsampleNearest2x(y);
      y = tf.leakyRelu(applyConv2d(d[1 + 2 * b], y));
      y = tf.leakyRelu(applyConv2d(d[2 + 2 * b], y));
    }
    y = tf.sigmoid(applyConv2d(d[7], y));
    const B = x.shape[0];
    const frames = tf.reshape(
      tf.transpose(tf.reshape(y, [steps + 1, B, 32, 32, 3]), [1, 2, 3, 0, 4]),
      [B, 32, 32, 3 * (steps + 1)],
    );
    const rec = tf.mean(tf.squaredDifference(frames, x));
    const kl = tf.mul(
      0.5,
      tf.mean(
        tf.sub(tf.add(tf.square(loc), tf.exp(tf.mul(2, logscale))), tf.add(tf.mul(2, logscale), 1)),
      ),
    );
    return tf.add(rec, kl) as tf.Scalar;
  });

/** A training-step runner: Adam on variables holding the parameters. */
export const benchStepper = (
  w: number,
  steps: number,
  batch: number,
  seed = 0,
): { step: () => Promise<number>; dispose: () => void } => {
  const frames = steps + 1;
  const P0 = initBench(w, frames, seed);
  const vars = paramLeaves(P0).map((t, i) => tf.variable(t, true, `p${i}`));
  tf.dispose(paramLeaves(P0));
  const P = withLeaves(P0, vars);
  const r = random(seed + 1000);
  const x = tf.tensor(
    Float32Array.from({ length: batch * 32 * 32 * 3 * frames }, () => r.uniform()),
    [
      batch,
      32,
      32,
      3 * frames,
    ],
  );
  const eps = tf.tensor(Float32Array.from({ length: batch * 4 * 4 * 32 }, () => r.normal()), [
    batch,
    4,
    4,
    32,
  ]);
  const opt = tf.train.adam(1.5e-4);
  const step = async (): Promise<number> => {
    const { value, grads } = tf.variableGrads(() => benchLoss(P, x, eps, steps), vars);
    opt.applyGradients(grads as tf.NamedTensorMap as never);
    const loss = (await value.data())[0];
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  const dispose = () => {
    tf.dispose([x, eps, ...vars]);
    opt.dispose();
  };
  return { step, dispose };
};

/** The middle value (upper middle for an even count). */
export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The kernels of a `tf.profile`, by name: calls and ms each, and their total ms. */
export const kernelBreakdown = (
  profile: { readonly kernels: readonly { name: string; kernelTimeMs: unknown }[] },
): { byKernel: Map<string, { ms: number; calls: number }>; total: number } => {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of profile.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    e.calls += 1;
    byKernel.set(k.name, e);
  }
  return { byKernel, total: [...byKernel.values()].reduce((acc, e) => acc + e.ms, 0) };
};

/** The `top` kernels of a breakdown as a markdown table, by time. */
export const kernelTable = (
  { byKernel, total }: ReturnType<typeof kernelBreakdown>,
  top: number,
): string =>
  [
    "| tfjs kernel | calls | ms | share of kernel time |",
    "|---|---|---|---|",
    ...[...byKernel].sort((x, y) => y[1].ms - x[1].ms).slice(0, top).map(([name, e]) =>
      `| ${name} | ${e.calls} | ${e.ms.toFixed(0)} | ${(100 * e.ms / total).toFixed(1)}% |`
    ),
  ].join("\n");

const timeTfjs = async (
  backend: BackendName,
  w: number,
  steps: number,
  batch: number,
  reps: number,
) => {
  await useBackend(backend);
  const s = benchStepper(w, steps, batch);
  await s.step(); // warm-up (kernel compilation, allocation)
  const ms: number[] = [];
  let loss = NaN;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    loss = await s.step();
    ms.push(performance.now() - t0);
  }
  s.dispose();
  return { ms, median: median(ms), loss };
};

/** A PyTorch operator's self CPU time over one profiled step. */
export interface TorchOp {
  readonly name: string;
  readonly calls: number;
  readonly ms: number;
}

/**
 * Times the PyTorch baseline (bench/hgn_step_torch.py) in a subprocess; medians in ms. With
 * `profile` > 0 it also profiles one step: ms per labelled stage and the top `profile` operators.
 */
export const timeTorch = (
  w: number,
  steps: number,
  batch: number,
  reps: number,
  threads: number,
  profile = 0,
): {
  ms: number[];
  median: number;
  loss: number;
  version: string;
  stages?: Record<string, number>;
  ops?: TorchOp[];
} => {
  const script = new URL("./hgn_step_torch.py", import.meta.url).pathname;
  const r = spawnSync("/usr/bin/python3", [
    script,
    "--width",
    String(w),
    "--steps",
    String(steps),
    "--batch",
    String(batch),
    "--reps",
    String(reps),
    "--threads",
    String(threads),
    "--profile",
    String(profile),
  ], { env: { ...Deno.env.toObject(), OMP_WAIT_POLICY: "PASSIVE" }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`torch baseline failed: ${r.stderr || r.error}`);
  const j = JSON.parse(r.stdout.trim().split("\n").pop() as string);
  return {
    ms: j.ms as number[],
    median: j.median_ms as number,
    loss: j.loss as number,
    version: j.torch,
    stages: j.stages,
    ops: j.ops,
  };
};

const main = async () => {
  const { values: a } = parseArgs({
    args: Deno.args,
    options: {
      backends: { type: "string", default: "wasm,cpu" },
      widths: { type: "string", default: "16,32,64" },
      steps: { type: "string", default: "10,30" },
      batch: { type: "string", default: "16" },
      reps: { type: "string", default: "3" },
      threads: { type: "string", default: "2" },
      "no-torch": { type: "boolean", default: false },
      "cpu-max-width": { type: "string", default: "16" },
      "cpu-max-steps": { type: "string", default: "10" },
    },
  });
  const ints = (s: string) => s.split(",").map((v) => parseInt(v, 10));
  const backends = a.backends.split(",") as BackendName[];
  const [batch, reps, threads] = [ints(a.batch)[0], ints(a.reps)[0], ints(a.threads)[0]];
  const load = () => Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
  console.log(
    `# HGN training step, batch ${batch}, median of ${reps} after 1 warm-up; load ${load()}`,
  );
  console.log(`| width | steps | backend | ms/step (median) | x PyTorch | loss |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const steps of ints(a.steps)) {
    for (const w of ints(a.widths)) {
      let torchMs = NaN;
      if (!a["no-torch"]) {
        const t = timeTorch(w, steps, batch, reps, threads);
        torchMs = t.median;
        console.log(
          `| ${w} | ${steps} | pytorch ${t.version} (${threads} threads) | ${
            t.median.toFixed(0)
          } | 1.00 | ${t.loss.toFixed(4)} |`,
        );
      }
      for (const b of backends) {
        if (
          b === "cpu" && (w > ints(a["cpu-max-width"])[0] || steps > ints(a["cpu-max-steps"])[0])
        ) {
          console.log(`| ${w} | ${steps} | cpu | skipped (too slow; see --cpu-max-width) | | |`);
          continue;
        }
        const r = await timeTfjs(b, w, steps, batch, reps);
        console.log(
          `| ${w} | ${steps} | tfjs-${b} | ${r.median.toFixed(0)} | ${
            (r.median / torchMs).toFixed(2)
          } | ${r.loss.toFixed(4)} |`,
        );
      }
    }
  }
  console.log(`# load at end ${load()}`);
};

if (import.meta.main) {
  await main();
} else {
  Deno.bench({
    name: "HGN-shaped training step (tfjs-wasm, width 16, 2 steps, batch 4)",
    async fn(b) {
      await useBackend("wasm");
      const s = benchStepper(16, 2, 4);
      await s.step();
      b.start();
      await s.step();
      b.end();
      s.dispose();
    },
  });
}
