/**
 * Hamiltonian machine learning for TypeScript: the functional core (integrators and flows as
 * composable pure functions) and the paper's physical systems.
 *
 * ```ts
 * import { flow, float64Space, leapfrog, massSpring, phase } from "@hamiltonian/hgn";
 * import { ok } from "node:assert/strict";
 * const f = flow(leapfrog, float64Space, massSpring().hamiltonian)(0.125);
 * const s0 = phase(Float64Array.of(1), Float64Array.of(0));
 * ok(Math.abs(f.inverse(f.forward(s0)).q[0] - 1) < 1e-15);
 * ```
 * @module
 */
export * from "./lib/core/mod.ts";
export * from "./lib/systems/mod.ts";
