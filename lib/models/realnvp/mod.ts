/**
 * RealNVP: affine coupling flows with alternating masks, the paper's density baseline.
 *
 * ```ts
 * import { REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(REALNVP_2D.layers, 2);
 * ```
 * @module
 */
export * from "./model.ts";
