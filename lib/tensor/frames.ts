/**
 * Pixels to tensors: byte sequences of frames (the dataset's layout) as float batches in [0, 1],
 * for every model that learns from pixels.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";

/**
 * Stacks byte sequences `[>= frames, size, size, 3]` (the dataset's layout) into a float batch
 * `[B, frames, size, size, 3]` in [0, 1], keeping the first `frames` of each.
 *
 * @example
 * ```ts
 * import { toBatch, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const b = toBatch([new Uint8Array(2 * 4 * 4 * 3).fill(255)], 1, 4);
 * deepStrictEqual(b.shape, [1, 1, 4, 4, 3]);
 * ```
 */
export const toBatch = (
  sequences: readonly Uint8Array[],
  frames: number,
  size: number,
): tf.Tensor5D => {
  const per = frames * size * size * 3;
  const out = new Float32Array(sequences.length * per);
  sequences.forEach((seq, b) => {
    if (seq.length < per) {
      throw new RangeError(
        `sequence ${b} has ${seq.length} bytes, needs ${per} (${frames} frames of ${size}x${size}x3)`,
      );
    }
    for (let i = 0; i < per; i++) out[b * per + i] = seq[i] / 255;
  });
  return tf.tensor5d(out, [sequences.length, frames, size, size, 3]);
};

/** Per-sequence numbers of predicted frames against the truth (Table 1, Table 2, figure 6, VPT). */
export interface PredictionScores {
  /** `[B][T]` mean squared pixel error per predicted frame */
  readonly perStepMse: number[][];
  /** `[B]` MSE of predicting every frame by the sequence's own mean frame (over the same frames) */
  readonly staticMse: number[];
  /** `[B][T]` the static predictor's MSE per frame (its mean over frames is `staticMse`) */
  readonly staticPerStepMse: number[][];
  /** `[B]` variance over time of the learned energy along the rollout */
  readonly energyVariance: number[];
  /**
   * `[B][T]` the paper's valid-prediction-time error (as in the co-authors' reference code):
   * per-frame MSE divided by the mean squared pixel value of that ground-truth frame,
   * `mean((x_t - x̂_t)^2) / mean(x_t^2)`; pass a row to `validPredictionFrames`
   */
  readonly vptNormalisedMse: number[][];
  /**
   * `[B][T]` per-frame MSE divided by the sequence's static MSE ({@linkcode staticMse}): 1
   * means no better than the mean frame. A diagnostic of this library, not the paper's VPT error
   */
  readonly staticNormalisedMse: number[][];
}

const rows = (t: Float32Array | Int32Array | Uint8Array, cols: number): number[][] =>
  Array.from(
    { length: t.length / cols },
    (_, i) => Array.from(t.subarray(i * cols, (i + 1) * cols)),
  );

/** Floor of a denominator, so an all-black frame or a constant sequence gives no NaN. */
const TINY_DENOMINATOR = 1e-12;

/**
 * Scores predicted frames `[B, T, S, S, 3]` against the true ones (same shape), with the
 * learned energy along each rollout `[B, T]`: the same numbers for every model that predicts
 * pixels (HGN and the pixel HNNs). Denominators are floored at 1e-12. Disposes nothing.
 *
 * @example
 * ```ts
 * import { scorePredictions, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const truth = tf.fill([1, 2, 2, 2, 3], 0.5) as tf.Tensor5D;
 * const guess = tf.fill([1, 2, 2, 2, 3], 0.25) as tf.Tensor5D;
 * const s = await scorePredictions(truth, guess, tf.tensor2d([[1, 3]]));
 * deepStrictEqual([s.perStepMse, s.energyVariance, s.vptNormalisedMse], [[[0.0625, 0.0625]], [1], [[0.25, 0.25]]]);
 * ```
 */
export const scorePredictions = async (
  truth: tf.Tensor5D,
  predicted: tf.Tensor5D,
  energies: tf.Tensor2D,
): Promise<PredictionScores> => {
  const [B, T] = truth.shape;
  if (
    predicted.shape.join() !== truth.shape.join() || energies.shape.join() !== [B, T].join()
  ) {
    throw new RangeError(
      `scores need predictions [${truth.shape}] and energies [${B}, ${T}], got [${predicted.shape}] and [${energies.shape}]`,
    );
  }
  const parts = tf.tidy(() => {
    const perStep = tf.mean(tf.squaredDifference(predicted, truth), [2, 3, 4]);
    const meanFrame = tf.mean(truth, 1, true);
    const staticPerStep = tf.mean(tf.squaredDifference(truth, meanFrame), [2, 3, 4]);
    const stat = tf.mean(staticPerStep, 1);
    const { variance } = tf.moments(energies, 1);
    const truthPower = tf.maximum(tf.mean(tf.square(truth), [2, 3, 4]), TINY_DENOMINATOR);
    return [perStep, stat, variance, tf.div(perStep, truthPower), staticPerStep];
  });
  const [a, b, c, d, e] = await Promise.all(parts.map((t) => t.data()));
  tf.dispose(parts);
  const perStepMse = rows(a as Float32Array, T);
  const staticMse = Array.from(b as Float32Array);
  return {
    perStepMse,
    staticMse,
    staticPerStepMse: rows(e as Float32Array, T),
    energyVariance: Array.from(c as Float32Array),
    vptNormalisedMse: rows(d as Float32Array, T),
    staticNormalisedMse: perStepMse.map((r, i) =>
      r.map((x) => x / Math.max(staticMse[i], TINY_DENOMINATOR))
    ),
  };
};
