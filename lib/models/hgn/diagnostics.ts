/**
 * Where a rollout leaves the data: latent diagnostics of a trained HGN along true sequences.
 *
 * The decoder only ever learns to draw states the encoder (and short rollouts from it) produce.
 * A rollout that predicts well stays near the state the encoder infers from the true frames at
 * the same time; one that fades has left that region, and the decoder draws the mean frame
 * there. These numbers say when, and whether the learned energy explains it:
 *
 * - **latent distance**: at each step `t`, the distance of the rolled-out `q_t` (and `p_t`) from
 *   the encoder's state of the true frames `t .. t + F - 1` (F: the model's input frames),
 *   divided by the size of the encoded orbit (the RMS distance of the encoded states from their
 *   mean over the sequence): 0 is on the encoder's trajectory, 1 is as far off as the orbit is
 *   wide;
 * - **energy drift**: the learned energy along the rollout, `|H(s_t) - H(s_0)|`, and along the
 *   encoder's states of the true frames, `|H(e_t) - H(e_0)|`, each divided by the spread (standard
 *   deviation) of `H(s_0)` over the sequences: 1 means the state has drifted by as much energy as
 *   separates typical trajectories;
 * - **backward from a late frame**: the encoder's state of the last window, rolled back with
 *   `-dt` to the first frame, scored per frame against the truth.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import type { Phase } from "../../core/phase.ts";
import type { HgnConfig } from "./config.ts";
import {
  checkFrames,
  decode,
  encode,
  frameWindow,
  hgnHamiltonian,
  type HgnParams,
  initialState,
  latentRollout,
} from "./network.ts";

/** Per-sequence latent numbers of one batch (see the module doc). */
export interface LatentScores {
  /** `[B][W]` rolled-out `q_t` against the encoder's `q` of frames `t .. t + F - 1`, relative */
  readonly qDistance: number[][];
  /** `[B][W]` the same for `p` */
  readonly pDistance: number[][];
  /** `[B][T + 1]` the learned energy along the rollout from the encoder's first state */
  readonly rolloutEnergy: number[][];
  /** `[B][W]` the learned energy of the encoder's state of each window of true frames */
  readonly encodedEnergy: number[][];
  /**
   * `[B][W]` pixel MSE at frame `t` of the rollout with `-dt` from the encoder's state of the last
   * window (`t = W - 1`) back to the first frame
   */
  readonly backwardMse: number[][];
}

/** Floor of the orbit size, so a sequence that never moves gives no NaN. */
const TINY = 1e-12;

/** `[B, T, ...]` rows of a flat array, one per sequence. */
const perSequence = (data: Float32Array, B: number): Float32Array[] =>
  Array.from(
    { length: B },
    (_, b) => data.subarray((b * data.length) / B, ((b + 1) * data.length) / B),
  );

/**
 * Relative distances `[B][W]` of rolled-out states `[B, W, D]` from encoded ones `[B, W, D]`:
 * `|x_t - e_t| / sqrt(mean_t |e_t - mean_t e|^2)` per sequence.
 *
 * @example
 * ```ts
 * import { relativeDistances } from "@hamiltonian/hgn/models/hgn";
 * import { deepStrictEqual } from "node:assert/strict";
 * // one sequence, two steps, 1-D: encoded orbit -1, 1 (size 1); rollout -1, 2
 * deepStrictEqual(relativeDistances(Float32Array.of(-1, 2), Float32Array.of(-1, 1), 1, 2), [[0, 1]]);
 * ```
 */
export const relativeDistances = (
  rolled: Float32Array,
  encoded: Float32Array,
  B: number,
  W: number,
): number[][] => {
  const D = encoded.length / (B * W);
  return perSequence(encoded, B).map((e, b) => {
    const x = rolled.subarray(b * W * D, (b + 1) * W * D);
    const mean = new Float64Array(D);
    for (let t = 0; t < W; t++) for (let i = 0; i < D; i++) mean[i] += e[t * D + i] / W;
    let spread = 0;
    for (let t = 0; t < W; t++) {
      for (let i = 0; i < D; i++) spread += (e[t * D + i] - mean[i]) ** 2 / W;
    }
    const size = Math.max(Math.sqrt(spread), TINY);
    return Array.from({ length: W }, (_, t) => {
      let d = 0;
      for (let i = 0; i < D; i++) d += (x[t * D + i] - e[t * D + i]) ** 2;
      return Math.sqrt(d) / size;
    });
  });
};

