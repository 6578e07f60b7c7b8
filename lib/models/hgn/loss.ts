/**
 * The HGN objective of paper eq. 4. The deterministic variant
 * minimises the pixel MSE; the stochastic one reports the KL of its posterior from the unit
 * Gaussian prior as its loss and the MSE as its constraint, so that `constrained` (GECO, in
 * `lib/train`) turns it into `KL + lambda (MSE - tolerance)`, as the paper trains it.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { deriveSeed, random, shuffle } from "../../core/random.ts";
import { gaussianKl } from "../../tensor/gaussian.ts";
import type { LossOutput } from "../model.ts";
import type { HgnObjectiveConfig } from "./config.ts";
import { klWeightAt, rolloutStepsAt } from "./config.ts";
import type { Phase } from "../../core/phase.ts";
import { applyHgn, encode, frameWindow, type HgnParams, initialState } from "./network.ts";

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

/**
 * The objective on a batch of sequences `[B, >= T + 1, size, size, 3]` (T: the rollout length of
 * this update), scoring the frames {@link scoredFrames} draws. Metrics: `mse` (per pixel, over the
 * scored frames), `kl` (summed over the latent per sequence, divided by the scored pixels and
 * frames, as the reference code scales it; 0 for the deterministic variant), `rolloutSteps`.
 *
 * @example
 * ```ts
 * import { hgnLoss, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const model = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const out = hgnLoss({ model }, initHgn(model, 0), tf.zeros([1, 3, 32, 32, 3]) as tf.Tensor5D, { seed: 0, step: 0 });
 * ok((await out.metrics.mse.data())[0] > 0);
 * ```
 */
export const hgnLoss = (
  config: HgnObjectiveConfig,
  params: HgnParams,
  frames: tf.Tensor5D,
  context: { readonly seed: number; readonly step: number },
): LossOutput => {
  const model = config.model;
  const steps = rolloutStepsAt(config, context.step);
  if (frames.rank !== 5 || frames.shape[1] < Math.max(steps + 1, model.inputFrames)) {
    throw new RangeError(
      `HGN needs sequences [B, >= ${
        Math.max(steps + 1, model.inputFrames)
      }, ${model.size}, ${model.size}, 3], got [${frames.shape}]`,
    );
  }
  const decodeAt = scoredFrames(steps, config.framesPerUpdate ?? 0, deriveSeed(context.seed, 0xf4));
  const output = applyHgn(model, params, frames, { seed: context.seed, steps, decodeAt });
  const target = tf.gather(frames, decodeAt, 1);
  const mse = tf.mean(tf.squaredDifference(output.frames, target)) as tf.Scalar;
  const rolloutSteps = tf.scalar(steps);
  const c = config.consistency;
  const consistency = c && c.weight > 0 && context.step >= (c.start ?? 0)
    ? latentConsistency(config, params, frames, output.states, c.windows, context.seed)
    : undefined;
  const scored = consistency ? tf.add(mse, tf.mul(consistency, c!.weight)) as tf.Scalar : mse;
  const extra: Record<string, tf.Scalar> = consistency ? { consistency } : {};
  if (model.deterministic) {
    return { loss: scored, metrics: { mse, kl: tf.scalar(0), rolloutSteps, ...extra } };
  }
  // The reference's scale (deepmind-research physics_inspired_models, rescale_by
  // "pixels_and_time"): the KL summed over the latent's entries per sequence, divided by the
  // scored pixels and frames, so that it and the per-pixel MSE share one unit and GECO's
  // multiplier starts at 1 as the reference's does.
  const latentEntries = output.mean.size / output.mean.shape[0];
  const pixelsAndTime = decodeAt.length * model.size * model.size * 3;
  const kl = tf.mul(
    gaussianKl(output.mean, output.logStd),
    latentEntries / pixelsAndTime,
  ) as tf.Scalar;
  const weight = klWeightAt(config, context.step);
  const loss = weight === 1 ? kl : tf.mul(kl, weight) as tf.Scalar;
  return { loss, constraint: scored, metrics: { mse, kl, rolloutSteps, ...extra } };
};

/**
 * The latent consistency penalty of one update: for `windows` times `t` drawn from `seed` in
 * `1 .. T + 1 - F` (none when the rollout is shorter than the encoder's window), the squared
 * distance of the rolled-out `(q_t, p_t)` from the encoder's state of frames `t .. t + F - 1`,
 * averaged over times and entries, divided by the spread of the sequence's own initial state
 * (the variance of its entries), then averaged over sequences. A ratio that does not change when
 * the latent is scaled (shrinking it cannot satisfy the penalty) or offset, and a mean over
 * sequences of terms that each depend on one sequence only, so that gradient workers summing
 * their slices' gradients compute the whole batch's. (Measured: the mean square as the scale lets
 * a large constant offset make any error look small, and the penalty then held the states nearly
 * constant with the pixel MSE at 2.5x; a scale taken across the batch is not the same objective
 * on a worker's slice.)
 *
 * @example
 * ```ts
 * import { applyHgn, initHgn, latentConsistency, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const model = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 3, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(model, 0);
 * const frames = tf.randomUniform([2, 4, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor5D;
 * const out = applyHgn(model, params, frames, { seed: 0 });
 * ok((await latentConsistency({ model }, params, frames, out.states, 2, 0).data())[0] > 0);
 * ```
 */
export const latentConsistency = (
  config: HgnObjectiveConfig,
  params: HgnParams,
  frames: tf.Tensor5D,
  states: readonly Phase<tf.Tensor4D>[],
  windows: number,
  seed: number,
): tf.Scalar => {
  const model = config.model;
  const last = states.length - model.inputFrames;
  if (last < 1 || windows < 1) return tf.scalar(0);
  const times = scoredFrames(last - 1, windows, deriveSeed(seed, 0xc0)).map((t) => t + 1);
  const s0 = tf.concat([states[0].q, states[0].p], 3);
  // [B]: each sequence's own scale
  const scale = tf.maximum(tf.moments(s0, [1, 2, 3]).variance, 1e-12);
  const terms = times.map((t) => {
    const z = encode(model, params, frameWindow(frames, t, model.inputFrames)).mean;
    const e = initialState(model, params, z);
    const rolled = tf.concat([states[t].q, states[t].p], 3);
    return tf.mean(tf.squaredDifference(rolled, tf.concat([e.q, e.p], 3)), [1, 2, 3]);
  });
  return tf.mean(tf.div(tf.mean(tf.stack(terms), 0), scale)) as tf.Scalar;
};
