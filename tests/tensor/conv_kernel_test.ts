// Our wasm convolution (lib/tensor/conv_kernel.ts): every output within the float32 dot-product
// error bound of the float64 convolution, on shapes that hit every tile and panel edge (odd
// sizes, channel counts not a multiple of 4, output rows shorter than a tile, strides 1-3, both
// paddings, the direct and the padded-copy path) under every tiling; the same bits under every
// tiling and on a rerun; a mutant kernel fails the same check. Its first and second derivatives
// are checked against finite differences with the other kernels, on wasm, in gradients_test.ts.
import { ok, strictEqual } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import { useBackend } from "../../lib/tensor/backend.ts";
import { stockWasmKernels } from "../../lib/tensor/kernels.ts";
import {
  conv2dKernel,
  CONV_TILING,
  type ConvShape,
  type ConvTiling,
  emitConv,
  packedFilterLength,
  packFilter,
  tilingFor,
  WINOGRAD_MIN_BLOCKS,
  winogradApplies,
} from "../../lib/tensor/conv_kernel.ts";
import { moduleBytes } from "../../lib/tensor/wasm_emit.ts";
import { conv, convInput, convLoop, geom } from "./_reference.ts";
import { values } from "./_numeric.ts";

await useBackend("wasm");

type Shape = [number, number, number, number];
interface Case {
  readonly x: Shape;
  readonly f: Shape;
  readonly s: number;
  readonly pad: "same" | "valid";
}

const cases: Case[] = [
  { x: [2, 5, 7, 3], f: [3, 3, 3, 5], s: 1, pad: "same" }, // rows of 7: a 4-tile and a 3-tail
  { x: [1, 9, 9, 6], f: [3, 3, 6, 9], s: 2, pad: "same" }, // 9 channels: a panel and a 1-lane tail
  { x: [3, 8, 8, 4], f: [2, 2, 4, 8], s: 2, pad: "valid" },
  { x: [2, 6, 5, 5], f: [3, 3, 5, 11], s: 1, pad: "valid" }, // 3 columns out
  { x: [1, 4, 4, 1], f: [1, 1, 1, 3], s: 1, pad: "same" }, // a run of 1 float
  { x: [2, 11, 13, 7], f: [3, 3, 7, 17], s: 1, pad: "same" }, // 17 = 2 panels + 1
  { x: [2, 7, 7, 5], f: [3, 2, 5, 18], s: 3, pad: "same" },
  { x: [1, 6, 6, 9], f: [5, 5, 9, 20], s: 1, pad: "valid" }, // 2 columns out: the 2 x 16 tiling
  { x: [2, 9, 8, 3], f: [4, 4, 3, 2], s: 1, pad: "valid" }, // 2 channels: the 6 x 4 tiling
  { x: [1, 10, 10, 2], f: [3, 3, 2, 6], s: 2, pad: "valid" }, // rows and columns left unread
  { x: [2, 3, 3, 13], f: [3, 3, 13, 4], s: 1, pad: "same" }, // a run of 39 floats
];

/** Stride-1 3x3 cases that run by Winograd F(2x2, 3x3) (at least WINOGRAD_MIN_BLOCKS blocks). */
const winogradCases: Case[] = [
  { x: [4, 16, 16, 8], f: [3, 3, 8, 12], s: 1, pad: "same" },
  { x: [2, 18, 34, 12], f: [3, 3, 12, 8], s: 1, pad: "valid" }, // the direct path, 2 block rows
  { x: [1, 32, 34, 64], f: [3, 3, 64, 20], s: 1, pad: "same" }, // blocks across rows and batches
  { x: [3, 16, 22, 16], f: [3, 3, 16, 16], s: 1, pad: "same" },
];

/** Every tiling the generator supports, besides each shape's own choice. */
const tilings: ConvTiling[] = [
  CONV_TILING,
  { mr: 4, nr: 8, unroll: 4 },
  { mr: 2, nr: 16, unroll: 8, shuffle: true },
  { mr: 6, nr: 4, unroll: 8, shuffle: true },
  { mr: 3, nr: 12, unroll: 5 },
  { mr: 1, nr: 4, unroll: 1 },
];

/** `tf.conv2d` on wasm with `Conv2D` as `kernel` (restored after). */
const withConv = <T>(kernel: tf.KernelFunc, body: () => T): T => {
  const current = tf.getKernel("Conv2D", "wasm")!;
  tf.unregisterKernel("Conv2D", "wasm");
  tf.registerKernel({ ...current, kernelFunc: kernel });
  try {
    return body();
  } finally {
    tf.unregisterKernel("Conv2D", "wasm");
    tf.registerKernel(current);
  }
};

