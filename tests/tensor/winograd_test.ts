// Winograd F(2x2, 3x3) (lib/tensor/winograd.ts), through our wasm Conv2D: every output within
// its float32 forward error bound of float64, the same bits on a rerun, not the direct kernel's
// bits (so it ran); its gradient and Hessian-vector product against float64 finite differences.
import { ok, strictEqual } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import {
  conv2dKernel,
  WINOGRAD_MIN_BLOCKS,
  winogradApplies,
} from "../../lib/tensor/conv_kernel.ts";
import { conv, convInput, geom } from "./_reference.ts";
import { values } from "./_numeric.ts";
import { type Case, reference, stock, viaTf, winogradCases } from "./_conv.ts";

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

Deno.test("winograd: F(2x2, 3x3) outputs within its float32 error bound of float64", async () => {
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

Deno.test("winograd: the layers' gradient and Hessian-vector product match float64 finite differences", async () => {
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
