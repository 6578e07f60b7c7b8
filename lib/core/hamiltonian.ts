/**
 * Hamiltonian systems: the equations, kept apart from the solvers.
 *
 * Hamilton's equations: `dq/dt = dH/dp`, `dp/dt = -dH/dq`.
 *
 * @module
 */
import type { Endomorphism } from "../deps/fp.ts";
import type { Phase } from "./phase.ts";

/**
 * A general Hamiltonian `H(q, p)` over coordinates `V`, given by its gradients and its value
 * (the energy, of type `E`: a number for float64 systems, a tensor for learned ones).
 *
 * @example
 * ```ts
 * import { hamiltonian, phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * // H = (q^2 + 1)(p^2 + 1) / 2, not separable
 * const h = hamiltonian<Float64Array>({
 *   dHdq: (s) => s.q.map((q, i) => q * (s.p[i] ** 2 + 1)),
 *   dHdp: (s) => s.p.map((p, i) => p * (s.q[i] ** 2 + 1)),
 *   energy: (s) => ((s.q[0] ** 2 + 1) * (s.p[0] ** 2 + 1)) / 2,
 * });
 * strictEqual(h.energy(phase(Float64Array.of(1), Float64Array.of(1))), 2);
 * strictEqual(h.separable, false);
 * ```
 */
export interface Hamiltonian<V, E = number> {
  readonly separable: boolean;
  /** `dH/dq` at a state */
  readonly dHdq: (s: Phase<V>) => V;
  /** `dH/dp` at a state */
  readonly dHdp: (s: Phase<V>) => V;
  /** `H` at a state */
  readonly energy: (s: Phase<V>) => E;
}

/**
 * A separable Hamiltonian `H(q, p) = K(p) + V(q)`: explicit symplectic integrators need only
 * `dK/dp` and `dV/dq`. Law: `dHdq(s) = dV(s.q)`, `dHdp(s) = dK(s.p)`.
 *
 * @example
 * ```ts
 * import { separable, phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const h = separable<Float64Array>({
 *   kinetic: (p) => p[0] ** 2 / 2, potential: (q) => q[0] ** 2 / 2,
 *   dK: (p) => p.slice(), dV: (q) => q.slice(),
 *   add: (a, b) => a + b,
 * });
 * strictEqual(h.energy(phase(Float64Array.of(1), Float64Array.of(1))), 1);
 * ```
 */
export interface Separable<V, E = number> extends Hamiltonian<V, E> {
  readonly separable: true;
  /** `dK/dp` */
  readonly dK: (p: V) => V;
  /** `dV/dq` */
  readonly dV: (q: V) => V;
  /** kinetic energy `K(p)` */
  readonly kinetic: (p: V) => E;
  /** potential energy `V(q)` */
  readonly potential: (q: V) => E;
}

/**
 * Builds a general (not assumed separable) {@link Hamiltonian} from its gradients and energy.
 *
 * @example
 * ```ts
 * import { hamiltonian, phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const h = hamiltonian<Float64Array>({
 *   dHdq: (s) => s.q.slice(), dHdp: (s) => s.p.slice(),
 *   energy: (s) => (s.q[0] ** 2 + s.p[0] ** 2) / 2,
 * });
 * strictEqual(h.dHdp(phase(Float64Array.of(0), Float64Array.of(3)))[0], 3);
 * ```
 */
export const hamiltonian = <V, E = number>(
  h: Omit<Hamiltonian<V, E>, "separable">,
): Hamiltonian<V, E> => ({ separable: false, ...h });

/** What {@link separable} needs: the two parts, their gradients and how to add energies. */
export interface SeparableParts<V, E = number> {
  readonly kinetic: (p: V) => E;
  readonly potential: (q: V) => E;
  readonly dK: (p: V) => V;
  readonly dV: (q: V) => V;
  /** adds two energies (`(a, b) => a + b` for numbers, `tf.add` for tensors) */
  readonly add: (a: E, b: E) => E;
}

/**
 * Builds a {@link Separable} Hamiltonian `K(p) + V(q)`.
 *
 * @example
 * ```ts
 * import { separable, phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const h = separable<Float64Array>({
 *   kinetic: (p) => p[0] ** 2, potential: (q) => q[0] ** 2,
 *   dK: (p) => p.map((x) => 2 * x), dV: (q) => q.map((x) => 2 * x),
 *   add: (a, b) => a + b,
 * });
 * strictEqual(h.dHdq(phase(Float64Array.of(3), Float64Array.of(0)))[0], 6);
 * ```
 */
export const separable = <V, E = number>(parts: SeparableParts<V, E>): Separable<V, E> => ({
  separable: true,
  kinetic: parts.kinetic,
  potential: parts.potential,
  dK: parts.dK,
  dV: parts.dV,
  dHdq: (s) => parts.dV(s.q),
  dHdp: (s) => parts.dK(s.p),
  energy: (s) => parts.add(parts.kinetic(s.p), parts.potential(s.q)),
});

/**
 * Hamilton's vector field `(dH/dp, -dH/dq)` at a state, as a {@link Phase} of velocities.
 *
 * @example
 * ```ts
 * import { float64Space, hamiltonian, phase, vectorField } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * const h = hamiltonian<Float64Array>({
 *   dHdq: (s) => s.q.slice(), dHdp: (s) => s.p.slice(), energy: () => 0,
 * });
 * const v = vectorField(float64Space, h)(phase(Float64Array.of(1), Float64Array.of(2)));
 * deepStrictEqual([v.q[0], v.p[0]], [2, -1]);
 * ```
 */
export const vectorField = <V, E>(
  space: { readonly scale: (a: V, k: number) => V },
  h: Hamiltonian<V, E>,
): Endomorphism<Phase<V>> =>
(s: Phase<V>): Phase<V> => ({ q: h.dHdp(s), p: space.scale(h.dHdq(s), -1) });
