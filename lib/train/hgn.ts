/**
 * Training HGN: the state of a run, one update, and the seeded order of the data. Side effects
 * stop here: files, checkpoints and logs are lib/io's.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { deriveSeed, random, shuffle } from "../core/random.ts";
import type { HgnConfig } from "../models/hgn/config.ts";
import { hgnLoss, type ObjectiveConfig } from "../models/hgn/loss.ts";
import { disposeHgn, type HgnParams, hgnVariables, initHgn } from "../models/hgn/model.ts";
import { adam, type AdamState, adamStep, disposeAdam } from "./adam.ts";

/** Hyperparameters of training (the model's own are in {@link HgnConfig}). */
export interface HgnTrainConfig {
  readonly model: HgnConfig;
  readonly objective: ObjectiveConfig;
  readonly batchSize: number;
  /** Adam learning rate of the weights (paper: 1.5e-4) */
  readonly learningRate: number;
  /** initial Lagrange multiplier `lambda = softplus(u)` */
  readonly multiplierInit: number;
  /** Adam learning rate of `u` (gradient ascent) */
  readonly multiplierLearningRate: number;
  /** seed of the weights, the data order and the posterior samples */
  readonly seed: number;
  /** training sequences cycled through (seeded shuffle per epoch) */
  readonly trainSize: number;
  /** a rollout-length curriculum (absent: every update rolls out `model.rolloutSteps`) */
  readonly curriculum?: RolloutCurriculum;
}

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
 * The rollout length of update `step` (0-based) under the config's curriculum.
 *
 * @example
 * ```ts
 * import { rolloutStepsAt } from "@hamiltonian/hgn/train";
 * import { SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { deepStrictEqual } from "node:assert/strict";
 * const config = {
 *   model: { ...SMALL_HGN, rolloutSteps: 30 },
 *   curriculum: { from: 10, hold: 50, grow: 100 },
 * };
 * deepStrictEqual([0, 49, 50, 100, 149, 150, 500].map((u) => rolloutStepsAt(config, u)), [10, 10, 10, 20, 29, 30, 30]);
 * deepStrictEqual(rolloutStepsAt({ model: SMALL_HGN }, 0), SMALL_HGN.rolloutSteps);
 * ```
 */
export const rolloutStepsAt = (
  config: Pick<HgnTrainConfig, "model" | "curriculum">,
  step: number,
): number => {
  const full = config.model.rolloutSteps;
  const c = config.curriculum;
  if (!c || step >= c.hold + c.grow) return full;
  if (step < c.hold) return c.from;
  return Math.min(full, c.from + Math.floor(((full - c.from) * (step - c.hold)) / c.grow));
};

/** The evolving state of a run. Variables and optimiser slots live on the tfjs backend. */
export interface HgnTrainState {
  readonly config: HgnTrainConfig;
  readonly params: HgnParams;
  /** the raw multiplier `u`, `lambda = softplus(u)` */
  readonly multiplier: tf.Variable;
  /** Adam on the weights, by path name (see `hgnVariables`) */
  readonly optimizer: AdamState;
  /** Adam ascent on `u` */
  readonly multiplierOptimizer: AdamState;
  /** updates done */
  step: number;
}

/** The name of `u` in optimiser states and checkpoints. */
export const MULTIPLIER = "multiplier";

/** What one update reports (read back from the backend). */
export interface StepMetrics {
  readonly step: number;
  readonly loss: number;
  readonly mse: number;
  readonly kl: number;
  readonly lambda: number;
  /** the rollout length this update trained on (see {@link RolloutCurriculum}) */
  readonly rolloutSteps: number;
}

/**
 * The loss was NaN or infinite: the update was not applied, the weights are the last good.
 *
 * @example
 * ```ts
 * import { NonFiniteLossError } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new NonFiniteLossError("loss became NaN").name, "NonFiniteLossError");
 * ```
 */
export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

/** `x = softplus^-1(y)` for y > 0. */
const inverseSoftplus = (y: number) => (y > 20 ? y : Math.log(Math.expm1(y)));

/**
 * A fresh training state: seeded weights, `u` at `softplus^-1(multiplierInit)`, Adam optimisers.
 *
 * @example
 * ```ts
 * import { initTrainState } from "@hamiltonian/hgn/train";
 * import { SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { strictEqual } from "node:assert/strict";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * await useBackend("cpu");
 * const s = initTrainState({
 *   model: SMALL_HGN, objective: { tolerance: 1e-3 }, batchSize: 8, learningRate: 1e-3,
 *   multiplierInit: 1, multiplierLearningRate: 1e-2, seed: 0, trainSize: 100,
 * });
 * strictEqual(s.step, 0);
 * ```
 */
export const initTrainState = (config: HgnTrainConfig): HgnTrainState => ({
  config,
  params: initHgn(config.model, config.seed),
  multiplier: tf.variable(tf.scalar(inverseSoftplus(config.multiplierInit))),
  optimizer: adam({ learningRate: config.learningRate }),
  multiplierOptimizer: adam({ learningRate: config.multiplierLearningRate }),
  step: 0,
});

/**
 * Frees the state's variables and optimiser slots.
 *
 * @example
 * ```ts
 * import { disposeTrainState, initTrainState } from "@hamiltonian/hgn/train";
 * import { SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const model = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const state = initTrainState({ model, objective: { tolerance: 1e-3 }, batchSize: 1, learningRate: 1e-3, multiplierInit: 1, multiplierLearningRate: 1e-2, seed: 0, trainSize: 1 });
 * disposeTrainState(state);
 * ok(state.multiplier.isDisposed);
 * ```
 */
