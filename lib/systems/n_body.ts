/**
 * Gravitational n-body systems in the plane (paper section 4: two-body and three-body).
 *
 * @module
 */
import { separable } from "../core/hamiltonian.ts";
import type { Phase } from "../core/phase.ts";
import type { SeparableSystem } from "./system.ts";

/**
 * `dV/dq` of `n` equal masses in the plane, written into `out` (zeroed first) and returned:
 * `dV/dq_i = sum_j g m^2 (q_i - q_j) / |q_i - q_j|^3`. Allocation-free, for hot loops.
 *
 * @example
 * ```ts
 * import { nBodyForce } from "@hamiltonian/hgn/systems";
 * import { deepStrictEqual } from "node:assert/strict";
 * const f = nBodyForce(Float64Array.of(1, 0, -1, 0), new Float64Array(4), 2, 1, 1);
 * deepStrictEqual(Array.from(f), [0.25, 0, -0.25, 0]);
 * ```
 */
export const nBodyForce = (
  q: Float64Array,
  out: Float64Array,
  n: number,
  m: number,
  g: number,
): Float64Array => {
  out.fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = q[2 * i] - q[2 * j];
      const dy = q[2 * i + 1] - q[2 * j + 1];
      const r2 = dx * dx + dy * dy;
      const c = (g * m * m) / (r2 * Math.sqrt(r2));
      out[2 * i] += c * dx;
      out[2 * i + 1] += c * dy;
      out[2 * j] -= c * dx;
      out[2 * j + 1] -= c * dy;
    }
  }
  return out;
};

/** Parameters of {@link nBody}. */
export interface NBodyConfig {
  /** number of bodies, >= 2 */
  readonly n: number;
  /** mass of every body (paper: 1) */
  readonly m?: number;
  /** gravitational constant (paper: 1) */
  readonly g?: number;
  /** orbit radius range `r ~ U(a, b)` */
  readonly radius: readonly [number, number];
  /**
   * relative velocity perturbation: each body's circular-orbit velocity is rotated and scaled by
   * independent normal draws of this standard deviation (default 0.05), after which the total
   * momentum is removed so the centre of mass stays at the origin
   */
  readonly velocityNoise?: number;
  /** name override */
  readonly name?: string;
}

/**
 * `n` bodies of equal mass in the plane, `q = [x0, y0, x1, y1, ...]`, `p` likewise:
 * `H = sum |p_i|^2 / (2 m) - sum_{i<j} g m^2 / |q_i - q_j|`.
 * Sampler ("near-circular orbits"): an orbit radius `r ~ U(a, b)` and a random phase put the
 * bodies evenly on the circle of radius `r` about the origin, each with the tangential speed of
 * the exact circular orbit, `v^2 = g m / (4 r) * sum_{k=1}^{n-1} 1 / sin(pi k / n)`, then perturbed
 * by `velocityNoise` (total momentum removed).
 *
 * @example
 * ```ts
 * import { nBody } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(nBody({ n: 4, radius: [1, 2] }).dim, 8);
 * ```
 */
export const nBody = (config: NBodyConfig): SeparableSystem => {
  const { n } = config;
  if (!Number.isInteger(n) || n < 2) {
    throw new RangeError(`nBody: n must be an integer >= 2, got ${n}`);
  }
  const m = config.m ?? 1;
  const g = config.g ?? 1;
  const noise = config.velocityNoise ?? 0.05;
  const radius = config.radius;
  let ringSum = 0;
  for (let k = 1; k < n; k++) ringSum += 1 / Math.sin((Math.PI * k) / n);
  const potential = (q: Float64Array) => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        v -= (g * m * m) / Math.hypot(q[2 * i] - q[2 * j], q[2 * i + 1] - q[2 * j + 1]);
      }
    }
    return v;
  };
  const dV = (q: Float64Array) => nBodyForce(q, new Float64Array(2 * n), n, m, g);
  return {
    name: config.name ?? `${n}-body`,
    dim: 2 * n,
    params: { n, m, g, velocityNoise: noise },
    hamiltonian: separable<Float64Array>({
      kinetic: (p) => {
        let t = 0;
        for (let i = 0; i < p.length; i++) t += p[i] * p[i];
        return t / (2 * m);
      },
      potential,
      dK: (p) => p.map((x) => x / m),
      dV,
      add: (a, b) => a + b,
    }),
    radius,
    sample: (rng): Phase<Float64Array> => {
      const r = rng.uniform(radius[0], radius[1]);
      const phase0 = rng.uniform(0, 2 * Math.PI);
      const v = Math.sqrt(((g * m) / (4 * r)) * ringSum);
      const q = new Float64Array(2 * n);
      const p = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        const th = phase0 + (2 * Math.PI * i) / n;
        q[2 * i] = r * Math.cos(th);
        q[2 * i + 1] = r * Math.sin(th);
        const rot = noise * rng.normal();
        const scale = 1 + noise * rng.normal();
        p[2 * i] = -m * v * scale * Math.sin(th + rot);
        p[2 * i + 1] = m * v * scale * Math.cos(th + rot);
      }
      for (let d = 0; d < 2; d++) {
        let mean = 0;
        for (let i = 0; i < n; i++) mean += p[2 * i + d] / n;
        for (let i = 0; i < n; i++) p[2 * i + d] -= mean;
      }
      return { q, p };
    },
    bodies: n,
    positions: (q) => q.slice(),
    extent: radius[1] * 1.6,
  };
};

/**
 * The paper's two-body system: `m = 1`, `g = 1`, orbit radius `r ~ U(0.5, 1.5)`.
 *
 * @example
 * ```ts
 * import { twoBody } from "@hamiltonian/hgn/systems";
 * import { random } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * const sys = twoBody();
 * ok(sys.hamiltonian.energy(sys.sample(random(0))) < 0); // bound orbit
 * ```
 */
export const twoBody = (config: Partial<Omit<NBodyConfig, "n">> = {}): SeparableSystem =>
  nBody({ name: "two-body", radius: [0.5, 1.5], ...config, n: 2 });

/**
 * The paper's three-body system: `m = 1`, `g = 1`, orbit radius `r ~ U(0.9, 1.2)`.
 *
 * @example
 * ```ts
 * import { threeBody } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(threeBody().bodies, 3);
 * ```
 */
export const threeBody = (config: Partial<Omit<NBodyConfig, "n">> = {}): SeparableSystem =>
  nBody({ name: "three-body", radius: [0.9, 1.2], ...config, n: 3 });
