// Law: symplectic maps preserve volume (det J = 1) and the symplectic form (J^T Omega J = Omega),
// for any dt; Euler and RK4 are negative controls (det J != 1).
import {
  determinant,
  euler,
  float64Space,
  jacobian,
  paperLeapfrog,
  rk4,
  rollout,
  stepOf,
  symplecticDefect,
} from "@hamiltonian/hgn/core";
import { massSpring, nonSeparable, pendulum, twoBody } from "@hamiltonian/hgn/systems";
import { ok } from "node:assert/strict";
import { fc } from "../deps.ts";
import { FC, pairs, TOL } from "./registry.ts";
import { sampleState } from "./helpers.ts";

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
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(0.05, 0.2),
        (seed, dt) => {
          const f = nSteps(integrator, system, dt, 5);
          const J = jacobian(f, sampleState(system, seed));
          const det = Math.abs(determinant(J) - 1);
          const defect = symplecticDefect(J);
          ok(det <= TOL.volume, `|det J - 1| = ${det}`);
          ok(defect <= TOL.volume, `symplectic defect ${defect}`);
        },
      ),
      { ...FC, numRuns: 4 },
    );
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
    const J = jacobian(nSteps(integrator, system, dt, 10), sampleState(system, 11));
    const det = Math.abs(determinant(J) - 1);
    ok(det > TOL.volumeBroken, `${integrator.name} on ${system.name}: |det J - 1| = ${det}`);
    ok(symplecticDefect(J) > TOL.volumeBroken, `${integrator.name} on ${system.name}: symplectic`);
  }
});