const rows = (data: Float32Array, B: number): number[][] =>
  perSequence(data, B).map((r) => Array.from(r));

/**
 * The latent diagnostics of one batch of true sequences `[B, >= steps + 1, S, S, 3]` over a
 * `steps`-step rollout of the posterior mean. Windows `W = steps + 2 - inputFrames` (every start
 * whose `F` frames lie inside the sequence). Does not dispose `params` or `frames`; leaves no
 * tensors behind.
 *
 * @example
 * ```ts
 * import { initHgn, latentBatch, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual, ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const s = await latentBatch(config, initHgn(config, 0), tf.randomUniform([2, 4, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor5D, 3);
 * deepStrictEqual([s.qDistance[0].length, s.rolloutEnergy[0].length, s.backwardMse[1].length], [3, 4, 3]);
 * ok(s.qDistance[0][0] < 1e-6); // the rollout starts at the encoder's first state
 * ```
 */
export const latentBatch = async (
  config: HgnConfig,
  params: HgnParams,
  frames: tf.Tensor5D,
  steps: number,
): Promise<LatentScores> => {
  const F = config.inputFrames;
  checkFrames(config, frames, Math.max(steps + 1, F), "latent diagnostics");
  const B = frames.shape[0];
  const W = steps + 2 - F;
  const parts = tf.tidy(() => {
    const h = hgnHamiltonian(config, params);
    const stateAt = (t: number): Phase<tf.Tensor4D> =>
      initialState(config, params, encode(config, params, frameWindow(frames, t, F)).mean);
    const encoded = Array.from({ length: W }, (_, t) => stateAt(t));
    const roll = latentRollout(config, params, encoded[0], config.dt, steps);
    // [B, W, D] stacks of rolled-out and encoded q and p
    const stack = (xs: tf.Tensor4D[]) => tf.reshape(tf.stack(xs, 1), [B, xs.length, -1]);
    const first = (xs: Phase<tf.Tensor4D>[], key: "q" | "p") =>
      stack(xs.slice(0, W).map((s) => s[key]));
    const back = latentRollout(config, params, encoded[W - 1], -config.dt, W - 1);
    // backward state k is frame W - 1 - k: decode frame t from state W - 1 - t
    const qs = tf.concat(
      Array.from({ length: W }, (_, t) => back.states[W - 1 - t].q),
      0,
    ) as tf.Tensor4D;
    const images = tf.reshape(decode(config, params, qs), [W, B, -1]);
    const truth = tf.transpose(tf.reshape(frameWindow(frames, 0, W), [B, W, -1]), [1, 0, 2]);
    const backwardMse = tf.transpose(tf.mean(tf.squaredDifference(images, truth), 2));
    return [
      first(roll.states, "q"),
      first(encoded, "q"),
      first(roll.states, "p"),
      first(encoded, "p"),
      roll.energies,
      tf.stack(encoded.map((s) => h.energy(s)), 1),
      backwardMse,
    ];
  });
  const [rq, eq, rp, ep, re, ee, bm] =
    (await Promise.all(parts.map((t) => t.data()))) as Float32Array[];
  tf.dispose(parts);
  return {
    qDistance: relativeDistances(rq, eq, B, W),
    pDistance: relativeDistances(rp, ep, B, W),
    rolloutEnergy: rows(re, B),
    encodedEnergy: rows(ee, B),
    backwardMse: rows(bm, B),
  };
};

