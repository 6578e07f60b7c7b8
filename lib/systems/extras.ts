/**
 * Systems that are not in the paper, for wider tests and examples.
 *
 * @module
 */
import { hamiltonian, separable } from "../core/hamiltonian.ts";
import type { Phase } from "../core/phase.ts";
import { circleSample, type SeparableSystem, type System } from "./system.ts";

/**
 * Henon-Heiles, a chaotic separable system in the plane:
 * `H = (px^2 + py^2) / 2 + (x^2 + y^2) / 2 + x^2 y - y^3 / 3`. Initial states uniform on the
 * 3-sphere of radius `r ~ U(0.1, 0.45)` in `(x, y, px, py)`, below the escape energy 1/6.
 * One body drawn at `(x, y)`.
 *
 * @example
 * ```ts
 * import { henonHeiles } from "@hamiltonian/hgn/systems";
 * import { phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(henonHeiles().hamiltonian.energy(phase(Float64Array.of(0, 1), Float64Array.of(0, 0))), 0.5 - 1 / 3);
 * ```
 */
export const henonHeiles = (): SeparableSystem => {
  const radius: readonly [number, number] = [0.1, 0.45];
  return {
    name: "henon-heiles",
    dim: 2,
    params: {},
    hamiltonian: separable<Float64Array>({
      kinetic: (p) => (p[0] * p[0] + p[1] * p[1]) / 2,
      potential: (q) => {
        const [x, y] = q;
        return (x * x + y * y) / 2 + x * x * y - (y * y * y) / 3;
      },
      dK: (p) => p.slice(),
      dV: (q) => {
        const [x, y] = q;
        return Float64Array.of(x + 2 * x * y, y + x * x - y * y);
      },
      add: (a, b) => a + b,
    }),
    radius,
    sample: (rng): Phase<Float64Array> => {
      const r = rng.uniform(radius[0], radius[1]);
      const z = [rng.normal(), rng.normal(), rng.normal(), rng.normal()];
      const norm = Math.hypot(...z);
      const u = z.map((v) => (r * v) / norm);
      return { q: Float64Array.of(u[0], u[1]), p: Float64Array.of(u[2], u[3]) };
    },
    bodies: 1,
    positions: (q) => q.slice(),
    extent: 1,
  };
};

/**
 * A non-separable oscillator, `H = (q^2 + 1)(p^2 + 1) / 2` (a standard test for non-separable
 * integrators: level sets are closed curves). Initial states uniform on the circle of radius
 * `r ~ U(0.5, 1.5)`. One body drawn at `(q, 0)`.
 *
 * @example
 * ```ts
 * import { nonSeparable } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(nonSeparable().hamiltonian.separable, false);
 * ```
 */
export const nonSeparable = (): System => {
  const radius: readonly [number, number] = [0.5, 1.5];
  return {
    name: "non-separable",
    dim: 1,
    params: {},
    hamiltonian: hamiltonian<Float64Array>({
      dHdq: (s) => Float64Array.of(s.q[0] * (s.p[0] * s.p[0] + 1)),
      dHdp: (s) => Float64Array.of(s.p[0] * (s.q[0] * s.q[0] + 1)),
      energy: (s) => ((s.q[0] * s.q[0] + 1) * (s.p[0] * s.p[0] + 1)) / 2,
    }),
    radius,
    sample: (rng) => circleSample(rng, radius),
    bodies: 1,
    positions: (q) => Float64Array.of(q[0], 0),
    extent: 2.5,
  };
};
