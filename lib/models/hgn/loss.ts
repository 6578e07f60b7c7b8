/**
 * The HGN objective (paper eq. 4 with GECO): the KL of the posterior from the unit Gaussian prior,
 * and a constraint on the per-pixel reconstruction error `C = MSE - tolerance` weighted by a
 * Lagrange multiplier `lambda = softplus(u)`. The weights minimise `KL + lambda C`; `u` is trained
 * by gradient ascent on the same expression (Rezende & Viola 2018), so `lambda` grows while the
 * reconstruction misses its tolerance and shrinks once it meets it.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { deriveSeed, random, shuffle } from "../../core/random.ts";
import type { HgnConfig } from "./config.ts";
import { applyHgn, type ApplyOptions, type HgnOutput, type HgnParams } from "./model.ts";

/** Settings of the objective. */
export interface ObjectiveConfig {
  /** GECO tolerance on the mean squared pixel error (reference: 1e-3) */
  readonly tolerance: number;
  /**
   * decode and score only this many of the `T + 1` predicted frames per update, drawn at random
   * (seeded) without replacement: an unbiased estimate of the all-frame MSE that makes long
   * rollouts affordable on a CPU (the rollout itself is cheap; decoding is not). 0: every frame.
   */
  readonly framesPerUpdate?: number;
}

/**
 * The time indices an update scores: all `T + 1`, or `k` of them drawn without replacement from
 * `seed`, in increasing order.
 *
 * @example
 * ```ts
 * import { scoredFrames } from "@hamiltonian/hgn/models/hgn";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * deepStrictEqual(scoredFrames(3, 0, 1), [0, 1, 2, 3]);
 * strictEqual(scoredFrames(30, 5, 1).length, 5);
 * ```
 */
export const scoredFrames = (steps: number, k: number, seed: number): number[] => {
  const all = Array.from({ length: steps + 1 }, (_, t) => t);
  if (!k || k >= all.length) return all;
  return shuffle(random(seed), all).slice(0, k).sort((a, b) => a - b);
};

/** The scalar terms of one evaluation of the objective. */
export interface LossTerms {
  /** what the weights minimise: `KL + lambda (MSE - tolerance)` (deterministic: `MSE`) */
  readonly loss: tf.Scalar;
  /** mean squared error per pixel over every predicted frame */
  readonly mse: tf.Scalar;
  /** KL(q(z | x) || N(0, I)), averaged over latent entries and the batch */
  readonly kl: tf.Scalar;
  /** the multiplier `softplus(u)` */
  readonly lambda: tf.Scalar;
}

/**
 * The KL divergence of `N(mean, exp(logStd)^2)` from `N(0, 1)`, averaged over every entry.
 *
 * @example
 * ```ts
 * import { gaussianKl } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const kl = await gaussianKl(tf.zeros([2, 3]), tf.zeros([2, 3])).data();
 * ok(Math.abs(kl[0]) < 1e-7); // the prior itself
 * ```
 */
export const gaussianKl = (mean: tf.Tensor, logStd: tf.Tensor): tf.Scalar =>
  tf.mul(
    0.5,
    tf.mean(
      tf.sub(tf.add(tf.square(mean), tf.exp(tf.mul(2, logStd))), tf.add(1, tf.mul(2, logStd))),
    ),
  ) as tf.Scalar;

/**
 * Evaluates the objective on a batch of sequences `[B, >= T + 1, size, size, 3]`, against the
 * first `rolloutSteps + 1` frames. `multiplier` is the raw `u` of `lambda = softplus(u)`.
 *
 * @example
 * ```ts
 * import { hgnLoss, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const terms = hgnLoss(config, { tolerance: 1e-3 }, initHgn(config, 0), tf.scalar(1), tf.zeros([1, 3, 32, 32, 3]) as tf.Tensor5D, { seed: 0 });
 * ok((await terms.mse.data())[0] > 0);
 * ```
 */
export const hgnLoss = (
  config: HgnConfig,
  objective: ObjectiveConfig,
  params: HgnParams,
  multiplier: tf.Tensor,
  frames: tf.Tensor5D,
  options: ApplyOptions,
): LossTerms & { readonly output: HgnOutput } => {
  const steps = options.steps ?? config.rolloutSteps;
  const decodeAt = scoredFrames(
    steps,
    objective.framesPerUpdate ?? 0,
    deriveSeed(options.seed, 0xf4),
  );
  const output = applyHgn(config, params, frames, { ...options, decodeAt });
  const target = tf.gather(frames, decodeAt, 1);
  const mse = tf.mean(tf.squaredDifference(output.frames, target)) as tf.Scalar;
  const lambda = tf.softplus(multiplier) as tf.Scalar;
  if (config.deterministic) {
    return { loss: mse, mse, kl: tf.scalar(0), lambda, output };
  }
  const kl = gaussianKl(output.mean, output.logStd);
  const loss = tf.add(kl, tf.mul(lambda, tf.sub(mse, objective.tolerance))) as tf.Scalar;
  return { loss, mse, kl, lambda, output };
};
