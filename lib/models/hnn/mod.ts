/**
 * The Hamiltonian Neural Network baseline on states (appendix A.3).
 *
 * ```ts
 * import { hnnConfig } from "@hamiltonian/hgn/models/hnn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(hnnConfig(1).activation, "tanh");
 * ```
 * @module
 */
export * from "./model.ts";
