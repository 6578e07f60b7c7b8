import {
  fixedPoint,
  float64Space,
  flow,
  implicitLeapfrog,
  leapfrog,
  paperLeapfrog,
  type Phase,
  phase,
  rk4,
  stepOf,
  suzuki4,
  symplecticEuler,
  tripleJump,
  yoshida6,
} from "@hamiltonian/hgn/core";
import { massSpring, nonSeparable } from "@hamiltonian/hgn/systems";
import { ok, strictEqual, throws } from "node:assert/strict";

Deno.test("stepOf refuses a separable integrator on a non-separable Hamiltonian, naming alternatives", () => {
  throws(
    () => stepOf(leapfrog, float64Space, nonSeparable().hamiltonian, 0.1),
    (e: Error) =>
      e instanceof TypeError && /needs a separable Hamiltonian/.test(e.message) &&
      /implicitLeapfrog/.test(e.message),
  );
});

Deno.test("flow refuses integrators with no adjoint, and separability mismatches, up front", () => {
  throws(() => flow(rk4, float64Space, massSpring().hamiltonian), TypeError);
  throws(() => flow(paperLeapfrog, float64Space, massSpring().hamiltonian), TypeError);
  throws(() => flow(symplecticEuler, float64Space, nonSeparable().hamiltonian), TypeError);
});

Deno.test("compositions refuse a non-symmetric base and report their metadata", () => {
  throws(() => suzuki4(symplecticEuler), /symmetric base/);
  throws(() => yoshida6(tripleJump(leapfrog)), /second-order base/);
  const y = tripleJump(leapfrog);
  strictEqual(y.order, 4);
  ok(y.symmetric && y.symplectic && y.explicit);
  strictEqual(y.adjoint, y);
  strictEqual(tripleJump(implicitLeapfrog).explicit, false);
});

Deno.test("fixedPoint throws a RangeError when the iteration cannot converge (dt too large)", () => {
  throws(
    () => fixedPoint(float64Space, (x) => x.map((v) => 2 * v + 1), Float64Array.of(1)),
    RangeError,
  );
  // The implicit leapfrog at an absurd step: a clear message, not silent garbage.
  throws(
    () =>
      implicitLeapfrog.step(float64Space, nonSeparable().hamiltonian, 50)(
        phase(Float64Array.of(1), Float64Array.of(1)),
      ),
    /did not converge/,
  );
});

Deno.test("fixedPoint without normInf runs a fixed number of iterations (differentiable on tensors)", () => {
  let calls = 0;
  const space = { ...float64Space, normInf: undefined };
  fixedPoint(
    space,
    (x) => {
      calls++;
      return x.map((v) => v / 2);
    },
    Float64Array.of(1),
    { maxIter: 7 },
  );
  strictEqual(calls, 7);
});

Deno.test("leapfrog pays one force evaluation per step in a rollout", () => {
  let forces = 0;
  const ms = massSpring().hamiltonian;
  const counted = { ...ms, dV: (q: Float64Array) => (forces++, ms.dV(q)) };
  const step = leapfrog.step(float64Space, counted, 0.1);
  let s: Phase<Float64Array> = phase(Float64Array.of(1), Float64Array.of(0));
  for (let i = 0; i < 10; i++) s = step(s);
  strictEqual(forces, 11);
});
