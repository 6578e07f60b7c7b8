/**
 * Our wasm `Softplus` (lib/tensor/softplus_kernel.ts) against tfjs-wasm's own, interleaved in one
 * process: ns per float on a million floats drawn uniformly from `[-s, s]` for each `--scales`
 * value, and each kernel's worst error in float32 ulps of the float64 softplus on the same floats.
 *
 *   deno run -A bench/softplus_bench.ts [--reps 7] [--scales 1,5,20,120]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { stockWasmKernels, tf, useBackend } from "@hamiltonian/hgn/tensor";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "7" },
    scales: { type: "string", default: "1,5,20,120" },
  },
});
const reps = Number(a.reps);
await useBackend("wasm");
const kernels = { stock: stockWasmKernels.Softplus!, ours: tf.getKernel("Softplus", "wasm")! };
const use = (k: tf.KernelConfig) => {
  tf.unregisterKernel("Softplus", "wasm");
  tf.registerKernel(k);
};
const exact = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const ulp = (v: number) =>
  Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];

const n = 1 << 20;
console.log(`wasm Softplus, ${n} floats uniform in [-s, s], medians of ${reps}, interleaved\n`);
console.log(
  "| s | stock ns/float | ours ns/float | speedup | stock worst ulps | ours worst ulps |",
);
console.log("|---|---|---|---|---|---|");
for (const s of a.scales!.split(",").map(Number)) {
  let seed = 1;
  const xs = Float32Array.from(
    { length: n },
    () => (2 * ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 1) * s,
  );
  const x = tf.tensor1d(xs);
  const times = { stock: [] as number[], ours: [] as number[] };
  const worst = { stock: 0, ours: 0 };
  for (let r = 0; r <= reps; r++) {
    for (const which of ["stock", "ours"] as const) {
      use(kernels[which]);
      const t0 = performance.now();
      const y = tf.softplus(x);
      const ms = performance.now() - t0;
      if (r > 0) times[which].push((ms * 1e6) / n);
      else {
        const v = await y.data();
        for (let i = 0; i < n; i++) {
          worst[which] = Math.max(worst[which], Math.abs(v[i] - exact(xs[i])) / ulp(exact(xs[i])));
        }
      }
      y.dispose();
    }
  }
  const [st, us] = [median(times.stock), median(times.ours)];
  console.log(
    `| ${s} | ${st.toFixed(2)} | ${us.toFixed(2)} | ${(st / us).toFixed(2)}x | ${
      worst.stock.toFixed(2)
    } | ${worst.ours.toFixed(2)} |`,
  );
  x.dispose();
}
use(kernels.ours);
