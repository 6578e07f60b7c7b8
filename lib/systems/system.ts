/**
 * What a physical system offers: its analytic Hamiltonian over float64 arrays, its parameters,
 * the paper's initial-state sampler, where its bodies are (for rendering), and, when known, the
 * exact solution.
 *
 * @module
 */
import type { Hamiltonian, Separable } from "../core/hamiltonian.ts";
import type { Phase } from "../core/phase.ts";
import type { Random } from "../core/random.ts";

/**
 * An analytic Hamiltonian system on float64 arrays; `H` records whether it is separable.
 *
 * @example
 * ```ts
 * import { massSpring, type System } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * const s: System = massSpring();
 * strictEqual(s.dim, 1);
 * ```
 */
export interface System<H extends Hamiltonian<Float64Array> = Hamiltonian<Float64Array>> {
  /** identifier, e.g. `"mass-spring"` */
  readonly name: string;
  /** number of position coordinates (length of `q` and of `p`) */
  readonly dim: number;
  /** physical parameters, as used */
  readonly params: Readonly<Record<string, number>>;
  /** the Hamiltonian, analytic gradients included */
  readonly hamiltonian: H;
  /** the range `[a, b)` of the sampler's radius `r ~ U(a, b)` */
  readonly radius: readonly [number, number];
  /** draws an initial state as the paper does (see each system) */
  readonly sample: (rng: Random) => Phase<Float64Array>;
  /** number of drawn bodies */
  readonly bodies: number;
  /** 2-D positions of the bodies for a state, `[x0, y0, x1, y1, ...]`, in scene units */
  readonly positions: (q: Float64Array) => Float64Array;
  /** half-width of a square scene, centred at 0, that holds every body of typical trajectories */
  readonly extent: number;
  /** the exact flow for time `t`, when it is known in closed form */
  readonly exact?: (s0: Phase<Float64Array>, t: number) => Phase<Float64Array>;
}

/**
 * A point uniform on the circle of radius `r ~ U(a, b)` in the `(q, p)` plane.
 *
 * @example
 * ```ts
 * import { circleSample } from "@hamiltonian/hgn/systems";
 * import { random } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * const s = circleSample(random(1), [1, 2]);
 * const r = Math.hypot(s.q[0], s.p[0]);
 * ok(r >= 1 && r < 2);
 * ```
 */
export const circleSample = (
  rng: Random,
  [a, b]: readonly [number, number],
): Phase<Float64Array> => {
  const r = rng.uniform(a, b);
  const th = rng.uniform(0, 2 * Math.PI);
  return { q: Float64Array.of(r * Math.cos(th)), p: Float64Array.of(r * Math.sin(th)) };
};

/** A system whose Hamiltonian is separable, `K(p) + V(q)`. */
export type SeparableSystem = System<Separable<Float64Array>>;
