/**
 * HGN as a trainable model record: the objective of paper eq. 4. The deterministic variant
 * minimises the pixel MSE; the stochastic one reports the KL of its posterior from the unit
 * Gaussian prior as its loss and the MSE as its constraint, so that `constrained` (GECO, in
 * `lib/train`) turns it into `KL + lambda (MSE - tolerance)`, as the paper trains it.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { deriveSeed, random, shuffle } from "../../core/random.ts";
import { gaussianKl } from "../../tensor/nn.ts";
import type { FramePredictorModel, LossOutput } from "../model.ts";
import type { HgnConfig } from "./config.ts";
import type { Phase } from "../../core/phase.ts";
import { applyHgn, encode, frameWindow, type HgnParams, initHgn, initialState } from "./model.ts";

/**
 * Rollout lengths that grow during training: `from` steps for the first `hold` updates, then
 * linearly more, reaching the model's `rolloutSteps` after `grow` further updates. Short rollouts
 * teach the autoencoder and the local dynamics cheaply (with full-length ones from the start, the
 * far frames it cannot yet predict dominate the loss and even the frames the encoder sees stay
 * blurred); the long ones that follow fix the period and the energy over a whole orbit, which
 * short ones never see.
 */
export interface RolloutCurriculum {
  /** rollout steps at the first update, in [1, rolloutSteps] */
  readonly from: number;
  /** updates at `from` steps */
  readonly hold: number;
  /** updates after those until the full length (0: a jump) */
  readonly grow: number;
}

/**
 * A KL warm-up for the stochastic variant: weight 0 for the first `hold` updates, then growing
 * linearly to 1 over `grow` more (the reference code's `elbo_beta_delay` is `hold` 0). Under
 * GECO with the KL at full weight from the start, the KL empties the posterior while the decoder
 * is still at the mean frame, and it never refills: Adam normalises each weight's step, so even a
 * small KL weight moves the posterior's mean and spread at the full learning rate while the MSE's
 * gradient on them is still noise. With the weight at 0 the model first learns as the
 * deterministic variant does, with its posterior narrow, and only then pays for what it carries.
 */
export interface KlWarmup {
  /** updates at weight 0 */
  readonly hold: number;
  /** updates after those until weight 1 (0: a jump) */
  readonly grow: number;
}

/**
 * Latent consistency: the rolled-out state at time `t` should be the state the encoder infers
 * from the true frames `t .. t + F - 1`, as it is at `t = 0` by construction. Without it the
 * latent is free to drift along directions the decoder ignores within the trained horizon: the
 * rollout keeps drawing the right frames for as long as it was trained, then leaves the states
 * the decoder knows (measured: the 30-step default's per-step error passes the static
 * predictor's one step after its horizon, while its energy stays constant to 3e-3 of its
 * spread). Tied to the encoder, whose states of any window come from one stationary
 * distribution, the rollout stays where the decoder was trained at every time.
 */
export interface LatentConsistency {
  /** the penalty's weight against the per-pixel MSE */
  readonly weight: number;
  /** windows drawn per update (seeded, without replacement, from `1 .. T + 1 - F`) */
  readonly windows: number;
  /**
   * updates before the penalty starts (default 0): until the autoencoder separates the
   * sequences, their states' spread (the penalty's scale) is near zero
   */
  readonly start?: number;
}

/** The configuration of the HGN model record: the network and how an update scores it. */
export interface HgnObjectiveConfig {
  readonly model: HgnConfig;
  /**
   * decode and score only this many of the `T + 1` predicted frames per update, drawn at random
   * (seeded) without replacement: an unbiased estimate of the all-frame MSE that makes long
   * rollouts affordable on a CPU (the rollout itself is cheap; decoding is not). 0: every frame.
   */
  readonly framesPerUpdate?: number;
  /** a rollout-length curriculum (absent: every update rolls out `model.rolloutSteps`) */
  readonly curriculum?: RolloutCurriculum;
  /** the stochastic variant's KL weight over training (absent: 1 from the start) */
  readonly klWarmup?: KlWarmup;
  /** tie the rollout to the encoder's states of later windows (absent: none) */
  readonly consistency?: LatentConsistency;
}

/**
 * The weight of the KL at update `step` (0-based) under the config's warm-up.
 *
 * @example
 * ```ts
 * import { klWeightAt, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { deepStrictEqual } from "node:assert/strict";
 * const config = { model: SMALL_HGN, klWarmup: { hold: 100, grow: 100 } };
 * deepStrictEqual([0, 99, 100, 150, 200, 500].map((u) => klWeightAt(config, u)), [0, 0, 0, 0.5, 1, 1]);
 * deepStrictEqual(klWeightAt({ ...config, klWarmup: { hold: 10, grow: 0 } }, 10), 1);
 * deepStrictEqual(klWeightAt({ model: SMALL_HGN }, 0), 1);
 * ```
 */
export const klWeightAt = (config: HgnObjectiveConfig, step: number): number => {
  const w = config.klWarmup;
  if (!w || step >= w.hold + w.grow) return 1;
  return step < w.hold ? 0 : (step - w.hold) / w.grow;
};

/**
 * The rollout length of update `step` (0-based) under the config's curriculum.
 *
 * @example
 * ```ts
 * import { rolloutStepsAt, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { deepStrictEqual } from "node:assert/strict";
 * const config = {
 *   model: { ...SMALL_HGN, rolloutSteps: 30 },
 *   curriculum: { from: 10, hold: 50, grow: 100 },
 * };
 * deepStrictEqual([0, 49, 50, 100, 149, 150, 500].map((u) => rolloutStepsAt(config, u)), [10, 10, 10, 20, 29, 30, 30]);
 * deepStrictEqual(rolloutStepsAt({ model: SMALL_HGN }, 0), SMALL_HGN.rolloutSteps);
 * ```
 */
export const rolloutStepsAt = (config: HgnObjectiveConfig, step: number): number => {
  const full = config.model.rolloutSteps;
  const c = config.curriculum;
  if (!c || step >= c.hold + c.grow) return full;
  if (step < c.hold) return c.from;
  return Math.min(full, c.from + Math.floor(((full - c.from) * (step - c.hold)) / c.grow));
};

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