const stock = stockWasmKernels.Conv2D!;

/** The inputs of `c`, seeded, and the float64 convolution with each output's sum of |terms|. */
const reference = (c: Case, seed: number) => {
  const g = geom(c.x, c.f, c.s, c.pad);
  const x = values(seed, c.x.reduce((p, q) => p * q));
  const f = values(seed + 1, c.f.reduce((p, q) => p * q));
  const y = new Float64Array(g.b * g.oh * g.ow * g.co);
  const mass = new Float64Array(y.length);
  convLoop(g, (xi, fi, yi) => {
    y[yi] += x[xi] * f[fi];
    mass[yi] += Math.abs(x[xi] * f[fi]);
  });
  return { g, x, f, y, mass, k: c.f[0] * c.f[1] * c.f[2] };
};

/**
 * The largest `|got - exact| / bound` over the outputs, with `bound = gamma_K * sum |terms|`, the
 * float32 dot product's worst case (K terms, unit roundoff 2^-24): at most 1 for any correct
 * summation order, fused or not.
 */
const errorRatio = (got: ArrayLike<number>, ref: ReturnType<typeof reference>): number => {
  const u = 2 ** -24;
  const gamma = (ref.k * u) / (1 - ref.k * u);
  if (got.length !== ref.y.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref.y[i]);
    const bound = gamma * ref.mass[i] + 1e-30;
    if (!(err <= bound * 1e9)) return Infinity; // NaN, or far off
    worst = Math.max(worst, err / bound);
  }
  return worst;
};

const viaTf = async (c: Case, x: Float64Array, f: Float64Array, kernel?: tf.KernelFunc) => {
  const run = () =>
    tf.conv2d(
      tf.tensor4d(Float32Array.from(x), c.x),
      tf.tensor4d(Float32Array.from(f), c.f),
      c.s,
      c.pad,
    );
  const y = kernel ? withConv(kernel, () => tf.tidy(run)) : tf.tidy(run);
  const data = await y.data();
  y.dispose();
  return data as Float32Array;
};

Deno.test("conv kernel: wasm's Conv2D is ours", () => {
  ok(stock && tf.getKernel("Conv2D", "wasm")?.kernelFunc !== stock.kernelFunc);
});

Deno.test("conv kernel: every output within the float32 error bound of float64, every tiling", async () => {
  for (const [i, c] of cases.entries()) {
    const ref = reference(c, 10 * i + 1);
    const name = `${c.x}*${c.f} stride ${c.s} ${c.pad}`;
    const own = errorRatio(await viaTf(c, ref.x, ref.f), ref);
    ok(own <= 1, `${name}: error ${own} x the bound`);
    for (const t of tilings) {
      const kernel = conv2dKernel(stock, { tiling: t, winograd: false });
      const r = errorRatio(await viaTf(c, ref.x, ref.f, kernel), ref);
      ok(r <= 1, `${name}, tiling ${JSON.stringify(t)}: error ${r} x the bound`);
    }
  }
});

/** Winograd's data in float64 (`d`: 4x4 patch, `g`: 3x3 filter), with every entry's absolute value. */
const B_T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]];
const G = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]];
const A_T = [[1, 1, 1, 0], [0, 1, -1, -1]];
/** `L X R^T` for matrices as arrays of rows */
const sandwich = (l: number[][], x: number[][], r: number[][]) =>
  l.map((lr) =>
    r.map((rr) => lr.reduce((s, a, i) => s + a * x[i].reduce((t, b, j) => t + b * rr[j], 0), 0))
  );
const abs = (m: number[][]) => m.map((r) => r.map(Math.abs));

/**
 * The forward error bound of F(2x2, 3x3) in float32 for every output of `c`: `gamma_n` times
 * `sum_ci |A^T| (|G||g||G^T| ⊙ |B^T||d||B|) |A|`, with `n = ci + 8` rounding steps on any path
 * (2 in the input transform, 1 rounding the transformed filter, `ci` in the products' sum, 4 in
 * the output transform, 1 spare for the product itself).
 */
