/**
 * Our own `Softplus` for the wasm backend: `softplus(x) = log(1 + e^x)` in wasm SIMD, four floats
 * at a time, emitted by lib/tensor/wasm_emit.ts.
 *
 * tfjs-backend-wasm 4.22's kernel is scalar C++, about 15 ns a float (10x its `Sigmoid`), and it
 * is 44% of NHF's density evaluation, whose energies are softplus MLPs. It is also less exact than
 * it could be: up to 7 float32 ulps off near `x = -14` (measured against float64).
 *
 * Ours is `max(x, 0) + log1p(e^{-|x|})`, which never overflows and is accurate over the whole line:
 * - `t = e^y` for `y = -|x|` (clamped at -104, where `e^y` is below float32's smallest
 *   subnormal): `y = n ln2 + r` with `n = round(y / ln2)` and `|r| <= ln2 / 2` (Cody-Waite: `ln2` in
 *   a high part whose product with `n` is exact, and a low part), `e^r` by its Taylor polynomial
 *   to `r^7 / 7!` (truncation below 5.2e-9 relative), times `2^n` as two exponent-bit scalings
 *   `2^{n1} 2^{n2}` so that subnormal results round once, correctly.
 * - `log1p(t)` for `0 <= t <= 1`: `1 + t = 2^k m` with `f = m - 1` taken exactly (`f = t` when
 *   `t < 1/2`, else `k = 1` and `f = (t - 1) / 2`, exact by Sterbenz's lemma), then
 *   `log(1 + f) = 2 atanh(s)`, `s = f / (2 + f)`, `|s| <= 1/5`, by its series to `s^9 / 9`
 *   (truncation below 1e-8 relative), plus `k ln2`.
 *
 * Plain (unfused) multiplies and adds throughout, so the bits are the same on every engine and
 * machine; within 3 float32 ulps of the exact softplus everywhere, subnormals included (measured
 * worst 2.3; tests/tensor/softplus_kernel_test.ts checks it against float64 on every range). About
 * 3 ns a float on the project's Xeon, 5x the stock kernel; inputs below -87, whose softplus is
 * subnormal, are as slow as subnormal arithmetic is on the host, in ours as in the stock kernel.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { Code, compileOn, I32, V128 } from "./wasm_emit.ts";
import {
  type ElementwiseFunction,
  elementwiseKernel,
  emitOverlappingSteps,
} from "./elementwise.ts";

/** How many Taylor terms of `e^r` the kernel sums (`1 + r + ... + r^7 / 7!`). */
export const SOFTPLUS_EXP_TERMS = 8;

/** Vectors of 4 floats per step of the kernel's loop, interleaved so their latencies overlap. */
export const SOFTPLUS_VECTORS = 4;

const factorialOf = (k: number): number => (k <= 1 ? 1 : k * factorialOf(k - 1));

const MAGIC = 1.5 * 2 ** 23; // bits 0x4b400000: adding it rounds |v| < 2^22 to an integer

const LN2_HI = 0.693145751953125; // 15 significant bits: n * LN2_HI is exact for |n| < 2^9
const LN2_LO = 1.4286068203094173e-6;

/**
 * The function `softplus(x, y, last)`: `y[i] = softplus(x[i])` for the floats at byte addresses
 * `x` and `y`, `4 * vectors` at a time, at byte offsets `0, 16 * vectors, ...` below `last` and
 * then at `last` itself (the last step's floats: `last = (n - 4 * vectors) * 4` for
 * `n >= 4 * vectors` floats; the overlap is computed twice, to the same bits). `expTerms`: the
 * Taylor terms of `e^r` (tests emit fewer, as a mutant).
 */
