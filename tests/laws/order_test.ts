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
import { assertLaws, convergenceOrder } from "@hamiltonian/hgn/laws";
import { integrators, TOL } from "./registry.ts";

const T = 2;
/**
 * The order to expect: the paper's explicit leapfrog is first order on a general H but reduces to
 * the second-order leapfrog when H is separable.
 */
const expectedOrder = (integrator: Integrator, system: System) =>
  integrator === paperLeapfrog && system.hamiltonian.separable ? 2 : integrator.order;

/** The order law through the library's `convergenceOrder`, with the order this pair should have. */
const orderLaw = (
  integrator: Integrator,
  system: System,
  s0: Phase<Float64Array>,
  exact: Phase<Float64Array>,
) =>
  convergenceOrder(integrator, system.hamiltonian, {
    s0,
    exact,
    time: T,
    order: expectedOrder(integrator, system),
    tolerance: TOL.orderSlope,
  });

const endState = (integrator: Integrator, system: System, dt: number, s0: Phase<Float64Array>) => {
  const n = Math.round(T / dt);
  return rollout(stepOf(integrator, float64Space, system.hamiltonian, dt), n)(s0)[n];
};

const ms = massSpring();
const s0Spring = { q: Float64Array.of(0.7), p: Float64Array.of(-0.4) };
for (const integrator of integrators) {
  Deno.test(`order: ${integrator.name} has slope ${integrator.order} on mass-spring (exact solution)`, () => {
    assertLaws(orderLaw(integrator, ms, s0Spring, ms.exact!(s0Spring, T)));
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
      assertLaws(orderLaw(integrator, system, s0, truth));
    });
  }
}
