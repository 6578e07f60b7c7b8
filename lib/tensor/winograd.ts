/**
 * Winograd's minimal filtering F(2x2, 3x3) for stride-1 3x3 convolutions: each 2x2 block of
 * output pixels is `A^T [ (G g G^T) ⊙ (B^T d B) ] A` summed over input channels, where `d` is
 * the 4x4 input patch and `g` the 3x3 filter: 16 multiplies per output block and channel pair
 * instead of 36 (Lavin and Gray, 2016). With the 16 products batched over many blocks, the
 * multiplies are 16 matrix products `[blocks x ci] [ci x co]`, run by our direct kernel as 1x1
 * convolutions (lib/tensor/conv_kernel.ts); the transforms below are emitted as wasm SIMD, four
 * channels per vector.
 *
 * ```
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
 * A^T = [1 1 1 0; 0 1 -1 -1]
 * ```
 *
 * @module
 */
import { Code, I32, V128 } from "./wasm_emit.ts";

/** Output blocks (2x2 pixels each) per batch of the 16 matrix products. */
export const WINOGRAD_BLOCKS = 64;

/**
 * The 16 transformed filters `U_ξν = (G g G^T)_ξν`, each `[ci][co]` row-major, for the filter
 * `[3, 3, ci, co]` (computed in float64, rounded once).
 */
export const winogradFilters = (w: Float32Array, ci: number, co: number): Float32Array[] => {
  const u = Array.from({ length: 16 }, () => new Float32Array(ci * co));
  const g = new Float64Array(9);
  const t = new Float64Array(12);
  for (let i = 0; i < ci; i++) {
    for (let o = 0; o < co; o++) {
      for (let k = 0; k < 9; k++) g[k] = w[k * ci * co + i * co + o];
      // t = G g (4x3), then U = t G^T (4x4)
      for (let c = 0; c < 3; c++) {
        const [g0, g1, g2] = [g[c], g[3 + c], g[6 + c]];
        t[c] = g0;
        t[3 + c] = (g0 + g1 + g2) / 2;
        t[6 + c] = (g0 - g1 + g2) / 2;
        t[9 + c] = g2;
      }
      for (let r = 0; r < 4; r++) {
        const [t0, t1, t2] = [t[3 * r], t[3 * r + 1], t[3 * r + 2]];
        const row = [t0, (t0 + t1 + t2) / 2, (t0 - t1 + t2) / 2, t2];
        for (let c = 0; c < 4; c++) u[4 * r + c][i * co + o] = row[c];
      }
    }
  }
  return u;
};

/**
 * `input(x, v, count)`: the input transforms `V = B^T d B` of `count` consecutive blocks along
 * one row, the first patch at byte address `x` of an input `wx` pixels wide with `ci` channels
 * (a multiple of 4); block `j`'s 16 values of channel `c` go to `v + ((ξν * blocks + j) * ci +
 * c) * 4`.
 */
export const emitWinogradInput = (ci: number, wx: number, blocks = WINOGRAD_BLOCKS): Code => {
  const c = new Code(3);
  const [X, VP, COUNT] = [0, 1, 2];
  const j = c.local(I32), q = c.local(I32), px = c.local(I32), pv = c.local(I32);
  const d = Array.from({ length: 16 }, () => c.local(V128));
  const t = Array.from({ length: 16 }, () => c.local(V128));
  const f = 4;
  /** `a + b` or `a - b` of vector locals, on the stack */
  const bin = (a: number, b: number, add: boolean) =>
    add ? c.get(a).get(b).f32x4Add() : c.get(a).get(b).f32x4Sub();
  c.get(X).set(px).get(VP).set(pv);
  c.forLocal(j, COUNT, () => {
    c.forRange(q, ci / 4, () => {
      for (let r = 0; r < 4; r++) {
        for (let k = 0; k < 4; k++) c.get(px).v128Load((r * wx + k) * ci * f).set(d[4 * r + k]);
      }
      // t = B^T d: rows 0-3 of t from rows of d
      for (let k = 0; k < 4; k++) {
        bin(d[k], d[8 + k], false).set(t[k]);
        bin(d[4 + k], d[8 + k], true).set(t[4 + k]);
        bin(d[8 + k], d[4 + k], false).set(t[8 + k]);
        bin(d[4 + k], d[12 + k], false).set(t[12 + k]);
      }
      // V = t B: columns of each row of t, stored as they are made
      for (let r = 0; r < 4; r++) {
        const [t0, t1, t2, t3] = [t[4 * r], t[4 * r + 1], t[4 * r + 2], t[4 * r + 3]];
        const parts: [number, number, boolean][] = [
          [t0, t2, false],
          [t1, t2, true],
          [t2, t1, false],
          [t1, t3, false],
        ];
        parts.forEach(([a, b, add], k) => {
          c.get(pv);
          bin(a, b, add).v128Store((4 * r + k) * blocks * ci * f);
        });
      }
      c.bump(px, 16).bump(pv, 16);
    });
    c.bump(px, ci * f); // the next block's patch starts 2 pixels right
  });
  return c;
};

/**
 * `output(m, y, count)`: the output transforms `Y = A^T M A` of `count` consecutive blocks
 * along one block row, block `j`'s products of channel `c` at `m + ((ξν * blocks + j) * co + c)
 * * 4`, its 2x2 pixels written to the output (`ow` pixels wide, `co` channels, a multiple of 4)
 * from byte address `y`.
 */
export const emitWinogradOutput = (co: number, ow: number, blocks = WINOGRAD_BLOCKS): Code => {
  const c = new Code(3);
  const [MP, Y, COUNT] = [0, 1, 2];
  const j = c.local(I32), q = c.local(I32), pm = c.local(I32), py = c.local(I32);
  const m = Array.from({ length: 16 }, () => c.local(V128));
  const s = Array.from({ length: 8 }, () => c.local(V128));
  const f = 4;
  const add = () => c.f32x4Add();
  const sub = () => c.f32x4Sub();
  c.get(MP).set(pm).get(Y).set(py);
  c.forLocal(j, COUNT, () => {
    c.forRange(q, co / 4, () => {
      for (let k = 0; k < 16; k++) c.get(pm).v128Load(k * blocks * co * f).set(m[k]);
      // s = A^T M (2x4): s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (rows)
      for (let k = 0; k < 4; k++) {
        c.get(m[k]).get(m[4 + k]);
        add();
        c.get(m[8 + k]);
        add();
        c.set(s[k]);
        c.get(m[4 + k]).get(m[8 + k]);
        sub();
        c.get(m[12 + k]);
        sub();
        c.set(s[4 + k]);
      }
      // Y = s A (2x2)
      for (let r = 0; r < 2; r++) {
        const [s0, s1, s2, s3] = [s[4 * r], s[4 * r + 1], s[4 * r + 2], s[4 * r + 3]];
        c.get(py).get(s0).get(s1);
        add();
        c.get(s2);
        add();
        c.v128Store((r * ow) * co * f);
        c.get(py).get(s1).get(s2);
        sub();
        c.get(s3);
        sub();
        c.v128Store((r * ow + 1) * co * f);
      }
      c.bump(pm, 16).bump(py, 16);
    });
    c.bump(py, co * f); // the next block starts 2 pixels right
  });
  return c;
};
