/**
 * Flows: integrator steps as Readers over the time step `dt`, so time reversal and speed control
 * are `local` changes of `dt`, and rollouts that keep the trajectory.
 *
 * @module
 */
import { type Endomorphism, R } from "../deps/fp.ts";
import type { Hamiltonian } from "./hamiltonian.ts";
import { type Integrator, stepOf } from "./integrator.ts";
import { andThen, type Invertible } from "./invertible.ts";
import type { Phase } from "./phase.ts";
import type { VectorSpace } from "./vector_space.ts";

/**
 * A flow: given `dt`, an invertible one-step map of phase space.
 *
 * @example
 * ```ts
 * import { float64Space, flow, leapfrog, phase, type Flow } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const f: Flow<Float64Array> = flow(leapfrog, float64Space, massSpring().hamiltonian);
 * const s0 = phase(Float64Array.of(1), Float64Array.of(0));
 * ok(Math.abs(f(0.1).inverse(f(0.1).forward(s0)).q[0] - 1) < 1e-15);
 * ```
 */
export type Flow<V> = R.Reader<number, Invertible<Phase<V>>>;

/**
 * The flow of `integrator` on `h`: forward is `step(dt)`, inverse is `adjoint.step(-dt)` (for a
 * symmetric integrator, `step(-dt)` itself). Throws a `TypeError` for an integrator with no
 * known adjoint (rk4, paperLeapfrog): `-dt` does not invert those, and this library never claims
 * it does.
 *
 * @example
 * ```ts
 * import { float64Space, flow, rk4 } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { throws } from "node:assert/strict";
 * throws(() => flow(rk4, float64Space, massSpring().hamiltonian), TypeError);
 * ```
 */
export const flow = <V, E>(
  integrator: Integrator,
  space: VectorSpace<V>,
  h: Hamiltonian<V, E>,
): Flow<V> => {
  const adjoint = integrator.adjoint;
  if (!adjoint) {
    throw new TypeError(
      `integrator '${integrator.name}' has no known adjoint, so it has no exact inverse; use a symmetric or symplectic-Euler integrator for invertible flows`,
    );
  }
  // Validate separability once, up front.
  stepOf(integrator, space, h, 0);
  return (dt) => ({
    forward: stepOf(integrator, space, h, dt),
    inverse: stepOf(adjoint, space, h, -dt),
  });
};

/**
 * Time reversal: `local(dt => -dt)`. For a symmetric integrator the reversed forward map is the
 * original inverse.
 *
 * @example
 * ```ts
 * import { float64Space, flow, leapfrog, phase, reversed } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const f = flow(leapfrog, float64Space, massSpring().hamiltonian);
 * const s0 = phase(Float64Array.of(1), Float64Array.of(0.2));
 * ok(Math.abs(reversed(f)(0.1).forward(f(0.1).forward(s0)).p[0] - 0.2) < 1e-15);
 * ```
 */
export const reversed = <V>(f: Flow<V>): Flow<V> => R.local((dt: number) => -dt)(f);

/**
 * Speed control: `local(dt => k * dt)`; `k = 2` plays twice as fast, `k = 0.5` half as fast.
 *
 * @example
 * ```ts
 * import { float64Space, flow, leapfrog, phase, speed } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * const f = flow(leapfrog, float64Space, massSpring().hamiltonian);
 * const s0 = phase(Float64Array.of(1), Float64Array.of(0.2));
 * strictEqual(speed(2)(f)(0.05).forward(s0).q[0], f(0.1).forward(s0).q[0]);
 * ```
 */
export const speed = (k: number): <V>(f: Flow<V>) => Flow<V> => <V>(f: Flow<V>): Flow<V> =>
  R.local((dt: number) => k * dt)(f);

/**
 * Flows compose pointwise in `dt`: first `f`, then `g`, each with the same `dt` (e.g. a step of
 * one Hamiltonian followed by a step of another, as in a Hamiltonian normalising flow).
 * Data-last too: `pipe(f, thenFlow(g))`.
 *
 * @example
 * ```ts
 * import { float64Space, flow, leapfrog, phase, thenFlow } from "@hamiltonian/hgn/core";
 * import { massSpring, pendulum } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const both = thenFlow(flow(leapfrog, float64Space, massSpring().hamiltonian), flow(leapfrog, float64Space, pendulum().hamiltonian));
 * const s0 = phase(Float64Array.of(1), Float64Array.of(0));
 * ok(Math.abs(both(0.1).inverse(both(0.1).forward(s0)).q[0] - 1) < 1e-14);
 * ```
 */
export function thenFlow<V>(g: Flow<V>): (f: Flow<V>) => Flow<V>;
export function thenFlow<V>(f: Flow<V>, g: Flow<V>): Flow<V>;
export function thenFlow<V>(first: Flow<V>, second?: Flow<V>): Flow<V> | ((f: Flow<V>) => Flow<V>) {
  return second === undefined
    ? (f: Flow<V>) => (dt: number) => andThen(f(dt), first(dt))
    : (dt: number) => andThen(first(dt), second(dt));
}

/**
 * Iterates a one-step map `steps` times from `s0`, keeping every state: the result has
 * `steps + 1` entries, the first being `s0`.
 *
 * @example
 * ```ts
 * import { float64Space, leapfrog, phase, rollout } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * const step = leapfrog.step(float64Space, massSpring().hamiltonian, 0.125);
 * strictEqual(rollout(step, 30)(phase(Float64Array.of(1), Float64Array.of(0))).length, 31);
 * ```
 */
export const rollout = <A>(step: Endomorphism<A>, steps: number): (s0: A) => A[] => {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new RangeError(`rollout: steps must be an integer >= 0, got ${steps}`);
  }
  return (s0) => {
    const out: A[] = [s0];
    let s = s0;
    for (let i = 0; i < steps; i++) {
      s = step(s);
      out.push(s);
    }
    return out;
  };
};