export const disposeTrainState = (state: HgnTrainState): void => {
  disposeHgn(state.params);
  state.multiplier.dispose();
  disposeAdam(state.optimizer);
  disposeAdam(state.multiplierOptimizer);
};

/**
 * One update on a batch `[B, >= T + 1, size, size, 3]`: gradients of the objective (through the
 * rollout, so through the Hamiltonian's second derivatives), Adam descent on the weights, Adam
 * ascent on `u`. Throws {@link NonFiniteLossError} (and applies nothing) on a NaN or infinite loss.
 * Disposes every intermediate; never the batch.
 *
 * @example
 * ```ts
 * import { disposeTrainState, initTrainState, trainStep } from "@hamiltonian/hgn/train";
 * import { SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const model = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const state = initTrainState({ model, objective: { tolerance: 1e-3 }, batchSize: 1, learningRate: 1e-3, multiplierInit: 1, multiplierLearningRate: 1e-2, seed: 0, trainSize: 1 });
 * const batch = tf.randomUniform([1, 3, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor5D;
 * const m = await trainStep(state, batch);
 * ok(Number.isFinite(m.loss));
 * strictEqual(state.step, 1);
 * disposeTrainState(state);
 * ```
 */
export const trainStep = async (
  state: HgnTrainState,
  frames: tf.Tensor5D,
): Promise<StepMetrics> => {
  const { config } = state;
  const named = hgnVariables(state.params);
  const vars = [...named.map(([, v]) => v), state.multiplier];
  const seed = deriveSeed(config.seed, 0x5e9, state.step);
  const steps = rolloutStepsAt(config, state.step);
  let terms: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const out = hgnLoss(config.model, config.objective, state.params, state.multiplier, frames, {
      seed,
      steps,
    });
    terms = [tf.keep(out.mse), tf.keep(out.kl), tf.keep(out.lambda)];
    return out.loss;
  }, vars);
  const [loss, mse, kl, lambda] = await Promise.all(
    [value, ...terms].map(async (t) => (await t.data())[0]),
  );
  value.dispose();
  tf.dispose(terms);
  if (!Number.isFinite(loss)) {
    tf.dispose(Object.values(grads));
    throw new NonFiniteLossError(
      `loss became ${loss} at step ${
        state.step + 1
      } (mse ${mse}, kl ${kl}); the update was not applied`,
    );
  }
  const byName = new Map(named);
  // A weight the loss does not reach (the output bias of K or V: forces ignore constants) has no
  // gradient; Adam leaves it untouched.
  const weightGrads = new Map(
    named.flatMap(([name, v]) => (grads[v.name] ? [[name, grads[v.name]] as const] : [])),
  );
  adamStep(state.optimizer, byName, weightGrads);
  const multiplierGrad = grads[state.multiplier.name];
  // Without a KL term (the deterministic variant) the multiplier is not in the loss: no update.
  if (multiplierGrad) {
    adamStep(
      state.multiplierOptimizer,
      new Map([[MULTIPLIER, state.multiplier]]),
      new Map([[MULTIPLIER, multiplierGrad]]),
      -1,
    );
  }
  tf.dispose(Object.values(grads));
  state.step += 1;
  return { step: state.step, loss, mse, kl, lambda, rolloutSteps: steps };
};

/**
 * The training indices of update `step` (0-based): epochs of `trainSize` sequences, each in a
 * seeded shuffle of its own, so a resumed run sees exactly the batches it would have seen.
 *
 * @example
 * ```ts
 * import { batchIndices } from "@hamiltonian/hgn/train";
 * import { deepStrictEqual, ok } from "node:assert/strict";
 * deepStrictEqual(batchIndices(1, 10, 4, 7), batchIndices(1, 10, 4, 7));
 * ok(batchIndices(1, 10, 4, 0).every((i) => i >= 0 && i < 10));
 * ```
 */
export const batchIndices = (
  seed: number,
  trainSize: number,
  batchSize: number,
  step: number,
): number[] => {
  const out: number[] = [];
  let cachedEpoch = -1;
  let perm: Uint32Array = new Uint32Array(0);
  for (let k = 0; k < batchSize; k++) {
    const flat = step * batchSize + k;
    const epoch = Math.floor(flat / trainSize);
    if (epoch !== cachedEpoch) {
      perm = permutation(deriveSeed(seed, 0xe90c, epoch), trainSize);
      cachedEpoch = epoch;
    }
    out.push(perm[flat % trainSize]);
  }
  return out;
};

/** A seeded Fisher-Yates permutation of `0..n-1`. */
const permutation = (seed: number, n: number): Uint32Array =>
  shuffle(random(seed), Uint32Array.from({ length: n }, (_, i) => i));

/**
 * Stacks byte sequences `[frames, size, size, 3]` (the dataset's layout) into a float batch
 * `[B, frames, size, size, 3]` in [0, 1], keeping the first `frames` of each.
 *
 * @example
 * ```ts
 * import { toBatch } from "@hamiltonian/hgn/train";
 * import { deepStrictEqual } from "node:assert/strict";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
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
      throw new RangeError(`sequence ${b} has ${seq.length} bytes, needs ${per}`);
    }
    for (let i = 0; i < per; i++) out[b * per + i] = seq[i] / 255;
  });
  return tf.tensor5d(out, [sequences.length, frames, size, size, 3]);
};
