/**
 * The ideal pendulum (paper section 4).
 *
 * @module
 */
import { separable } from "../core/hamiltonian.ts";
import { circleSample, type SeparableSystem } from "./system.ts";

/** Parameters of {@link pendulum}; the paper's are the defaults. */
export interface PendulumConfig {
  /** bob mass (paper: 0.5) */
  readonly m?: number;
  /** gravity (paper: 3) */
  readonly g?: number;
  /** length (paper: 1) */
  readonly l?: number;
  /** sampler radius range (paper: [1.3, 2.3]) */
  readonly radius?: readonly [number, number];
}

/**
 * Pendulum `H = m g l (1 - cos q) + p^2 / (2 m l^2)` (the reference code's potential; the OCR of
 * the paper reads a stray factor 2), `m = 0.5`, `g = 3`, `l = 1`. Initial states uniform on the
 * circle of radius `r ~ U(1.3, 2.3)` in `(q, p)`. Only the bob is drawn, at
 * `(l sin q, -l cos q)`.
 *
 * @example
 * ```ts
 * import { pendulum } from "@hamiltonian/hgn/systems";
 * import { phase } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * const e = pendulum().hamiltonian.energy(phase(Float64Array.of(Math.PI), Float64Array.of(0)));
 * ok(Math.abs(e - 3) < 1e-12); // m g l (1 - cos pi) = 0.5 * 3 * 2
 * ```
 */
export const pendulum = (config: PendulumConfig = {}): SeparableSystem => {
  const m = config.m ?? 0.5;
  const g = config.g ?? 3;
  const l = config.l ?? 1;
  const radius = config.radius ?? [1.3, 2.3];
  return {
    name: "pendulum",
    dim: 1,
    params: { m, g, l },
    hamiltonian: separable<Float64Array>({
      kinetic: (p) => (p[0] * p[0]) / (2 * m * l * l),
      potential: (q) => m * g * l * (1 - Math.cos(q[0])),
      dK: (p) => Float64Array.of(p[0] / (m * l * l)),
      dV: (q) => Float64Array.of(m * g * l * Math.sin(q[0])),
      add: (a, b) => a + b,
    }),
    radius,
    sample: (rng) => circleSample(rng, radius),
    bodies: 1,
    positions: (q) => Float64Array.of(l * Math.sin(q[0]), -l * Math.cos(q[0])),
    extent: l * 1.25,
  };
};
