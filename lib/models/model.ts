/**
 * What a model is to the training stack: a record of pure functions over a parameter tree
 * (dm-haiku's `init`/`apply`, optax's update). HGN implements it; NHF, RealNVP and the HNN family
 * implement the same record, and `fit`, the optimiser, constrained objectives and checkpoints in
 * `lib/train` and `lib/io` work for all of them without knowing which.
 *
 * @module
 */
import type { tf } from "../deps/tf.ts";
import type { Params } from "../tensor/params.ts";

/** What a loss sees besides parameters and batch. */
export interface LossContext {
  /** a seed for this update's randomness (posterior samples, scored frames...) */
  readonly seed: number;
  /** updates done before this one (schedules and curricula read it) */
  readonly step: number;
}

/**
 * One evaluation of a model's objective. `loss` is what the weights minimise. A model that can be
 * trained under a constraint (GECO, see `constrained` in `lib/train`) also reports the
 * constrained quantity in `constraint` (e.g. the reconstruction error), with `loss` holding
 * the rest of the objective (e.g. the KL).
 */
export interface LossOutput {
  readonly loss: tf.Scalar;
  /** scalars to log, by name (read back once per update) */
  readonly metrics: Readonly<Record<string, tf.Scalar>>;
  /** the quantity a constrained objective keeps below its tolerance */
  readonly constraint?: tf.Scalar;
}

/**
 * A group of parameters (by path prefix) with an optimiser setting of its own: another learning
 * rate, or gradient ascent (a Lagrange multiplier).
 */
export interface ParamGroup {
  /** parameters whose path starts with this prefix, e.g. `"geco/"` */
  readonly prefix: string;
  readonly learningRate: number;
  /** ascend instead of descend */
  readonly ascend: boolean;
}

/**
 * Where another thread finds a model record: the URL of a module that exports it, and the export's
 * name, maybe wrapped in `constrained` (GECO). A record names its own (`origin`), so that a worker
 * pool gets the model from the record alone.
 */
export interface ModelRef {
  /** a URL the worker can import, e.g. `import.meta.url` of the record's own module */
  readonly module: string;
  /** the export that holds the model record */
  readonly name: string;
  /** wrap it in `constrained` (GECO) */
  readonly constrained?: boolean;
}

/**
 * A trainable model. `C` is its configuration (plain JSON: it is saved with the run and its
 * fingerprint is checked on load), `P` its parameter tree, `B` a batch.
 *
 * Laws: `init` is a pure function of `(config, seed)` (same tensors for the same arguments);
 * `loss` is a pure function of its arguments (randomness only from `context.seed`); neither
 * disposes its inputs.
 */
export interface Model<C, P extends Params, B> {
  /** a stable name, saved in checkpoints (e.g. `"hgn"`, `"hgn+geco"`) */
  readonly name: string;
  /** the parameters of a fresh model (plain tensors; the training state makes them variables) */
  readonly init: (config: C, seed: number) => P;
  /** the objective on one batch */
  readonly loss: (config: C, params: P, batch: B, context: LossContext) => LossOutput;
  /** parameters trained with their own settings (default: every parameter descends at the base rate) */
  readonly groups?: (config: C) => readonly ParamGroup[];
  /** where a gradient worker imports this record (absent: it trains on the main thread only) */
  readonly origin?: ModelRef;
}

/** What a frame predictor gives for a batch of sequences. */
export interface FramePrediction {
  /** predicted frames `[B, steps + 1, size, size, 3]`, from the first observed frame's time */
  readonly frames: tf.Tensor5D;
  /** the model's energy at each of those times `[B, steps + 1]` (zeros for a model without one) */
  readonly energies: tf.Tensor2D;
}

/**
 * A capability: the model predicts frames. It observes the first `observedFrames(config)`
 * frames of each sequence `[B, >= observed, size, size, 3]` and rolls out `steps` steps. Every
 * frame predictor is scored by the same code (the table's scorer, `scorePredictions`).
 *
 * Laws: `predictFrames` is pure (same tensors for the same arguments), reads no frame past the
 * observed ones, and disposes nothing it was given.
 */
export interface FramePredictor<C, P extends Params> {
  /** how many leading frames of a sequence the prediction may look at */
  readonly observedFrames: (config: C) => number;
  readonly predictFrames: (
    config: C,
    params: P,
    frames: tf.Tensor5D,
    steps: number,
  ) => FramePrediction;
}

/**
 * A capability: the model is a density over points `[B, d]`. `logDensity` is the exact
 * log-likelihood when `exact`, else a lower bound that tightens with `draws` (seeded).
 *
 * Laws: both functions are pure; `sample` is a function of `(config, params, count, seed)`.
 */
export interface DensityEstimator<C, P extends Params> {
  /** whether `logDensity` is exact (a flow with a tractable Jacobian) or a bound */
  readonly exact: boolean;
  readonly logDensity: (
    config: C,
    params: P,
    x: tf.Tensor2D,
    options: { readonly draws: number; readonly seed: number },
  ) => tf.Tensor1D;
  readonly sample: (config: C, params: P, count: number, seed: number) => tf.Tensor2D;
}

/** A model record that predicts frames. */
export type FramePredictorModel<C, P extends Params, B> = Model<C, P, B> & FramePredictor<C, P>;
/** A model record that is a density. */
export type DensityEstimatorModel<C, P extends Params, B> = Model<C, P, B> & DensityEstimator<C, P>;

/** Whether a record has the frame-predictor capability. */
export const predictsFrames = <C, P extends Params, B>(
  model: Model<C, P, B>,
): model is FramePredictorModel<C, P, B> =>
  typeof (model as Partial<FramePredictor<C, P>>).predictFrames === "function";

/** Whether a record has the density capability. */
export const estimatesDensity = <C, P extends Params, B>(
  model: Model<C, P, B>,
): model is DensityEstimatorModel<C, P, B> =>
  typeof (model as Partial<DensityEstimator<C, P>>).logDensity === "function";
