// Law: symplectic methods keep the energy error bounded over 10^4 steps (the second half no
// worse than twice the first); Euler and RK4 drift (negative controls).
import { energyError, euler, float64Space, rk4, rollout, stepOf } from "@hamiltonian/hgn/core";
import { massSpring, pendulum, type System } from "@hamiltonian/hgn/systems";
import { ok } from "node:assert/strict";
import { assertLaws, energyBound } from "@hamiltonian/hgn/laws";
import { pairs } from "./registry.ts";
import { sampleState } from "./helpers.ts";

const STEPS = 10_000;

/**
 * The start state: the system's sampler, except for three bodies, whose sampled orbits are
 * chaotic and meet close encounters where no fixed-step method keeps the energy; there we use the
 * figure-eight choreography (Chenciner & Montgomery 2000), a stable periodic orbit.
 */
const startState = (system: System) =>
  system.name === "three-body"
    ? {
      q: Float64Array.of(0.97000436, -0.24308753, 0, 0, -0.97000436, 0.24308753),
      p: Float64Array.of(
        0.466203685,
        0.43236573,
        -0.93240737,
        -0.86473146,
        0.466203685,
        0.43236573,
      ),
    }
    : sampleState(system, 5);
for (const { integrator, system } of pairs) {
  if (!integrator.symplectic) continue;
  Deno.test(`energy: ${integrator.name} keeps |H - H0| bounded on ${system.name}`, () => {
    // n-body orbits need a finer step at close approach; the law is about boundedness, not size.
    const dt = system.bodies > 1 ? 0.01 : 0.1;
    const steps = integrator.explicit ? STEPS : STEPS / 10;
    const step = stepOf(integrator, float64Space, system.hamiltonian, dt);
    assertLaws(
      energyBound(step, system.hamiltonian, { sample: () => startState(system), cases: 1, steps }),
    );
  });
}

Deno.test("negative controls: Euler and RK4 drift in energy", () => {
  for (const system of [massSpring(), pendulum()]) {
    for (const [integrator, dt] of [[euler, 0.01], [rk4, 0.1]] as const) {
      const traj = rollout(stepOf(integrator, float64Space, system.hamiltonian, dt), STEPS)(
        sampleState(system, 5),
      );
      const errs = energyError(system.hamiltonian.energy, traj);
      const mid = errs[STEPS / 2];
      const end = errs[STEPS];
      ok(
        end > 1.5 * mid && end > 1e-4,
        `${integrator.name} on ${system.name}: mid ${mid}, end ${end}`,
      );
    }
  }
});
