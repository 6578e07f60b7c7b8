/**
 * The paper's physical systems (mass-spring, pendulum, two-body, three-body) and extras, with
 * analytic gradients and the paper's initial-state samplers.
 *
 * ```ts
 * import { pendulum } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(pendulum().params.g, 3);
 * ```
 * @module
 */
export * from "./system.ts";
export * from "./mass_spring.ts";
export * from "./pendulum.ts";
export * from "./n_body.ts";
export * from "./extras.ts";
export * from "./registry.ts";
