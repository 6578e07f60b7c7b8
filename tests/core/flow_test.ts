// Flows: a flow is a reader of dt giving an invertible step whose inverse is the adjoint at -dt;
// reversed and speed change only the dt it is read at; thenFlow composes at one dt; rollout
// keeps the initial state and every step.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { pipe } from "../../lib/deps/fp.ts";
import {
  float64Space,
  flow,
  leapfrog,
  phase,
  reversed,
  rollout,
  speed,
  stepOf,
  symplecticEuler,
  symplecticEulerAdjoint,
  thenFlow,
} from "@hamiltonian/hgn/core";
import { massSpring, pendulum } from "@hamiltonian/hgn/systems";

const h = pendulum().hamiltonian;
const s0 = phase(Float64Array.of(0.9), Float64Array.of(-0.4));
const near = (a: { q: Float64Array; p: Float64Array }, b: typeof a, tol: number) =>
  ok(
    Math.max(Math.abs(a.q[0] - b.q[0]), Math.abs(a.p[0] - b.p[0])) <= tol,
    `${a.q[0]},${a.p[0]} vs ${b.q[0]},${b.p[0]}`,
  );

Deno.test("flow: forward is the integrator's step at dt, inverse its adjoint's at -dt", () => {
  const f = flow(symplecticEuler, float64Space, h)(0.1);
  deepStrictEqual(f.forward(s0), stepOf(symplecticEuler, float64Space, h, 0.1)(s0));
  deepStrictEqual(f.inverse(s0), stepOf(symplecticEulerAdjoint, float64Space, h, -0.1)(s0));
  near(f.inverse(f.forward(s0)), s0, 1e-15);
  near(f.forward(f.inverse(s0)), s0, 1e-15);
});

Deno.test("reversed and speed: the same flow read at -dt and at k dt", () => {
  const f = flow(leapfrog, float64Space, h);
  deepStrictEqual(reversed(f)(0.1).forward(s0), f(-0.1).forward(s0));
  deepStrictEqual(speed(2)(f)(0.1).forward(s0), f(0.2).forward(s0));
  deepStrictEqual(pipe(f, speed(0.5), reversed)(0.1).forward(s0), f(-0.05).forward(s0));
});

Deno.test("thenFlow: two flows at one dt, the first applied first, inverted in reverse order", () => {
  const a = flow(leapfrog, float64Space, h);
  const b = flow(leapfrog, float64Space, massSpring().hamiltonian);
  const ab = thenFlow(a, b)(0.1);
  deepStrictEqual(ab.forward(s0), b(0.1).forward(a(0.1).forward(s0)));
  deepStrictEqual(pipe(a, thenFlow(b))(0.1).forward(s0), ab.forward(s0));
  near(ab.inverse(ab.forward(s0)), s0, 1e-14);
});

Deno.test("rollout: steps + 1 states starting at s0, each the step of the last; steps >= 0", () => {
  const states = rollout((x: number) => 2 * x, 4)(1);
  deepStrictEqual(states, [1, 2, 4, 8, 16]);
  deepStrictEqual(rollout((x: number) => x + 1, 0)(5), [5]);
  throws(() => rollout((x: number) => x, -1), /steps must be an integer >= 0, got -1/);
  throws(() => rollout((x: number) => x, 2.5), /got 2.5/);
  strictEqual(rollout(flow(leapfrog, float64Space, h)(0.1).forward, 3)(s0)[0], s0);
});
