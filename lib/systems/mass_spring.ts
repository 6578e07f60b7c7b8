/**
 * The ideal mass-spring (paper section 4).
 *
 * @module
 */
import { separable } from "../core/hamiltonian.ts";
import { phase } from "../core/phase.ts";
import { circleSample, type SeparableSystem } from "./system.ts";

/** Parameters of {@link massSpring}; the paper's are the defaults. */
export interface MassSpringConfig {
  /** spring constant (paper: 2) */
  readonly k?: number;
  /** mass (paper: 0.5) */
  readonly m?: number;
  /** sampler radius range (paper: [0.1, 1.0]) */
  readonly radius?: readonly [number, number];
}

/**
 * Mass-spring `H = k q^2 / 2 + p^2 / (2 m)`, `k = 2`, `m = 0.5` by default. Initial states
 * uniform on the circle of radius `r ~ U(0.1, 1.0)` in `(q, p)`. Exact solution: harmonic
 * motion with `omega = sqrt(k / m)`. The mass is drawn at `(q, 0)`.
 *
 * @example
 * ```ts
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const ms = massSpring();
 * strictEqual(ms.hamiltonian.energy(phase(Float64Array.of(1), Float64Array.of(1))), 2);
 * ```
 */
export const massSpring = (config: MassSpringConfig = {}): SeparableSystem => {
  const k = config.k ?? 2;
  const m = config.m ?? 0.5;
  const radius = config.radius ?? [0.1, 1.0];
  const omega = Math.sqrt(k / m);
  return {
    name: "mass-spring",
    dim: 1,
    params: { k, m },
    hamiltonian: separable<Float64Array>({
      kinetic: (p) => (p[0] * p[0]) / (2 * m),
      potential: (q) => (k * q[0] * q[0]) / 2,
      dK: (p) => Float64Array.of(p[0] / m),
      dV: (q) => Float64Array.of(k * q[0]),
      add: (a, b) => a + b,
    }),
    radius,
    sample: (rng) => circleSample(rng, radius),
    bodies: 1,
    positions: (q) => Float64Array.of(q[0], 0),
    // amplitude^2 = q0^2 + p0^2 / (k m) <= r^2 max(1, 1 / (k m)), plus a margin.
    extent: 1.25 * radius[1] * Math.max(1, 1 / Math.sqrt(k * m)),
    exact: (s0, t) => {
      const c = Math.cos(omega * t);
      const s = Math.sin(omega * t);
      const q0 = s0.q[0];
      const p0 = s0.p[0];
      return phase(
        Float64Array.of(q0 * c + (p0 / (m * omega)) * s),
        Float64Array.of(p0 * c - q0 * m * omega * s),
      );
    },
  };
};
