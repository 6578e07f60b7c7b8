/**
 * The pixel HNN baselines of Table 1: "HNN" (MLP autoencoder) and "HNN (conv)".
 *
 * ```ts
 * import { pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(pixelHnnConfig("conv", 12).latent, 12);
 * ```
 * @module
 */
export * from "./model.ts";
