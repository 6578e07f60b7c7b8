// Law: the global error over a fixed time falls like dt^order; the measured log-log slope must
// match the declared order. Against the exact mass-spring solution, and against a tiny-dt
// reference for the pendulum and the non-separable oscillator.
import {
  float64Space,
  type Integrator,
  leapfrog,
  paperLeapfrog,
  type Phase,
  rk4,
  rollout,
  stepOf,
  yoshida6,
} from "@hamiltonian/hgn/core";
import { massSpring, nonSeparable, pendulum, type System } from "@hamiltonian/hgn/systems";
import { ok } from "node:assert/strict";
import { integrators, TOL } from "./registry.ts";
import { logLogSlope, relDiff } from "./helpers.ts";

const T = 2;
/**
 * The order to expect: the paper's explicit leapfrog is first order on a general H but reduces to
 * the second-order leapfrog when H is separable.
 */
const expectedOrder = (integrator: Integrator, system: System) =>
  integrator === paperLeapfrog && system.hamiltonian.separable ? 2 : integrator.order;

/** The coarsest dt per order: large enough that the smallest error stays far above roundoff. */
const BASE_DT: Record<number, number> = { 1: 0.05, 2: 0.1, 4: 0.25, 6: 0.25 };

const endState = (integrator: Integrator, system: System, dt: number, s0: Phase<Float64Array>) => {
  const n = Math.round(T / dt);
  return rollout(stepOf(integrator, float64Space, system.hamiltonian, dt), n)(s0)[n];
};

/** Measured slope of the error against dt, for halving dt three times. */
export const measuredOrder = (
  integrator: Integrator,
  system: System,
  exact: (s0: Phase<Float64Array>) => Phase<Float64Array>,
  s0: Phase<Float64Array>,
): number => {
  const base = BASE_DT[expectedOrder(integrator, system)];
  const dts = [base, base / 2, base / 4, base / 8];
  const errs = dts.map((dt) => relDiff(endState(integrator, system, dt, s0), exact(s0)));
  return logLogSlope(dts, errs);
};

const ms = massSpring();
const s0Spring = { q: Float64Array.of(0.7), p: Float64Array.of(-0.4) };
for (const integrator of integrators) {
  Deno.test(`order: ${integrator.name} has slope ${integrator.order} on mass-spring (exact solution)`, () => {
    const slope = measuredOrder(integrator, ms, (s) => ms.exact!(s, T), s0Spring);
    ok(
      Math.abs(slope - expectedOrder(integrator, ms)) <= TOL.orderSlope,
      `measured slope ${slope.toFixed(3)}`,
    );
  });
}

const references: readonly { system: System; reference: Integrator; s0: Phase<Float64Array> }[] = [
  {
    system: pendulum(),
    reference: yoshida6(leapfrog),
    s0: { q: Float64Array.of(1.2), p: Float64Array.of(0.9) },
  },
  {
    system: nonSeparable(),
    reference: rk4,
    s0: { q: Float64Array.of(0.8), p: Float64Array.of(0.5) },
  },
];
for (const { system, reference, s0 } of references) {
  const truth = endState(reference, system, 1 / 8192, s0);
  for (const integrator of integrators) {
    if (integrator.needs === "separable" && !system.hamiltonian.separable) continue;
    Deno.test(`order: ${integrator.name} has slope ${integrator.order} on ${system.name} (tiny-dt reference)`, () => {
      const slope = measuredOrder(integrator, system, () => truth, s0);
      ok(
        Math.abs(slope - expectedOrder(integrator, system)) <= TOL.orderSlope,
        `measured slope ${slope.toFixed(3)}`,
      );
    });
  }
}
