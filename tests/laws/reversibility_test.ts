// Law: an invertible flow run forward n steps then inverted n steps returns to the start; and the
// negative cases: -dt does not invert a non-symmetric step.
import {
  euler,
  float64Space,
  flow,
  paperLeapfrog,
  power,
  stepOf,
  symplecticEuler,
} from "@hamiltonian/hgn/core";
import { massSpring, nonSeparable, pendulum } from "@hamiltonian/hgn/systems";
import { ok } from "node:assert/strict";
import { fc } from "../deps.ts";
import { FC, pairs, TOL } from "./registry.ts";
import { relDiff, sampleState } from "./helpers.ts";

for (const { integrator, system } of pairs) {
  if (!integrator.adjoint) continue;
  Deno.test(`reversibility: ${integrator.name} on ${system.name}`, () => {
    const f = flow(integrator, float64Space, system.hamiltonian);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(0.05, -0.03),
        (seed, dt) => {
          const s0 = sampleState(system, seed);
          const n = power(f(dt), 20);
          const err = relDiff(n.inverse(n.forward(s0)), s0);
          ok(err <= TOL.reversibility, `error ${err} > ${TOL.reversibility}`);
        },
      ),
      FC,
    );
  });
  if (integrator.symmetric) {
    Deno.test(`reversibility by -dt (symmetric): ${integrator.name} on ${system.name}`, () => {
      const s0 = sampleState(system, 7);
      const fwd = stepOf(integrator, float64Space, system.hamiltonian, 0.05);
      const back = stepOf(integrator, float64Space, system.hamiltonian, -0.05);
      let s = s0;
      for (let i = 0; i < 20; i++) s = fwd(s);
      for (let i = 0; i < 20; i++) s = back(s);
      const err = relDiff(s, s0);
      ok(err <= TOL.reversibility, `error ${err}`);
    });
  }
}

Deno.test("negative: -dt does NOT invert symplectic Euler, Euler, or the paper's explicit leapfrog on a non-separable H", () => {
  const cases = [
    { integrator: symplecticEuler, system: massSpring() },
    { integrator: symplecticEuler, system: pendulum() },
    { integrator: euler, system: massSpring() },
    { integrator: paperLeapfrog, system: nonSeparable() },
  ] as const;
  for (const { integrator, system } of cases) {
    const s0 = sampleState(system, 3);
    const h = system.hamiltonian;
    const back = stepOf(integrator, float64Space, h, -0.1)(
      stepOf(integrator, float64Space, h, 0.1)(s0),
    );
    const err = relDiff(back, s0);
    ok(err > 1e-6, `${integrator.name} on ${system.name}: -dt inverted it to ${err}`);
  }
});
