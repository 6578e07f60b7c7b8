/**
 * The cost of a density evaluation and of a sample for a trained NHF and a trained RealNVP, in
 * the same process on the same backend, beside the quality each reached (test log-likelihood on
 * the same points): the issue's "cost at equal quality" is read off runs of comparable quality.
 * NHF's density is a bound whose cost grows with its momentum draws `K`, so it is timed for
 * `K = 1` (the ELBO) and for the run's `K`; the ELBO also with tfjs-wasm's own `Softplus` kernel
 * in place of ours (lib/tensor/softplus_kernel.ts), to show what that kernel buys.
 *
 * Usage (heavy: alone on the machine):
 *   deno run -A bench/density_cost_bench.ts --nhf runs/nhf-... --realnvp runs/realnvp-... \
 *     [--reps 5] [--points 2000]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { stockWasmKernels, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { loadDensityRun, testLogLikelihood, testPoints } from "@hamiltonian/hgn/runs";
import { type NhfConfig, type NhfParams, sampleNhf } from "@hamiltonian/hgn/models/nhf";
import {
  type RealNvpConfig,
  type RealNvpParams,
  sampleRealNvp,
} from "@hamiltonian/hgn/models/realnvp";

const { values } = parseArgs({
  options: {
    nhf: { type: "string" },
    realnvp: { type: "string" },
    reps: { type: "string", default: "5" },
    points: { type: "string", default: "2000" },
  },
});
if (!values.nhf || !values.realnvp) {
  console.error("usage: density_cost_bench.ts --nhf RUN_DIR --realnvp RUN_DIR [--reps N]");
  Deno.exit(2);
}
const reps = Number(values.reps);
const points = Number(values.points);
const backend = await useBackend("wasm");
const nhfRun = await loadDensityRun(values.nhf, "nhf");
const nvpRun = await loadDensityRun(values.realnvp, "realnvp");
if (nhfRun.settings.data.target !== nvpRun.settings.data.target) {
  console.error("the two runs were trained on different targets");
  Deno.exit(2);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Mean of a per-point function over the test points in chunks of 256, and ms per point. */
const perPoint = async (f: (x: tf.Tensor2D) => tf.Tensor1D) => {
  const x = testPoints({ ...nvpRun.settings, run: { ...nvpRun.settings.run, testSize: points } });
  const times: number[] = [];
  let mean = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    let sum = 0;
    for (let at = 0; at < points; at += 256) {
      const part = tf.slice(x, [at, 0], [Math.min(256, points - at), x.shape[1]]) as tf.Tensor2D;
      const v = f(part);
      sum += (await tf.sum(v).data())[0];
      tf.dispose([part, v]);
    }
    times.push((performance.now() - t0) / points);
    mean = sum / points;
  }
  x.dispose();
  return { mean, ms: median(times) };
};

/** ms per sample, drawing 1000 at a time. */
const perSample = async (draw: () => tf.Tensor) => {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const s = draw();
    await s.data();
    s.dispose();
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
};

/**
 * Multiply-adds per point of the matrix products in one call of `f` on 256 points: a product of
 * `[b, m, k]` and `[b, k, n]` is `b m n k`, and `k^2 b = |A| |B| / |C|` whichever operand is
 * transposed. The work a density evaluation cannot avoid, beside what it costs.
 */
const matmulMacs = async (f: (x: tf.Tensor2D) => tf.Tensor1D) => {
  const x = testPoints({ ...nvpRun.settings, run: { ...nvpRun.settings.run, testSize: 256 } });
  const info = await tf.profile(() => f(x));
  x.dispose();
  const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
  let macs = 0;
  for (const k of info.kernels) {
    if (!/MatMul/.test(k.name)) continue;
    const [a, b] = k.inputShapes as number[][];
    const c = k.outputShapes[0] as number[];
    const batch = c.length > 2 ? size(c.slice(0, -2)) : 1;
    macs += size(c) * Math.sqrt((size(a) * size(b)) / (size(c) * batch));
  }
  return macs / 256;
};

const K = nhfRun.settings.run.iwSamples;
const nvp = await perPoint((x) => testLogLikelihood(nvpRun.settings, nvpRun.state.params, x));
const nhf1 = await perPoint((x) => testLogLikelihood(nhfRun.settings, nhfRun.state.params, x, 1));
/** `f` run with tfjs-wasm's own `Softplus` kernel in place of ours. */
const withStockSoftplus = async <T>(f: () => Promise<T>): Promise<T> => {
  const [stock, ours] = [stockWasmKernels.Softplus!, tf.getKernel("Softplus", "wasm")!];
  const use = (k: tf.KernelConfig) => {
    tf.unregisterKernel("Softplus", "wasm");
    tf.registerKernel(k);
  };
  use(stock);
  try {
    return await f();
  } finally {
    use(ours);
  }
};
const nhf1Stock = await withStockSoftplus(() =>
  perPoint((x) => testLogLikelihood(nhfRun.settings, nhfRun.state.params, x, 1))
);
const nhfK = await perPoint((x) => testLogLikelihood(nhfRun.settings, nhfRun.state.params, x, K));
const nvpSample = await perSample(() =>
  sampleRealNvp(
    nvpRun.settings.config as RealNvpConfig,
    nvpRun.state.params as RealNvpParams,
    1000,
    1,
  )
);
const nhfSample = await perSample(() =>
  sampleNhf(nhfRun.settings.config as NhfConfig, nhfRun.state.params as NhfParams, 1000, 1)
);

console.log(
  `${backend.report}; target ${nhfRun.settings.data.target}; ${points} test points; medians of ${reps}\n`,
);
const nvpMacs = await matmulMacs((x) => testLogLikelihood(nvpRun.settings, nvpRun.state.params, x));
const nhfMacs = await matmulMacs((x) =>
  testLogLikelihood(nhfRun.settings, nhfRun.state.params, x, 1)
);
console.log(
  `matrix products per density evaluation: RealNVP ${nvpMacs.toFixed(0)} multiply-adds per ` +
    `point, NHF (K = 1) ${nhfMacs.toFixed(0)} (${(nhfMacs / nvpMacs).toFixed(1)}x)\n`,
);
console.log(
  "| model | steps | test log-likelihood | ms per density evaluation | ratio | ms per sample | ratio |",
);
console.log("|---|---|---|---|---|---|---|");
const row = (name: string, steps: number, ll: number, ms: number, sample: number | undefined) =>
  console.log(
    `| ${name} | ${steps} | ${ll.toFixed(3)} | ${ms.toFixed(4)} | ${(ms / nvp.ms).toFixed(1)}x | ${
      sample === undefined ? "" : sample.toFixed(4)
    } | ${sample === undefined ? "" : `${(sample / nvpSample).toFixed(1)}x`} |`,
  );
row("RealNVP (exact)", nvpRun.state.step, nvp.mean, nvp.ms, nvpSample);
row("NHF, ELBO (K = 1)", nhfRun.state.step, nhf1.mean, nhf1.ms, nhfSample);
row(
  "NHF, ELBO (K = 1), stock Softplus",
  nhfRun.state.step,
  nhf1Stock.mean,
  nhf1Stock.ms,
  undefined,
);
row(`NHF, IW bound (K = ${K})`, nhfRun.state.step, nhfK.mean, nhfK.ms, undefined);
