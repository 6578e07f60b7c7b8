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
import { assertLaws, relativeDifference, reversibility } from "@hamiltonian/hgn/laws";
import { ok } from "node:assert/strict";
import { FC, pairs, TOL } from "./registry.ts";
import { sampleState } from "./helpers.ts";

for (const { integrator, system } of pairs) {
  if (!integrator.adjoint) continue;
  Deno.test(`reversibility: ${integrator.name} on ${system.name}`, () => {
    const f = flow(integrator, float64Space, system.hamiltonian);
    for (const dt of [0.05, -0.03]) {
      assertLaws(
        reversibility(power(f(dt), 20), {
          sample: system.sample,
          seed: FC.seed,
          cases: FC.numRuns,
          tolerance: TOL.reversibility,
        }),
      );
    }
  });
  if (integrator.symmetric) {
    Deno.test(`reversibility by -dt (symmetric): ${integrator.name} on ${system.name}`, () => {
      const s0 = sampleState(system, 7);
      const fwd = stepOf(integrator, float64Space, system.hamiltonian, 0.05);
      const back = stepOf(integrator, float64Space, system.hamiltonian, -0.05);
      let s = s0;
      for (let i = 0; i < 20; i++) s = fwd(s);
      for (let i = 0; i < 20; i++) s = back(s);
      const err = relativeDifference(s, s0);
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
    const err = relativeDifference(back, s0);
    ok(err > 1e-6, `${integrator.name} on ${system.name}: -dt inverted it to ${err}`);
  }
});