/** The latent diagnostics averaged over a set of sequences (see the module doc). */
export interface LatentReport {
  /** mean relative distance of the rolled-out `q_t` from the encoder's, per window start `t` */
  readonly qDistance: number[];
  /** the same for `p_t` */
  readonly pDistance: number[];
  /** mean `|H(s_t) - H(s_0)|` along the rollout over the spread of `H(s_0)`, `steps + 1` entries */
  readonly energyDrift: number[];
  /** mean `|H(e_t) - H(e_0)|` along the encoder's states of the true frames, same scale */
  readonly encodedEnergyDrift: number[];
  /** the spread (standard deviation over sequences) of the initial learned energy */
  readonly energySpread: number;
  /** per-frame MSE of the backward rollout from the encoder's state of the last window */
  readonly backwardMse: number[];
}

/** Sums of {@link LatentScores} over batches, averaged by {@link latentReport}. */
export interface LatentSums {
  count: number;
  qDistance: number[];
  pDistance: number[];
  rolloutDrift: number[];
  encodedDrift: number[];
  backwardMse: number[];
  initialEnergies: number[];
}

/** Empty sums for a `steps`-step unroll of a model with `inputFrames` input frames. */
export const latentSums = (steps: number, inputFrames: number): LatentSums => {
  const W = steps + 2 - inputFrames;
  const zeros = (n: number) => new Array(n).fill(0);
  return {
    count: 0,
    qDistance: zeros(W),
    pDistance: zeros(W),
    rolloutDrift: zeros(steps + 1),
    encodedDrift: zeros(W),
    backwardMse: zeros(W),
    initialEnergies: [],
  };
};

/** Adds one batch's scores to the sums (in place). */
export const addLatent = (sums: LatentSums, s: LatentScores): void => {
  const add = (into: number[], rows: number[][]) =>
    rows.forEach((r) => r.forEach((x, t) => (into[t] += x)));
  const drift = (rows: number[][]) => rows.map((r) => r.map((x) => Math.abs(x - r[0])));
  sums.count += s.qDistance.length;
  add(sums.qDistance, s.qDistance);
  add(sums.pDistance, s.pDistance);
  add(sums.rolloutDrift, drift(s.rolloutEnergy));
  add(sums.encodedDrift, drift(s.encodedEnergy));
  add(sums.backwardMse, s.backwardMse);
  sums.initialEnergies.push(...s.rolloutEnergy.map((r) => r[0]));
};

/**
 * The averages of the sums; energy drifts on the scale of the initial energies' spread.
 *
 * @example
 * ```ts
 * import { addLatent, latentReport, latentSums } from "@hamiltonian/hgn/models/hgn";
 * import { deepStrictEqual } from "node:assert/strict";
 * const sums = latentSums(1, 1); // one step, one input frame: two windows
 * addLatent(sums, {
 *   qDistance: [[0, 1], [0, 3]], pDistance: [[0, 0], [0, 0]],
 *   rolloutEnergy: [[1, 2], [3, 3]], encodedEnergy: [[1, 1], [3, 5]], backwardMse: [[1, 0], [3, 0]],
 * });
 * const r = latentReport(sums);
 * deepStrictEqual([r.qDistance, r.energySpread, r.energyDrift, r.encodedEnergyDrift, r.backwardMse], [[0, 2], 1, [0, 0.5], [0, 1], [2, 0]]);
 * ```
 */
export const latentReport = (sums: LatentSums): LatentReport => {
  const n = sums.count;
  const e = sums.initialEnergies;
  const mean = e.reduce((a, b) => a + b, 0) / e.length;
  const spread = Math.sqrt(e.reduce((a, x) => a + (x - mean) ** 2, 0) / e.length);
  const scale = Math.max(spread, TINY);
  const avg = (xs: number[], by = 1) => xs.map((x) => x / n / by);
  return {
    qDistance: avg(sums.qDistance),
    pDistance: avg(sums.pDistance),
    energyDrift: avg(sums.rolloutDrift, scale),
    encodedEnergyDrift: avg(sums.encodedDrift, scale),
    energySpread: spread,
    backwardMse: avg(sums.backwardMse),
  };
};