const winogradBound = (c: Case, x: Float64Array, f: Float64Array): Float64Array => {
  const g = geom(c.x, c.f, c.s, c.pad);
  const bound = new Float64Array(g.b * g.oh * g.ow * g.co);
  const u = 2 ** -24, n = g.ci + 8, gamma = (n * u) / (1 - n * u);
  const at = (b: number, i: number, j: number, ch: number) => {
    const [r, q] = [i - g.top, j - g.left];
    return r < 0 || r >= g.h || q < 0 || q >= g.w ? 0 : x[((b * g.h + r) * g.w + q) * g.ci + ch];
  };
  for (let b = 0; b < g.b; b++) {
    for (let ty = 0; ty < g.oh; ty += 2) {
      for (let tx = 0; tx < g.ow; tx += 2) {
        for (let ci = 0; ci < g.ci; ci++) {
          const d = [0, 1, 2, 3].map((r) =>
            [0, 1, 2, 3].map((q) => Math.abs(at(b, ty + r, tx + q, ci)))
          );
          const v = sandwich(abs(B_T), d, abs(B_T));
          for (let co = 0; co < g.co; co++) {
            const w = [0, 1, 2].map((r) =>
              [0, 1, 2].map((q) => Math.abs(f[((r * 3 + q) * g.ci + ci) * g.co + co]))
            );
            const uv = sandwich(abs(G), w, abs(G)).map((row, i) => row.map((e, j) => e * v[i][j]));
            const y = sandwich(abs(A_T), uv, abs(A_T));
            for (let i = 0; i < 2; i++) {
              for (let j = 0; j < 2; j++) {
                bound[((b * g.oh + ty + i) * g.ow + tx + j) * g.co + co] += gamma * y[i][j];
              }
            }
          }
        }
      }
    }
  }
  return bound;
};

Deno.test("conv kernel: Winograd F(2x2, 3x3) outputs within its float32 error bound of float64", async () => {
  for (const [i, c] of winogradCases.entries()) {
    const g = geom(c.x, c.f, c.s, c.pad);
    const shape = {
      ci: g.ci,
      co: g.co,
      kh: 3,
      kw: 3,
      sh: 1,
      sw: 1,
      hx: g.oh + 2,
      wx: g.ow + 2,
      oh: g.oh,
      ow: g.ow,
    };
    ok(winogradApplies(shape, g.b) && (g.b * g.oh * g.ow) / 4 >= WINOGRAD_MIN_BLOCKS);
    const ref = reference(c, 30 + i);
    const got = await viaTf(c, ref.x, ref.f);
    const bound = winogradBound(c, ref.x, ref.f);
    let worst = 0, rel = 0, scale = 0;
    for (let j = 0; j < got.length; j++) {
      const err = Math.abs(got[j] - ref.y[j]);
      ok(err <= bound[j], `${c.x}*${c.f}: output ${j} off by ${err}, bound ${bound[j]}`);
      worst = Math.max(worst, err / bound[j]);
      rel = Math.max(rel, err);
      scale = Math.max(scale, Math.abs(ref.y[j]));
    }
    // the direct kernel sums in another order: Winograd ran (its bits differ somewhere)
    const direct = await viaTf(c, ref.x, ref.f, conv2dKernel(stock, { winograd: false }));
    ok(direct.some((v, j) => v !== got[j]), `${c.x}*${c.f}: Winograd did not run`);
    const again = await viaTf(c, ref.x, ref.f);
    strictEqual(again.findIndex((v, j) => !Object.is(v, got[j])), -1, "a rerun differs");
    ok(worst < 1 && rel / scale < 1e-5);
  }
});

Deno.test("conv kernel: the same bits under every tiling and on a rerun", async () => {
  for (const [i, c] of cases.entries()) {
    const ref = reference(c, 10 * i + 2);
    const first = await viaTf(c, ref.x, ref.f);
    const again = [await viaTf(c, ref.x, ref.f)];
    for (const t of tilings) {
      again.push(await viaTf(c, ref.x, ref.f, conv2dKernel(stock, { tiling: t, winograd: false })));
    }
    for (const other of again) {
      const differs = first.findIndex((v, j) => !Object.is(v, other[j]));
      strictEqual(differs, -1, `${c.x}*${c.f}: output ${differs} differs`);
    }
  }
});

Deno.test("conv kernel: padding one image at a time gives the same bits", async () => {
  for (const [i, c] of [...cases, ...winogradCases].entries()) {
    if (c.x[0] < 2) continue;
    const ref = reference(c, 50 + i);
    const whole = await viaTf(c, ref.x, ref.f);
    const byImage = await viaTf(c, ref.x, ref.f, conv2dKernel(stock, { padChunkBytes: 1 }));
    strictEqual(whole.findIndex((v, j) => !Object.is(v, byImage[j])), -1, `${c.x}*${c.f}`);
  }
});

