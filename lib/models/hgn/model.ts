/**
 * HGN as a trainable model record: the network of `network.ts` scored by the objective of
 * `loss.ts`, and a frame predictor (the posterior mean unrolled at the trained dt).
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import type { FramePredictorModel } from "../model.ts";
import type { HgnObjectiveConfig } from "./config.ts";
import { hgnLoss } from "./loss.ts";
import { applyHgn, type HgnParams, initHgn } from "./network.ts";

/**
 * HGN as a model record (`name: "hgn"`). The stochastic variant is meant to be trained under
 * GECO: `constrained(hgn)` from `@hamiltonian/hgn/train`.
 *
 * @example
 * ```ts
 * import { hgn } from "@hamiltonian/hgn/models/hgn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(hgn.name, "hgn");
 * ```
 */
export const hgn: FramePredictorModel<HgnObjectiveConfig, HgnParams, tf.Tensor5D> = {
  name: "hgn",
  init: (config, seed) => initHgn(config.model, seed),
  loss: hgnLoss,
  origin: { module: import.meta.url, name: "hgn" },
  observedFrames: (config) => config.model.inputFrames,
  // the posterior mean, unrolled at the trained dt
  predictFrames: (config, params, frames, steps) =>
    tf.tidy(() => {
      const out = applyHgn(config.model, params, frames, { seed: 0, sample: false, steps });
      return { frames: out.frames, energies: out.energies };
    }),
};
