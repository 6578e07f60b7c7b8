// Law: symplectic maps preserve volume (det J = 1) and the symplectic form (J^T Omega J = Omega),
// for any dt; Euler and RK4 are negative controls (det J != 1).
import { euler, float64Space, paperLeapfrog, rk4, rollout, stepOf } from "@hamiltonian/hgn/core";
import { assertLaws, symplecticity, volumePreservation } from "@hamiltonian/hgn/laws";
import { massSpring, nonSeparable, pendulum, twoBody } from "@hamiltonian/hgn/systems";
import { ok } from "node:assert/strict";
import { FC, pairs, TOL } from "./registry.ts";

/** n steps of the integrator as one map. */
const nSteps = (
  integrator: (typeof pairs)[number]["integrator"],
  system: (typeof pairs)[number]["system"],
  dt: number,
  n: number,
) => {
  const step = stepOf(integrator, float64Space, system.hamiltonian, dt);
  return (s: Parameters<typeof step>[0]) => rollout(step, n)(s)[n];
};

for (const { integrator, system } of pairs) {
  if (!integrator.symplectic) continue;
  Deno.test(`volume: det J = 1 and J^T Omega J = Omega for ${integrator.name} on ${system.name}`, () => {
    for (const dt of [0.05, 0.2]) {
      const f = nSteps(integrator, system, dt, 5);
      const options = {
        sample: system.sample,
        seed: FC.seed,
        cases: 4,
        tolerance: TOL.volume,
      };
      assertLaws(volumePreservation(f, options), symplecticity(f, options));
    }
  });
}

Deno.test("negative controls: Euler, RK4 and the paper's explicit leapfrog on a non-separable H change volume", () => {
  const cases = [
    { integrator: euler, system: massSpring(), dt: 0.1 },
    { integrator: euler, system: pendulum(), dt: 0.1 },
    { integrator: euler, system: twoBody(), dt: 0.1 },
    { integrator: rk4, system: massSpring(), dt: 0.3 },
    { integrator: rk4, system: pendulum(), dt: 0.3 },
    { integrator: paperLeapfrog, system: nonSeparable(), dt: 0.2 },
  ] as const;
  for (const { integrator, system, dt } of cases) {
    const f = nSteps(integrator, system, dt, 10);
    // the laws must fail here, and by more than the broken threshold
    const options = { sample: system.sample, seed: 11, cases: 1, tolerance: TOL.volumeBroken };
    for (const r of [volumePreservation(f, options), symplecticity(f, options)]) {
      ok(!r.holds, `${integrator.name} on ${system.name}: ${r.law} holds (${r.worst})`);
      ok(r.failing !== undefined, "a failing law names the state");
    }
  }
});
