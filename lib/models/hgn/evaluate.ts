/**
 * Evaluation and demonstration rollouts of a trained HGN: the paper's metrics over a split, and
 * the rollouts of figures 7 and 8 (forward, backward by negated dt, faster and slower, samples
 * from the prior).
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import type { Phase } from "../../core/phase.ts";
import { isFiniteTree } from "../../tensor/params.ts";
import type { HgnConfig } from "./config.ts";
import { toBatch } from "../../tensor/frames.ts";
import { encode, firstFrames, type HgnParams, initialState, unroll } from "./network.ts";
import { evaluateBatch, validPredictionFrames } from "./metrics.ts";
import {
  addLatent,
  latentBatch,
  type LatentReport,
  latentReport,
  latentSums,
} from "./diagnostics.ts";

/** The paper's metrics over a set of sequences. */
export interface EvalReport {
  readonly sequences: number;
  readonly steps: number;
  /** average pixel MSE over the unroll (Table 1 reports it x1e4) */
  readonly mse: number;
  /** per-step MSE averaged over sequences (figure 6), `steps + 1` entries */
  readonly perStepMse: number[];
  /** MSE of each sequence's own mean frame, averaged: the best static predictor */
  readonly staticMse: number;
  /** `staticMse / mse`: how many times better than standing still */
  readonly improvementOverStatic: number;
  /** the static predictor's MSE per step, averaged over sequences, `steps + 1` entries */
  readonly staticPerStepMse: number[];
  /** steps `t >= 1` at which the model's per-step MSE is below the static predictor's */
  readonly stepsBeatingStatic: number;
  /** variance of the learned Hamiltonian along a rollout, averaged (Table 2 reports it x1e4) */
  readonly energyVariance: number;
  /**
   * valid prediction time as the co-authors' reference code defines it: mean number of frames,
   * from the first, before a frame's MSE divided by the mean squared pixel value of its
   * ground-truth frame first exceeds 0.025
   */
  readonly validPredictionFrames: number;
  /** the same in time units (`frames x dt`) */
  readonly validPredictionTime: number;
  /**
   * a stricter variant: frames before a frame's MSE divided by the sequence's static-predictor
   * MSE first exceeds 0.025
   */
  readonly staticNormalisedVpt: number;
  /** where the rollout leaves the encoder's states, the energy drift, the backward rollout */
  readonly latent: LatentReport;
}

/**
 * The model's weights hold NaN or infinite values: nothing it predicts means anything.
 *
 * @example
 * ```ts
 * import { NonFiniteModelError } from "@hamiltonian/hgn/models/hgn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new NonFiniteModelError("x").name, "NonFiniteModelError");
 * ```
 */
export class NonFiniteModelError extends RangeError {
  override name = "NonFiniteModelError";
}

/**
 * Evaluates `count` sequences given by `sequence(i)` (bytes `[>= steps + 1, S, S, 3]`), in
 * batches, unrolling the posterior mean for `steps` steps. A model with non-finite weights is a
 * {@link NonFiniteModelError}; `steps + 1` must cover the model's input frames.
 *
 * @example
 * ```ts
 * import { evaluate, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * const sequence = new Uint8Array(4 * 32 * 32 * 3).fill(90);
 * const r = await evaluate(config, params, () => sequence, 2, { steps: 3, batchSize: 2 });
 * strictEqual(r.perStepMse.length, 4);
 * ok(r.mse >= 0);
 * ```
 */
export const evaluate = async (
  config: HgnConfig,
  params: HgnParams,
  sequence: (index: number) => Uint8Array | Promise<Uint8Array>,
  count: number,
  options: { readonly steps: number; readonly batchSize: number },
): Promise<EvalReport> => {
  const { steps, batchSize } = options;
  if (!Number.isInteger(steps) || steps < 1 || steps + 1 < config.inputFrames) {
    throw new RangeError(
      `an evaluation unrolls an integer number of steps >= 1 whose ${
        steps + 1
      } frames cover the model's ${config.inputFrames} input frames; got ${steps} steps`,
    );
  }
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`an evaluation needs at least one sequence, got ${count}`);
  }
  if (!await isFiniteTree(params)) {
    throw new NonFiniteModelError("the model's weights hold NaN or infinite values");
  }
  const perStep = new Array(steps + 1).fill(0);
  const staticPerStep = new Array(steps + 1).fill(0);
  const latent = latentSums(steps, config.inputFrames);
  let staticSum = 0;
  let energySum = 0;
  let validSum = 0;
  let staticValidSum = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const sequences = await Promise.all(Array.from({ length: n }, (_, i) => sequence(start + i)));
    const batch = toBatch(sequences, steps + 1, config.size);
    const m = await evaluateBatch(config, params, batch, steps);
    addLatent(latent, await latentBatch(config, params, batch, steps));
    batch.dispose();
    m.perStepMse.forEach((row) => row.forEach((x, t) => (perStep[t] += x)));
    m.staticPerStepMse.forEach((row) => row.forEach((x, t) => (staticPerStep[t] += x)));
    staticSum += m.staticMse.reduce((a, b) => a + b, 0);
    energySum += m.energyVariance.reduce((a, b) => a + b, 0);
    validSum += m.vptNormalisedMse.reduce((a, r) => a + validPredictionFrames(r), 0);
    staticValidSum += m.staticNormalisedMse.reduce((a, r) => a + validPredictionFrames(r), 0);
  }
  const perStepMse = perStep.map((x) => x / count);
  const staticPerStepMse = staticPerStep.map((x) => x / count);
  const mse = perStepMse.reduce((a, b) => a + b, 0) / perStepMse.length;
  const staticMse = staticSum / count;
  return {
    sequences: count,
    steps,
    mse,
    perStepMse,
    staticMse,
    improvementOverStatic: staticMse / mse,
    staticPerStepMse,
    stepsBeatingStatic: perStepMse.filter((x, t) => t >= 1 && x < staticPerStepMse[t]).length,
    energyVariance: energySum / count,
    validPredictionFrames: validSum / count,
    validPredictionTime: (validSum / count) * config.dt,
    staticNormalisedVpt: staticValidSum / count,
    latent: latentReport(latent),
  };
};

