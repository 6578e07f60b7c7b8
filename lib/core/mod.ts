/**
 * The pure functional core: vector spaces, phase space, Hamiltonians, integrators, invertible
 * maps, flows, rollouts, validation, seeded randomness and diagnostics. No tfjs, no `Deno.*`.
 *
 * ```ts
 * import { float64Space, leapfrog, phase, rollout } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * const traj = rollout(leapfrog.step(float64Space, massSpring().hamiltonian, 0.1), 10)(phase(Float64Array.of(1), Float64Array.of(0)));
 * strictEqual(traj.length, 11);
 * ```
 * @module
 */
export * from "./vector_space.ts";
export * from "./phase.ts";
export * from "./hamiltonian.ts";
export * from "./integrator.ts";
export * from "./composition.ts";
export * from "./invertible.ts";
export * from "./density_map.ts";
export * from "./flow.ts";
export * from "./validation.ts";
export * from "./random.ts";
export * from "./diagnostics.ts";
export * from "./registry.ts";
export * from "./sha256.ts";
