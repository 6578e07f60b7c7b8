/**
 * Vector spaces: the small dictionary every integrator is written against, so the same code runs
 * on float64 arrays (exact tests, ground truth) and on tensors (training).
 *
 * @module
 */

/**
 * A real vector space over `V`, passed explicitly as a dictionary (fp-ts style).
 *
 * Laws (up to floating point): `add` is associative and commutative, `scale(v, 1) = v`,
 * `axpy(a, x, y) = add(y, scale(x, a))`, `sub(a, b) = add(a, scale(b, -1))`.
 * `normInf` is optional: spaces whose values live on a device (tensors) may leave it out, and
 * implicit integrators then run a fixed number of iterations instead of testing convergence.
 *
 * @example
 * ```ts
 * import { float64Space } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * const v = float64Space.axpy(2, Float64Array.of(1, 2), Float64Array.of(10, 20));
 * deepStrictEqual(Array.from(v), [12, 24]);
 * ```
 */
export interface VectorSpace<V> {
  /** `a + b` */
  readonly add: (a: V, b: V) => V;
  /** `a - b` */
  readonly sub: (a: V, b: V) => V;
  /** `k * a` */
  readonly scale: (a: V, k: number) => V;
  /** `a * x + y`, the fused update every explicit integrator is made of */
  readonly axpy: (a: number, x: V, y: V) => V;
  /** the largest absolute entry, when it can be read synchronously */
  readonly normInf?: (a: V) => number;
}

/**
 * The float64 instance of {@link VectorSpace}: plain `Float64Array`s, new arrays out, inputs
 * never mutated. Lengths must match (not checked in the hot path; settings are validated at the
 * edges with {@link validateFlowSettings}).
 *
 * @example
 * ```ts
 * import { float64Space } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(float64Space.normInf!(Float64Array.of(1, -3, 2)), 3);
 * ```
 */
export const float64Space: VectorSpace<Float64Array> = {
  add: (a, b) => {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
    return out;
  },
  sub: (a, b) => {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
    return out;
  },
  scale: (a, k) => {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = k * a[i];
    return out;
  },
  axpy: (k, x, y) => {
    const out = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) out[i] = k * x[i] + y[i];
    return out;
  },
  normInf: (a) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) {
      const v = Math.abs(a[i]);
      if (v > m || Number.isNaN(v)) m = v;
    }
    return m;
  },
};
