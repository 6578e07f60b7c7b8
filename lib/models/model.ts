/**
 * What a model is to the training stack: a record of pure functions over a parameter tree
 * (dm-haiku's `init`/`apply`, optax's update). HGN implements it; NHF, RealNVP and the HNN family
 * implement the same record, and `fit`, the optimiser, constrained objectives and checkpoints in
 * `lib/train` and `lib/io` work for all of them without knowing which.
 *
 * @module
 */
import type { tf } from "../deps/tf.ts";
import type { Params } from "../tensor/nn.ts";

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
}
