/**
 * Neural Hamiltonian Flows: density models from leapfrog flows of learned Hamiltonians, inverted
 * by negating dt, with a latent momentum trained through an ELBO.
 *
 * ```ts
 * import { NHF_2D } from "@hamiltonian/hgn/models/nhf";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(NHF_2D.leapfrogSteps, 2);
 * ```
 * @module
 */
export * from "./model.ts";
