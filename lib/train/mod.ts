/**
 * Training: learning Hamiltonians from data.
 *
 * ```ts
 * import { polynomialHamiltonian } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(polynomialHamiltonian([0.5], [0.5]).separable, true);
 * ```
 * @module
 */
export * from "./identify.ts";
export * from "./adam.ts";
export * from "./hgn.ts";
export * from "./evaluate.ts";