Deno.test("conv kernel: the tiling follows the shape", () => {
  const base: ConvShape = {
    ci: 8,
    co: 64,
    kh: 3,
    kw: 3,
    sh: 1,
    sw: 1,
    hx: 10,
    wx: 10,
    oh: 8,
    ow: 8,
  };
  strictEqual(tilingFor(base), CONV_TILING);
  strictEqual(tilingFor({ ...base, co: 3 }).nr, 4);
  strictEqual(tilingFor({ ...base, ow: 2 }).mr, 2);
});

Deno.test("conv kernel: dilated and empty convolutions keep the stock results", async () => {
  const x = tf.randomNormal([1, 7, 7, 3], 0, 1, "float32", 1) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, 3, 5], 0, 1, "float32", 2) as tf.Tensor4D;
  const ours = await tf.conv2d(x, f, 1, "same", "NHWC", 2).data();
  const theirs = await withConv(stock.kernelFunc, () => tf.conv2d(x, f, 1, "same", "NHWC", 2))
    .data();
  strictEqual(ours.findIndex((v, i) => v !== theirs[i]), -1);
  const empty = tf.conv2d(tf.zeros([0, 4, 4, 3]) as tf.Tensor4D, f, 1, "same");
  strictEqual(empty.size, 0);
  const noIn = await tf.conv2d(
    tf.zeros([1, 4, 4, 0]) as tf.Tensor4D,
    tf.zeros([3, 3, 0, 2]) as tf.Tensor4D,
    1,
    "same",
  ).data();
  ok(noIn.length === 32 && noIn.every((v) => v === 0));
  tf.dispose([x, f, empty]);
});

Deno.test("conv kernel: no tensor and no heap left behind", async () => {
  const x = tf.randomNormal([2, 9, 9, 5], 0, 1, "float32", 3) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, 5, 7], 0, 1, "float32", 4) as tf.Tensor4D;
  const warm = tf.conv2d(x, f, 2, "same"); // compiles; the heap grows once if it must
  warm.dispose();
  const heap = (tf.backend() as unknown as { wasm: { HEAPF32: Float32Array } }).wasm;
  const [tensors, bytes] = [tf.memory().numTensors, heap.HEAPF32.length];
  for (let r = 0; r < 50; r++) tf.conv2d(x, f, 2, "same").dispose();
  strictEqual(tf.memory().numTensors, tensors);
  strictEqual(heap.HEAPF32.length, bytes);
  await Promise.resolve();
  tf.dispose([x, f]);
});

/**
 * The emitted kernel for `c` run by hand on its own memory, with `mutate` applied to the shape
 * it is emitted for: the mutant must fail the error check that the true kernel passes.
 */
const standalone = (
  c: Case,
  x: Float64Array,
  f: Float64Array,
  mutate: (s: ConvShape) => ConvShape,
) => {
  const g = geom(c.x, c.f, c.s, c.pad);
  const hx = (g.oh - 1) * g.s + g.kh, wx = (g.ow - 1) * g.s + g.kw;
  const shape: ConvShape = {
    ci: g.ci,
    co: g.co,
    kh: g.kh,
    kw: g.kw,
    sh: g.s,
    sw: g.s,
    hx,
    wx,
    oh: g.oh,
    ow: g.ow,
  };
  const k = g.kh * g.kw * g.ci;
  const wLen = packedFilterLength(k, g.co),
    xLen = g.b * hx * wx * g.ci,
    yLen = g.b * g.oh * g.ow * g.co;
  const memory = new WebAssembly.Memory({
    initial: Math.ceil(((wLen + xLen + yLen) * 4 + 64) / 65536) + 1,
  });
  const heap = new Float32Array(memory.buffer);
  packFilter(Float32Array.from(f), k, g.co, heap.subarray(0, wLen));
  for (let b = 0; b < g.b; b++) {
    for (let r = 0; r < hx; r++) {
      for (let q = 0; q < wx; q++) {
        const [i, j] = [r - g.top, q - g.left];
        if (i < 0 || i >= g.h || j < 0 || j >= g.w) continue;
        for (let ch = 0; ch < g.ci; ch++) {
          heap[wLen + ((b * hx + r) * wx + q) * g.ci + ch] =
            x[((b * g.h + i) * g.w + j) * g.ci + ch];
        }
      }
    }
  }
  const bytes = moduleBytes([{ name: "conv", code: emitConv(mutate(shape), true) }]);
  const fn = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports
    .conv as (x: number, w: number, y: number, n: number) => void;
  fn(wLen * 4, 0, (wLen + xLen) * 4, g.b);
  return heap.slice(wLen + xLen, wLen + xLen + yLen);
};

