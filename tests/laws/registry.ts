// The registry the law tests run over: every integrator x every system it can step, with the
// tolerances the laws are held to, named once.
import { canIntegrate, type Integrator, integrators as named } from "@hamiltonian/hgn/core";
import { type System, systems } from "@hamiltonian/hgn/systems";

/**
 * Every integrator the library ships (the core's registry), compositions over both symmetric
 * bases included.
 */
export const integrators: readonly Integrator[] = Object.values(named);

/** Every built-in system. */
export const allSystems: readonly System[] = Object.values(systems).map((make) => make());

/** Every (integrator, system) pair the integrator can step. */
export const pairs: readonly { integrator: Integrator; system: System }[] = integrators.flatMap((
  integrator,
) =>
  allSystems.filter((system) => canIntegrate(integrator, system.hamiltonian)).map((system) => ({
    integrator,
    system,
  }))
);

/** Named tolerances (float64). */
export const TOL = {
  /** forward n steps then inverse n steps, relative to the state's size */
  reversibility: 1e-12,
  /** |det J - 1| and max |J^T Omega J - Omega| with J by central differences */
  volume: 1e-7,
  /** what a negative control must exceed to count as "not volume preserving" */
  volumeBroken: 1e-5,
  /** |measured log-log slope - declared order| */
  orderSlope: 0.25,
  /** analytic gradient vs central finite difference of H, relative */
  gradient: 1e-7,
} as const;

/** Settings of the property runs: fixed seeds, so failures reproduce. */
export const FC = { seed: 20200426, numRuns: 8 } as const;