export const emitSoftplus = (expTerms = SOFTPLUS_EXP_TERMS, vectors = SOFTPLUS_VECTORS): Code => {
  const c = new Code(3);
  const [X, Y, LAST] = [0, 1, 2];
  const at = c.local(I32);
  // every constant in a local, set once before the loop (V8 builds a v128.const from scalar
  // moves at each use)
  const constants = new Map<number, number>();
  const K = (v: number): number => {
    let l = constants.get(v);
    if (l === undefined) constants.set(v, l = c.local(V128));
    return l;
  };
  const exp127 = c.local(V128), sign = c.local(V128), magicBits = c.local(V128);
  c.i32x4Const(127).set(exp127);
  c.i32x4Const(-0x80000000).set(sign);
  c.i32x4Const(0x4b400000).set(magicBits);
  const taylor = Array.from({ length: expTerms }, (_, k) => 1 / factorialOf(k));
  for (
    const v of [
      -104,
      40,
      MAGIC,
      Math.LOG2E,
      LN2_HI,
      LN2_LO,
      0.5,
      1,
      2,
      1 / 9,
      1 / 7,
      1 / 5,
      1 / 3,
      Math.LN2,
      0,
      ...taylor,
    ]
  ) {
    c.f32x4Const(v).set(K(v));
  }
  /** `vectors` independent lanes of work, each with its own locals, emitted step by step */
  const groups = Array.from({ length: vectors }, (_, g) => ({
    g,
    x: c.local(V128),
    y: c.local(V128),
    n: c.local(V128),
    r: c.local(V128),
    p: c.local(V128),
    ni: c.local(V128),
    n1: c.local(V128),
    t: c.local(V128),
    half: c.local(V128),
    f: c.local(V128),
    s: c.local(V128),
    z: c.local(V128),
  }));
  const each = (step: (v: (typeof groups)[number]) => void) => groups.forEach(step);
  /** `2^k` for the i32 lanes `k` on the stack (all in [-126, 127]) */
  const pow2 = () => c.get(exp127).i32x4Add().i32(23).i32x4Shl();
  const body = () => {
    each((v) => c.get(X).get(at).add().v128Load(16 * v.g).set(v.x));
    // y = -|x| clamped at -104 (x < 0) or -40 (x >= 0: e^-40 no longer changes x + log1p(e^-x),
    // and the positive side never computes in subnormals): max(-|x|, -104, min(x, 0) - 40)
    each((v) => {
      c.get(v.x).get(sign).v128Or().get(K(-104)).f32x4Pmax();
      c.get(v.x).get(K(0)).f32x4Pmin().get(K(40)).f32x4Sub().f32x4Pmax().set(v.y);
    });
    // m = y / ln2 + 1.5 2^23: n = m - 1.5 2^23 is the nearest integer, and m's low mantissa bits
    // hold it as an i32 (ni = bits(m) - bits(1.5 2^23))
    each((v) => c.get(v.y).get(K(Math.LOG2E)).f32x4Mul().get(K(MAGIC)).f32x4Add().set(v.ni));
    each((v) => c.get(v.ni).get(K(MAGIC)).f32x4Sub().set(v.n));
    each((v) => c.get(v.ni).get(magicBits).i32x4Sub().set(v.ni));
    each((v) => {
      c.get(v.y).get(v.n).get(K(LN2_HI)).f32x4Mul().f32x4Sub();
      c.get(v.n).get(K(LN2_LO)).f32x4Mul().f32x4Sub().set(v.r);
    });
    // p = e^r: Horner over 1/k!
    each((v) => c.get(K(taylor[expTerms - 1])).set(v.p));
    for (let k = expTerms - 2; k >= 0; k--) {
      each((v) => c.get(v.p).get(v.r).f32x4Mul().get(K(taylor[k])).f32x4Add().set(v.p));
    }
    // t = p 2^n1 2^n2, n1 = n >> 1, n2 = n - n1
    each((v) => c.get(v.ni).i32(1).i32x4ShrS().set(v.n1));
    each((v) => {
      c.get(v.p).get(v.n1);
      pow2();
      c.f32x4Mul().get(v.ni).get(v.n1).i32x4Sub();
      pow2();
      c.f32x4Mul().set(v.t);
    });
    // f = t (t < 1/2) or (t - 1) / 2; s = f / (2 + f); z = s^2
    each((v) => c.get(v.t).get(K(0.5)).f32x4Lt().set(v.half));
    each((v) =>
      c.get(v.t).get(v.t).get(K(1)).f32x4Sub().get(K(0.5)).f32x4Mul().get(v.half).v128Bitselect()
        .set(v.f)
    );
    each((v) => c.get(v.f).get(K(2)).get(v.f).f32x4Add().f32x4Div().set(v.s));
    each((v) => c.get(v.s).get(v.s).f32x4Mul().set(v.z));
    // log1p(t) = k ln2 + 2s (1 + z/3 + z^2/5 + z^3/7 + z^4/9), then + max(x, 0)
    each((v) => c.get(v.z).get(K(1 / 9)).f32x4Mul().get(K(1 / 7)).f32x4Add().set(v.y));
    for (const a of [1 / 5, 1 / 3]) {
      each((v) => c.get(v.y).get(v.z).f32x4Mul().get(K(a)).f32x4Add().set(v.y));
    }
    each((v) => c.get(v.y).get(v.z).f32x4Mul().set(v.z));
    each((v) => {
      c.get(v.s).get(v.s).f32x4Add().tee(v.s).get(v.s).get(v.z).f32x4Mul().f32x4Add();
      c.get(K(Math.LN2)).get(v.half).v128AndNot().f32x4Add();
      c.get(v.x).get(K(0)).f32x4Max().f32x4Add().set(v.y);
    });
    each((v) => c.get(Y).get(at).add().get(v.y).v128Store(16 * v.g));
  };
  return emitOverlappingSteps(c, at, LAST, 16 * vectors, body);
};

/** The compiled kernel on `memory` (`expTerms`: see {@link emitSoftplus}). */
export const softplusOn = (
  memory: WebAssembly.Memory,
  expTerms = SOFTPLUS_EXP_TERMS,
): ElementwiseFunction =>
  compileOn(memory, JSON.stringify(["softplus", expTerms]), () => [
    { name: "softplus", code: emitSoftplus(expTerms) },
  ]).softplus as ElementwiseFunction;

/**
 * `Softplus` on wasm by {@link emitSoftplus}; other dtypes go to the stock kernel. Fewer floats
 * than one step of the kernel run through a scratch buffer, so every size gets the same bits per
 * element.
 *
 * @example
 * ```ts
 * import { registerKernelFixes, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("wasm");
 * registerKernelFixes();
 * const y = await tf.softplus(tf.tensor1d([-200, -20, 0, 3, 200])).data();
 * const exact = [0, 2.061153622438558e-9, Math.LN2, 3.048587351573742, 200];
 * ok(exact.every((v, i) => Math.abs(y[i] - v) <= 3 * 2 ** -23 * v));
 * ```
 */
export const softplusKernel = (fallback: tf.KernelConfig): tf.KernelFunc =>
  elementwiseKernel(fallback, 4 * SOFTPLUS_VECTORS, (memory) => softplusOn(memory));
