/**
 * The Hamiltonian Generative Network: configuration, weights, forward pass and objective.
 *
 * ```ts
 * import { PAPER_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(PAPER_HGN.dt, 0.125);
 * ```
 * @module
 */
export * from "./config.ts";

export * from "./network.ts";
export * from "./model.ts";
export * from "./loss.ts";
export * from "./metrics.ts";
export * from "./evaluate.ts";
export * from "./diagnostics.ts";
