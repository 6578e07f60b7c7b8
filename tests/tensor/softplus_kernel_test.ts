// Our wasm Softplus (lib/tensor/softplus_kernel.ts): within 3 float32 ulps of the float64
// softplus on every range of inputs (both tails, the x < -87 inputs whose softplus is subnormal,
// and the -14 < x < -5 band where the stock kernel's `log(exp(x) + 1)` loses bits), with NaN and
// the infinities right; the same bits for every tensor size (the kernel's overlapping last step
// and the scratch path for small tensors); a mutant with a shorter exp series fails the bound.
// Its first and second derivatives are checked with the other kernels, on wasm, in
// gradients_test.ts.
import { ok, strictEqual } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import { useBackend } from "../../lib/tensor/backend.ts";
import { stockWasmKernels } from "../../lib/tensor/kernels.ts";
import {
  SOFTPLUS_EXP_TERMS,
  SOFTPLUS_VECTORS,
  softplusOn,
} from "../../lib/tensor/softplus_kernel.ts";

/** The bound: float32 ulps of the exact value (2^-149 where it is subnormal). */
const ULPS = 3;

const exact = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const ulp = (v: number): number =>
  Math.abs(v) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 23);

/** Inputs on every range: a dense grid over [-110, 110], random ones per scale, the edges. */
const inputs = (): Float32Array => {
  const grid = Array.from({ length: 220_001 }, (_, i) => -110 + i / 1000);
  let seed = 7;
  const u = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const random = Array.from(
    { length: 200_000 },
    (_, i) => (2 * u() - 1) * [0.01, 1, 5, 20, 100][i % 5],
  );
  const edges = [
    0,
    -0,
    1e-30,
    -1e-30,
    2 ** -149,
    -87.3,
    -87.4,
    -103.9,
    -104,
    -104.1,
    40,
    88.7,
    1e30,
    -1e30,
  ];
  return new Float32Array([...grid, ...random, ...edges]);
};

/** The worst error of `y = softplus(x)` in ulps of the exact value, and where. */
const worstUlps = (x: Float32Array, y: Float32Array): { ulps: number; at: number } => {
  let worst = { ulps: 0, at: NaN };
  for (let i = 0; i < x.length; i++) {
    const e = exact(x[i]);
    const ulps = Math.abs(y[i] - e) / ulp(e);
    if (!(ulps <= worst.ulps)) worst = { ulps, at: x[i] };
  }
  return worst;
};

/** `softplus` on `x` by the kernel with `expTerms` Taylor terms, on a plain memory. */
const runKernel = (x: Float32Array, expTerms: number): Float32Array => {
  const n = x.length, step = 4 * SOFTPLUS_VECTORS;
  ok(n >= step);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((8 * n) / 65536) + 1 });
  const heap = new Float32Array(memory.buffer);
  heap.set(x);
  softplusOn(memory, expTerms)(0, 4 * n, 4 * (n - step));
  return heap.slice(n, 2 * n);
};

Deno.test("softplus kernel: wasm's Softplus is ours", async () => {
  await useBackend("wasm");
  const stock = stockWasmKernels.Softplus;
  ok(stock && tf.getKernel("Softplus", "wasm")?.kernelFunc !== stock.kernelFunc);
});

Deno.test("softplus kernel: within 3 float32 ulps of float64 softplus on every range", async () => {
  await useBackend("wasm");
  const x = inputs();
  const t = tf.tensor1d(x);
  const worst = worstUlps(x, await tf.softplus(t).data() as Float32Array);
  t.dispose();
  ok(worst.ulps <= ULPS, `worst ${worst.ulps.toFixed(2)} ulps at x = ${worst.at}`);
});

Deno.test("softplus kernel: NaN stays NaN, -Infinity gives 0, Infinity gives Infinity", async () => {
  await useBackend("wasm");
  const y = await tf.softplus(tf.tensor1d([NaN, -Infinity, Infinity, -1e38, 1e38])).data();
  ok(Number.isNaN(y[0]));
  strictEqual(y[1], 0);
  strictEqual(y[2], Infinity);
  strictEqual(y[3], 0);
  strictEqual(y[4], Math.fround(1e38));
});

Deno.test("softplus kernel: every tensor size gives each element the same bits", async () => {
  await useBackend("wasm");
  const x = new Float32Array(Array.from({ length: 77 }, (_, i) => Math.sin(i * 1.7) * 12));
  const whole = await tf.softplus(tf.tensor1d(x)).data();
  for (let n = 1; n <= x.length; n++) {
    for (const start of [0, x.length - n]) {
      const part = await tf.softplus(tf.tensor1d(x.subarray(start, start + n))).data();
      for (let i = 0; i < n; i++) {
        ok(Object.is(part[i], whole[start + i]), `size ${n} from ${start}: element ${i}`);
      }
    }
  }
});

Deno.test("softplus kernel: the kernel as emitted passes; a mutant with 6 exp terms fails", () => {
  const x = inputs().subarray(0, 220_000);
  const ours = worstUlps(x, runKernel(x, SOFTPLUS_EXP_TERMS));
  ok(ours.ulps <= ULPS, `ours: ${ours.ulps.toFixed(2)} ulps`);
  const mutant = worstUlps(x, runKernel(x, 6));
  ok(mutant.ulps > ULPS, `mutant: ${mutant.ulps.toFixed(2)} ulps`);
});
