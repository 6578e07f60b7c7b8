/**
 * The paper's evaluation quantities for one batch of test sequences: per-step pixel MSE of an
 * unroll (Table 1, figure 6), the variance of the learned Hamiltonian along each rollout
 * (Table 2), the normalised error behind the valid prediction time, and the static baseline
 * (each sequence's own mean frame).
 *
 * Two normalised errors are returned, and only one is the paper's:
 *
 * - `vptNormalisedMse`: the valid prediction time's error as the co-authors' reference code
 *   (deepmind-research, `physics_inspired_models`) defines it: each frame's squared error
 *   normalised by the ground-truth frame's own squared pixel values,
 *   `mean((x_t - x̂_t)^2) / mean(x_t^2)`. Feed this to {@linkcode validPredictionFrames} (threshold
 *   0.025) to get the paper's VPT.
 * - `staticNormalisedMse`: this library's own diagnostic, each frame's MSE divided by the MSE of
 *   the static predictor (the sequence's mean frame); 1 means no better than the mean frame. Not
 *   the paper's VPT quantity.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import type { HgnConfig } from "./config.ts";
import { type PredictionScores, scorePredictions } from "../../tensor/frames.ts";
import { applyHgn, checkFrames, firstFrames, type HgnParams } from "./network.ts";

/** Per-sequence numbers of one evaluated batch (see `scorePredictions` in the tensor layer). */
export type { PredictionScores as BatchMetrics } from "../../tensor/frames.ts";

/**
 * Unrolls the posterior mean of each sequence for `steps` steps (default the config's) and
 * measures it against the first `steps + 1` frames of `frames` `[B, >= steps + 1, S, S, 3]`.
 * `vptNormalisedMse` is the paper's valid-prediction-time error; `staticNormalisedMse` is
 * relative to the mean-frame baseline (see {@linkcode BatchMetrics}). Denominators are floored
 * at 1e-12. Does not dispose `params` or `frames`; leaves no tensors behind.
 *
 * @example
 * ```ts
 * import { evaluateBatch, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2 };
 * const m = await evaluateBatch(config, initHgn(config, 0), tf.randomUniform([2, 3, 32, 32, 3]) as tf.Tensor5D);
 * strictEqual(m.perStepMse[0].length, 3);
 * strictEqual(m.vptNormalisedMse[1].length, 3);
 * strictEqual(m.staticNormalisedMse.length, 2);
 * ```
 */
export const evaluateBatch = async (
  config: HgnConfig,
  params: HgnParams,
  frames: tf.Tensor5D,
  steps = config.rolloutSteps,
): Promise<PredictionScores> => {
  checkFrames(config, frames, Math.max(steps + 1, config.inputFrames), "evaluation");
  const T = steps + 1;
  if (frames.shape[1] < T) {
    throw new RangeError(
      `evaluation of ${steps} steps needs ${T} frames per sequence, got ${frames.shape[1]}`,
    );
  }
  const [predicted, energies, target] = tf.tidy(() => {
    const out = applyHgn(config, params, frames, { seed: 0, sample: false, steps });
    return [out.frames, out.energies, firstFrames(frames, T)] as const;
  });
  const scores = await scorePredictions(target, predicted, energies);
  tf.dispose([predicted, energies, ...(target === frames ? [] : [target])]);
  return scores;
};

/**
 * The valid prediction time of one sequence: how many frames, from the first, stay at or below
 * `threshold` normalised MSE, i.e. the index of the first frame above it (the whole length if
 * none is). The paper's VPT is this over a row of {@linkcode BatchMetrics.vptNormalisedMse} with
 * the paper's threshold 0.025.
 *
 * @example
 * ```ts
 * import { validPredictionFrames } from "@hamiltonian/hgn/models/hgn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(validPredictionFrames([0.01, 0.02, 0.03, 0.01]), 2);
 * ```
 */
export const validPredictionFrames = (normalised: readonly number[], threshold = 0.025): number => {
  const first = normalised.findIndex((x) => x > threshold);
  return first === -1 ? normalised.length : first;
};
