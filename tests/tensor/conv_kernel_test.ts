// Our wasm convolution (lib/tensor/conv_kernel.ts): every output within the float32 dot-product
// error bound of the float64 convolution, on shapes that hit every tile and panel edge (odd
// sizes, channel counts not a multiple of 4, output rows shorter than a tile, strides 1-3, both
// paddings, the direct and the padded-copy path) under every tiling; the same bits under every
// tiling and on a rerun; a mutant kernel fails the same check. Its first and second derivatives
// are checked against finite differences with the other kernels, on wasm, in gradients_test.ts;
// its Winograd path in winograd_test.ts.
import { ok, strictEqual } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import {
  conv2dKernel,
  CONV_TILING,
  type ConvShape,
  type ConvTiling,
  emitConv,
  packedFilterLength,
  packFilter,
  rowBlocksApply,
  tilingFor,
} from "../../lib/tensor/conv_kernel.ts";
import { moduleBytes } from "../../lib/tensor/wasm_emit.ts";
import { geom } from "./_reference.ts";
import {
  type Case,
  errorRatio,
  reference,
  stock,
  viaTf,
  winogradCases,
  withConv,
} from "./_conv.ts";

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

/** Every tiling the generator supports, besides each shape's own choice. */
const tilings: ConvTiling[] = [
  CONV_TILING,
  { mr: 4, nr: 8, unroll: 4 },
  { mr: 2, nr: 16, unroll: 8, shuffle: true },
  { mr: 6, nr: 4, unroll: 8, shuffle: true },
  { mr: 3, nr: 12, unroll: 5 },
  { mr: 1, nr: 4, unroll: 1 },
];

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

Deno.test("conv kernel: the same bits under every tiling, one filter row at a time, and on a rerun", async () => {
  for (const [i, c] of cases.entries()) {
    const ref = reference(c, 10 * i + 2);
    const first = await viaTf(c, ref.x, ref.f);
    const again = [await viaTf(c, ref.x, ref.f)];
    for (const t of tilings) {
      for (const rowBlocks of [false, true]) {
        const kernel = conv2dKernel(stock, { tiling: t, winograd: false, rowBlocks });
        again.push(await viaTf(c, ref.x, ref.f, kernel));
      }
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
  // the filter gradient of the paper's 32 px layers runs by rows, a 3x3 layer in one pass
  const filterGradient = { ...base, ci: 30, kh: 32, kw: 32, hx: 34, wx: 34, oh: 3, ow: 3 };
  strictEqual(rowBlocksApply(filterGradient, 8), true);
  strictEqual(rowBlocksApply({ ...base, ci: 64 }, 8), false);
  strictEqual(rowBlocksApply({ ...filterGradient, kh: 1 }, 8), false);
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
  rows?: "accumulate" | "overwrite",
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
  const run = g.kw * g.ci, rowLength = packedFilterLength(run, g.co);
  if (rows === undefined) packFilter(Float32Array.from(f), k, g.co, heap.subarray(0, wLen));
  else {
    for (let ky = 0; ky < g.kh; ky++) {
      const at = ky * rowLength;
      const w = Float32Array.from(f.subarray(ky * run * g.co, (ky + 1) * run * g.co));
      packFilter(w, run, g.co, heap.subarray(at, at + rowLength));
    }
  }
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
  const kernel = (s: ConvShape, accumulate = false) => {
    const bytes = moduleBytes([{ name: "conv", code: emitConv(s, true, undefined, accumulate) }]);
    return new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports
      .conv as (x: number, w: number, y: number, n: number) => void;
  };
  if (rows === undefined) kernel(mutate(shape))(wLen * 4, 0, (wLen + xLen) * 4, g.b);
  else {
    const row = mutate({ ...shape, kh: 1 });
    const [first, rest] = [kernel(row), kernel(row, rows === "accumulate")];
    for (let ky = 0; ky < g.kh; ky++) {
      const fn = ky === 0 ? first : rest;
      fn((wLen + ky * wx * g.ci) * 4, ky * rowLength * 4, (wLen + xLen) * 4, g.b);
    }
  }
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
  // one filter row at a time: adding each row's part passes, overwriting with it fails
  ok(errorRatio(standalone(c, ref.x, ref.f, (s) => s, "accumulate"), ref) <= 1);
  ok(errorRatio(standalone(c, ref.x, ref.f, (s) => s, "overwrite"), ref) > 1, "overwrite passed");
});