Deno.test("conv kernel: a mutant kernel fails the check the true one passes", () => {
  const c = cases[5];
  const ref = reference(c, 7);
  ok(errorRatio(standalone(c, ref.x, ref.f, (s) => s), ref) <= 1);
  const mutants: [string, (s: ConvShape) => ConvShape][] = [
    ["a window one column short", (s) => ({ ...s, kw: s.kw - 1, wx: s.wx })],
    ["the wrong row width", (s) => ({ ...s, wx: s.wx + 1 })],
    ["one output channel fewer", (s) => ({ ...s, co: s.co - 1 })],
  ];
  for (const [what, mutate] of mutants) {
    ok(errorRatio(standalone(c, ref.x, ref.f, mutate), ref) > 1, `${what} passed`);
  }
});

Deno.test("conv kernel: Winograd layers' gradient and Hessian-vector product match float64 finite differences", async () => {
  // L = sum(r * y^2) / 2 with y = conv2d(x, f): the forward and the input gradient (a stride-1
  // 3x3 convolution of the padded dy) both run by Winograd here; too many inputs for the
  // element-wise differences of gradients_test.ts, so the float64 differences are taken along
  // random directions (gradient) and of the float64 gradient (Hessian-vector product)
  const c: Case = { x: [4, 16, 16, 8], f: [3, 3, 8, 8], s: 1, pad: "same" }; // 256 blocks
  const g = geom(c.x, c.f, c.s, c.pad);
  const x = values(101, 4 * 16 * 16 * 8),
    f = values(102, 9 * 8 * 8),
    r = values(103, 4 * 16 * 16 * 8);
  const v = values(104, x.length), w = values(105, f.length);
  const loss = (x: Float64Array, f: Float64Array) =>
    conv(g, x, f).reduce((s, y, i) => s + r[i] * y * y / 2, 0);
  const gradX = (x: Float64Array, f: Float64Array) =>
    convInput(g, conv(g, x, f).map((y, i) => r[i] * y), f);
  const [xt, ft, rt] = [
    tf.tensor4d(Float32Array.from(x), c.x),
    tf.tensor4d(Float32Array.from(f), c.f),
    tf.tensor4d(Float32Array.from(r), c.x),
  ];
  const lossT = (xx: tf.Tensor, ff: tf.Tensor) =>
    tf.sum(tf.mul(rt, tf.square(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, "same")))).div(
      2,
    );
  const [gx, gf] = tf.grads(lossT)([xt, ft]);
  const vt = tf.tensor4d(Float32Array.from(v), c.x);
  const hvp = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.grads(lossT)([xx, ft])[0], vt)))(xt);
  const [dx, df, hv] = [await gx.data(), await gf.data(), await hvp.data()];
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
    return sum;
  };
  const h = 1e-3;
  const fd = (loss(x.map((xi, i) => xi + h * v[i]), f) - loss(x.map((xi, i) => xi - h * v[i]), f)) /
    (2 * h);
  const fdW =
    (loss(x, f.map((fi, i) => fi + h * w[i])) - loss(x, f.map((fi, i) => fi - h * w[i]))) / (2 * h);
  const close = (a: number, b: number, what: string) =>
    ok(Math.abs(a - b) <= 1e-4 * Math.abs(b), `${what}: ${a} vs ${b}`);
  close(dot(dx, v), fd, "gradient along v");
  close(dot(df, w), fdW, "filter gradient along w");
  const [gp, gm] = [
    gradX(x.map((xi, i) => xi + h * v[i]), f),
    gradX(x.map((xi, i) => xi - h * v[i]), f),
  ];
  const fdHv = gp.map((p, i) => (p - gm[i]) / (2 * h));
  const scale = fdHv.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
  const worst = fdHv.reduce((m, e, i) => Math.max(m, Math.abs(e - hv[i])), 0);
  ok(worst <= 1e-4 * scale, `Hessian-vector product off by ${worst} of ${scale}`);
  tf.dispose([xt, ft, rt, gx, gf, vt, hvp]);
});
