/**
 * The Hamiltonian Neural Network baseline on states (appendix A.3; Greydanus et al. 2019): an
 * MLP `H(q, p)` whose symplectic gradient `(dH/dp, -dH/dq)` is fitted to time derivatives of
 * observed trajectories (the loss of eq. 1), then rolled out by a core integrator (RK4, or RK4
 * with sub-steps as the stand-in for the reference's adaptive `solve_ivp`).
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { rk4 } from "../../core/integrator.ts";
import type { Hamiltonian } from "../../core/hamiltonian.ts";
import {
  hamiltonianField,
  mlpHamiltonian,
  rolloutStates,
  splitState,
  type StateRolloutOptions,
} from "../../tensor/hamiltonian.ts";
import { type Activation, type DenseParams, initMlp, type MlpSpec } from "../../tensor/layers.ts";
import type { LossOutput, Model } from "../model.ts";

/** Hyperparameters of an HNN. */
export interface HnnConfig {
  /** degrees of freedom: `q` and `p` have `dim` coordinates each */
  readonly dim: number;
  /** units per hidden layer (reference: 200) */
  readonly hidden: number;
  /** hidden layers (reference: 2) */
  readonly layers: number;
  /** between hidden layers (reference: tanh; it must have a second derivative) */
  readonly activation: Activation;
}

/** The reference HNN for a system with `dim` degrees of freedom: tanh, two layers of 200. */
export const hnnConfig = (dim: number): HnnConfig => ({
  dim,
  hidden: 200,
  layers: 2,
  activation: "tanh",
});

/** The weights of an HNN: the energy MLP at `H/i`. */
export interface HnnParams {
  readonly H: DenseParams[];
}

/**
 * A batch of the loss of eq. 1: states `[B, 2 dim]` (`[q..., p...]`) and their time
 * derivatives `[B, 2 dim]`.
 */
export interface HnnBatch {
  readonly states: tf.Tensor2D;
  readonly rates: tf.Tensor2D;
}

const energySpec = (c: HnnConfig): MlpSpec => ({
  sizes: [2 * c.dim, ...Array.from({ length: c.layers }, () => c.hidden), 1],
  activation: c.activation,
});

/**
 * Seeded weights (each leaf from its path).
 *
 * @example
 * ```ts
 * import { hnnConfig, initHnn } from "@hamiltonian/hgn/models/hnn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(initHnn(hnnConfig(1), 0).H.map((l) => l.w.shape), [[2, 200], [200, 200], [200, 1]]);
 * ```
 */
export const initHnn = (config: HnnConfig, seed: number): HnnParams => {
  if (!Number.isInteger(config.dim) || config.dim < 1) {
    throw new RangeError(`an HNN needs an integer dim >= 1, got ${config.dim}`);
  }
  return { H: initMlp(seed, "H", energySpec(config)) };
};

/**
 * The learned Hamiltonian as a core Hamiltonian over tensors `q, p: [B, dim]` (forces by
 * autodiff, differentiable again for training).
 *
 * @example
 * ```ts
 * import { hnnConfig, hnnHamiltonian, initHnn } from "@hamiltonian/hgn/models/hnn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const H = hnnHamiltonian(hnnConfig(1), initHnn(hnnConfig(1), 0));
 * deepStrictEqual(H.energy({ q: tf.zeros([3, 1]), p: tf.zeros([3, 1]) }).shape, [3]);
 * ```
 */
export const hnnHamiltonian = (
  config: HnnConfig,
  params: HnnParams,
): Hamiltonian<tf.Tensor, tf.Tensor> => mlpHamiltonian(energySpec(config), params.H);

/**
 * The learned vector field at states `[B, 2 dim]`: `(dH/dp, -dH/dq)`, `[B, 2 dim]`.
 *
 * @example
 * ```ts
 * import { hnnConfig, hnnField, initHnn } from "@hamiltonian/hgn/models/hnn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = hnnConfig(2);
 * deepStrictEqual(hnnField(c, initHnn(c, 0), tf.zeros([5, 4])).shape, [5, 4]);
 * ```
 */
export const hnnField = (config: HnnConfig, params: HnnParams, states: tf.Tensor): tf.Tensor2D =>
  hamiltonianField(hnnHamiltonian(config, params), states);

/**
 * The HNN as a model record (`name: "hnn"`): the loss of eq. 1, the mean over the batch and the
 * coordinates of `(dH/dp - dq/dt)^2 + (dH/dq + dp/dt)^2`.
 *
 * @example
 * ```ts
 * import { hnn, hnnConfig } from "@hamiltonian/hgn/models/hnn";
 * import { initState, trainStep } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const s = initState(hnn, { ...hnnConfig(1), hidden: 8 }, { learningRate: 1e-3, seed: 0 });
 * const batch = { states: tf.tensor2d([[1, 0]]), rates: tf.tensor2d([[0, -1]]) };
 * ok((await trainStep(s, batch)).loss >= 0);
 * ```
 */
export const hnn: Model<HnnConfig, HnnParams, HnnBatch> = {
  name: "hnn",
  origin: { module: import.meta.url, name: "hnn" },
  init: initHnn,
  loss: (config, params, batch): LossOutput => {
    const field = hnnField(config, params, batch.states);
    return { loss: tf.mean(tf.squaredDifference(field, batch.rates)) as tf.Scalar, metrics: {} };
  },
};

/**
 * Rolls the learned Hamiltonian out from states `[B, 2 dim]` with RK4 (`substeps` RK4 steps per
 * kept state stand in for the reference's adaptive `solve_ivp`): `[B, steps + 1, 2 dim]`, the
 * first entry the initial state.
 *
 * @example
 * ```ts
 * import { hnnConfig, hnnRollout, initHnn } from "@hamiltonian/hgn/models/hnn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = { ...hnnConfig(1), hidden: 8 };
 * const r = hnnRollout(c, initHnn(c, 0), tf.tensor2d([[1, 0]]), { dt: 0.1, steps: 3, substeps: 2 });
 * deepStrictEqual(r.shape, [1, 4, 2]);
 * ```
 */
export const hnnRollout = (
  config: HnnConfig,
  params: HnnParams,
  s0: tf.Tensor2D,
  options: StateRolloutOptions,
): tf.Tensor3D => rolloutStates(rk4, hnnHamiltonian(config, params), s0, options);

/**
 * The learned energy at states `[B, 2 dim]`: `[B]`.
 *
 * @example
 * ```ts
 * import { hnnConfig, hnnEnergy, initHnn } from "@hamiltonian/hgn/models/hnn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = hnnConfig(1);
 * deepStrictEqual(hnnEnergy(c, initHnn(c, 0), tf.zeros([4, 2])).shape, [4]);
 * ```
 */
export const hnnEnergy = (config: HnnConfig, params: HnnParams, states: tf.Tensor): tf.Tensor1D =>
  tf.tidy(() => hnnHamiltonian(config, params).energy(splitState(states)) as tf.Tensor1D);