/** Float frames `[T, S, S, 3]` in [0, 1] to one byte array per frame. */
const toBytes = async (frames: tf.Tensor4D): Promise<Uint8Array[]> => {
  const [T, S] = frames.shape;
  const data = (await frames.data()) as Float32Array;
  const per = S * S * 3;
  return Array.from({ length: T }, (_, t) => {
    const out = new Uint8Array(per);
    for (let i = 0; i < per; i++) {
      out[i] = Math.round(Math.min(1, Math.max(0, data[t * per + i])) * 255);
    }
    return out;
  });
};

/** The initial state the model infers for sequences (the posterior mean). */
const inferState = (
  config: HgnConfig,
  params: HgnParams,
  frames: tf.Tensor5D,
): Phase<tf.Tensor4D> => initialState(config, params, encode(config, params, frames).mean);

/** Rollouts of one sequence, as byte frames, for GIFs and strips. */
export interface Rollouts {
  /** the ground truth, `steps + 1` frames */
  readonly truth: Uint8Array[];
  readonly forward: Uint8Array[];
  /** from the forward rollout's last state with `-dt`: should retrace `forward` in reverse */
  readonly backward: Uint8Array[];
  /** `dt x 2` and `dt x 0.5` from the same initial state */
  readonly faster: Uint8Array[];
  readonly slower: Uint8Array[];
  /** largest |state difference| between `backward` reversed and `forward`, over q and p */
  readonly retraceError: number;
}

/**
 * Forward, backward (negated dt), faster and slower rollouts of one sequence `[F, S, S, 3]`.
 *
 * @example
 * ```ts
 * import { initHgn, sequenceRollouts, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * const sequence = new Uint8Array(4 * 32 * 32 * 3).fill(90);
 * const r = await sequenceRollouts(config, params, sequence, 3);
 * strictEqual(r.backward.length, 4);
 * ok(r.retraceError < 1e-4);
 * ```
 */
export const sequenceRollouts = async (
  config: HgnConfig,
  params: HgnParams,
  sequence: Uint8Array,
  steps: number,
): Promise<Rollouts> => {
  const batch = toBatch([sequence], Math.max(steps + 1, config.inputFrames), config.size);
  const [truthT, fwdT, backT, fastT, slowT, errT] = tf.tidy(() => {
    const s0 = inferState(config, params, batch);
    const fwd = unroll(config, params, s0, config.dt, steps);
    const back = unroll(config, params, fwd.states[steps], -config.dt, steps);
    const fast = unroll(config, params, s0, 2 * config.dt, steps);
    const slow = unroll(config, params, s0, 0.5 * config.dt, steps);
    const diffs = fwd.states.map((s, t) => {
      const b = back.states[steps - t];
      return tf.maximum(tf.max(tf.abs(tf.sub(s.q, b.q))), tf.max(tf.abs(tf.sub(s.p, b.p))));
    });
    const squeeze = (x: tf.Tensor5D) => tf.squeeze(x, [0]) as tf.Tensor4D;
    return [
      squeeze(firstFrames(batch, steps + 1)),
      squeeze(fwd.frames),
      squeeze(back.frames),
      squeeze(fast.frames),
      squeeze(slow.frames),
      tf.max(tf.stack(diffs)),
    ];
  });
  batch.dispose();
  const [truth, forward, backward, faster, slower] = await Promise.all(
    [truthT, fwdT, backT, fastT, slowT].map((t) => toBytes(t as tf.Tensor4D)),
  );
  const retraceError = (await errT.data())[0];
  tf.dispose([truthT, fwdT, backT, fastT, slowT, errT]);
  return { truth, forward, backward, faster, slower, retraceError };
};

/**
 * New trajectories from the prior: `z ~ N(0, I)` (seeded), through f_psi, rolled out and decoded.
 * Returns `count` sequences of `steps + 1` byte frames.
 *
 * @example
 * ```ts
 * import { initHgn, priorSamples, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * const samples = await priorSamples(config, params, 2, 3, 7);
 * strictEqual(samples.length, 2);
 * strictEqual(samples[0][0].length, 32 * 32 * 3);
 * ```
 */
export const priorSamples = async (
  config: HgnConfig,
  params: HgnParams,
  count: number,
  steps: number,
  seed: number,
): Promise<Uint8Array[][]> => {
  const frames = tf.tidy(() => {
    const z = tf.randomNormal(
      [count, 4, 4, 2 * config.stateChannels],
      0,
      1,
      "float32",
      seed,
    ) as tf.Tensor4D;
    return unroll(config, params, initialState(config, params, z), config.dt, steps).frames;
  });
  const out: Uint8Array[][] = [];
  // row i of [count, T, ...], as rank 2 (wasm slices rank-5 tensors element by element)
  const [, T, S] = frames.shape;
  for (let i = 0; i < count; i++) {
    const row = tf.slice(tf.reshape(frames, [count, -1]), [i, 0], [1, -1]);
    const one = tf.reshape(row, [T, S, S, 3]) as tf.Tensor4D;
    out.push(await toBytes(one));
    one.dispose();
  }
  frames.dispose();
  return out;
};
