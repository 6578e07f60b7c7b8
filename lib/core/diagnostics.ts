/**
 * Diagnostics of float64 maps: Jacobians by central differences, determinants, the symplectic
 * defect `J^T Omega J - Omega`, and energy error along a trajectory.
 *
 * @module
 */
import type { Endomorphism } from "../deps/fp.ts";
import { flatten, type Phase, unflatten } from "./phase.ts";

/**
 * The Jacobian of a map of float64 phase space at `s`, by central differences with step `eps`,
 * as a row-major `n x n` matrix over the flattened `[q, p]` coordinates.
 *
 * @example
 * ```ts
 * import { jacobian, phase } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * const J = jacobian((s) => phase(s.p, s.q.map((x) => -x)), phase(Float64Array.of(1), Float64Array.of(2)));
 * ok(Math.abs(J[1] - 1) < 1e-9 && Math.abs(J[2] + 1) < 1e-9);
 * ```
 */
export const jacobian = (
  f: Endomorphism<Phase<Float64Array>>,
  s: Phase<Float64Array>,
  eps = 1e-6,
): Float64Array => {
  const x = flatten(s);
  const n = x.length;
  const J = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const xp = x.slice();
    const xm = x.slice();
    const h = eps * Math.max(1, Math.abs(x[j]));
    xp[j] += h;
    xm[j] -= h;
    const fp = flatten(f(unflatten(xp)));
    const fm = flatten(f(unflatten(xm)));
    for (let i = 0; i < n; i++) J[i * n + j] = (fp[i] - fm[i]) / (xp[j] - xm[j]);
  }
  return J;
};

/**
 * The determinant of a row-major `n x n` matrix (LU with partial pivoting).
 *
 * @example
 * ```ts
 * import { determinant } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(determinant(Float64Array.of(2, 0, 0, 3)), 6);
 * ```
 */
export const determinant = (m: Float64Array): number => {
  const n = Math.round(Math.sqrt(m.length));
  if (n * n !== m.length) {
    throw new RangeError(`determinant: not a square matrix (${m.length} entries)`);
  }
  const a = m.slice();
  let det = 1;
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[piv * n + k])) piv = i;
    if (a[piv * n + k] === 0) return 0;
    if (piv !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j];
        a[k * n + j] = a[piv * n + j];
        a[piv * n + j] = t;
      }
      det = -det;
    }
    const d = a[k * n + k];
    det *= d;
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k] / d;
      for (let j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return det;
};

/**
 * The largest entry of `|J^T Omega J - Omega|`, `Omega = [[0, I], [-I, 0]]`: zero exactly when
 * the linear map `J` is symplectic.
 *
 * @example
 * ```ts
 * import { symplecticDefect } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(symplecticDefect(Float64Array.of(1, 0, 0, 1)), 0);
 * strictEqual(symplecticDefect(Float64Array.of(2, 0, 0, 1)), 1);
 * ```
 */
export const symplecticDefect = (J: Float64Array): number => {
  const n = Math.round(Math.sqrt(J.length));
  if (n * n !== J.length || n % 2 !== 0) {
    throw new RangeError(
      `symplecticDefect: needs a square matrix of even size (q and p), got ${J.length} entries`,
    );
  }
  const d = n / 2;
  const omega = (i: number, j: number) => (j === i + d ? 1 : i === j + d ? -1 : 0);
  // (Omega J)[k][j] = sum_l Omega[k][l] J[l][j]
  const OJ = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      OJ[k * n + j] = k < d ? J[(k + d) * n + j] : -J[(k - d) * n + j];
    }
  }
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += J[k * n + i] * OJ[k * n + j];
      worst = Math.max(worst, Math.abs(s - omega(i, j)));
    }
  }
  return worst;
};

/**
 * Absolute energy error `|H(s_t) - H(s_0)|` along a trajectory.
 *
 * @example
 * ```ts
 * import { energyError, phase } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * const traj = [phase(Float64Array.of(1), Float64Array.of(0)), phase(Float64Array.of(0), Float64Array.of(2))];
 * deepStrictEqual(energyError((s) => s.q[0] ** 2 + s.p[0] ** 2, traj), [0, 3]);
 * ```
 */
export const energyError = (
  energy: (s: Phase<Float64Array>) => number,
  trajectory: readonly Phase<Float64Array>[],
): number[] => {
  const e0 = energy(trajectory[0]);
  return trajectory.map((s) => Math.abs(energy(s) - e0));
};
