/**
 * Hamiltonians from scalar networks by autodiff: `dH/dq` and `dH/dp` are `tf.grad` of the batch
 * sum of a per-sample energy, so the core integrators (`leapfrog`, `paperLeapfrog`, `rk4`,
 * ...) step them through `tensorSpace` exactly as they step float64 systems, and a training
 * loss can be differentiated through the rollout (second-order autodiff, made trustworthy by
 * `gradients.ts`).
 *
 * Batching: tensors are `[B, ...]` with the batch first. Energies return one value per sample,
 * shape `[B]`. Because samples never mix inside a Hamiltonian (no batch norm, no batch mean),
 * the gradient of the batch sum is the per-sample gradient.
 *
 * @module
 */
import { type Hamiltonian, hamiltonian, type Separable, separable } from "../core/hamiltonian.ts";
import { tf } from "../deps/tf.ts";
import { rollout } from "../core/flow.ts";
import type { GeneralIntegrator } from "../core/integrator.ts";
import { type Phase, phase } from "../core/phase.ts";
import {
  applyConvStack,
  applyMlp,
  type Conv2dParams,
  convStackInputGradient,
  type ConvStackSpec,
  type DenseParams,
  mlpInputGradient,
  type MlpSpec,
} from "./layers.ts";
import { tensorSpace } from "./space.ts";

/** A per-sample energy of one argument: `[B, ...] -> [B]`. */
export type Energy1 = (x: tf.Tensor) => tf.Tensor;
/** A per-sample energy of positions and momenta: `([B, ...], [B, ...]) -> [B]`. */
export type Energy2 = (q: tf.Tensor, p: tf.Tensor) => tf.Tensor;

/**
 * The gradient of the batch sum of a per-sample energy, with the same shape as `x`: the PARTIAL
 * derivative, with every tensor the energy closes over held fixed even when it was computed from
 * `x`; differentiable again (with respect to `x` and to those tensors) for training.
 *
 * @example
 * ```ts
 * import { energyGradient, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const g = energyGradient((x) => tf.sum(tf.square(x), 1))(tf.tensor2d([[1, 2], [3, 4]]));
 * deepStrictEqual(Array.from(await g.data()), [2, 4, 6, 8]);
 * ```
 */
export const energyGradient = (energy: Energy1): (x: tf.Tensor) => tf.Tensor => (x) =>
  // differentiate at a fresh copy of `x`: tfjs differentiates along every taped path from its
  // argument, so if `energy` closes over tensors computed FROM `x` (the momenta after a half step
  // that used these positions), `tf.grad` at `x` itself would give a total derivative, not the
  // partial one. The copy is an Identity op, so outer gradients still flow back into `x`.
  tf.tidy(() => tf.grad((y: tf.Tensor) => tf.sum(energy(y)))(tf.clone(x)));

/**
 * A general Hamiltonian `H(q, p)` from a per-sample energy network; `dHdq` and `dHdp` by autodiff
 * (one backward pass each), `energy` returns the `[B]` tensor. Parameters are whatever tensors
 * `energy` closes over; gradients of a loss with respect to them flow through the rollout.
 *
 * Law: for an analytic energy written with tensor ops, `dHdq`/`dHdp` equal its analytic gradients
 * (to float32), and rollouts equal the float64 ones (tests/tensor/hamiltonian_test.ts).
 *
 * @example
 * ```ts
 * import { networkHamiltonian, tensorSpace, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { paperLeapfrog, phase } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * // H = (q^2 + 1)(p^2 + 1) / 2 per sample
 * const h = networkHamiltonian((q, p) =>
 *   tf.sum(tf.mul(tf.add(tf.square(q), 1), tf.add(tf.square(p), 1)), 1).div(2)
 * );
 * const s = paperLeapfrog.step(tensorSpace, h, 0.1)(phase(tf.tensor2d([[1]]), tf.tensor2d([[0]])));
 * ok((await s.q.data())[0] < 1);
 * ```
 */
export const networkHamiltonian = (energy: Energy2): Hamiltonian<tf.Tensor, tf.Tensor> =>
  hamiltonian<tf.Tensor, tf.Tensor>({
    dHdq: (s) => energyGradient((q) => energy(q, s.p))(s.q),
    dHdp: (s) => energyGradient((p) => energy(s.q, p))(s.p),
    energy: (s) => energy(s.q, s.p),
  });

/**
 * A separable Hamiltonian `K(p) + V(q)` from two per-sample energy networks; `dK`, `dV` by
 * autodiff. Steps with the explicit splitting integrators (`leapfrog`, `yoshida4`, ...).
 *
 * @example
 * ```ts
 * import { separableNetworkHamiltonian, tensorSpace, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { leapfrog, phase } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const h = separableNetworkHamiltonian(
 *   (p) => tf.sum(tf.square(p), 1).div(2),
 *   (q) => tf.sum(tf.square(q), 1).div(2),
 * );
 * const s = leapfrog.step(tensorSpace, h, 0.1)(phase(tf.tensor2d([[1]]), tf.tensor2d([[0]])));
 * ok(Math.abs((await s.q.data())[0] - Math.cos(0.1)) < 1e-3);
 * ```
 */
export const separableNetworkHamiltonian = (
  kinetic: Energy1,
  potential: Energy1,
): Separable<tf.Tensor, tf.Tensor> =>
  separable<tf.Tensor, tf.Tensor>({
    kinetic,
    potential,
    dK: energyGradient(kinetic),
    dV: energyGradient(potential),
    add: (a, b) => tf.add(a, b),
  });

/**
 * The per-sample kinetic energy `|p|^2 / (2 m)` summed over every axis but the batch.
 *
 * @example
 * ```ts
 * import { quadraticKinetic, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(Array.from(await quadraticKinetic(2)(tf.tensor2d([[2, 0], [0, 4]])).data()), [1, 4]);
 * ```
 */
export const quadraticKinetic = (mass = 1): Energy1 => (p) =>
  tf.tidy(() => tf.div(tf.sum(tf.square(tf.reshape(p, [p.shape[0], -1])), 1), 2 * mass));

/**
 * A separable Hamiltonian `K(p) + V(q)` from two MLP energies (sizes ending at 1) over flat
 * `[B, d]` coordinates, with closed-form forces (`mlpInputGradient`): first-order ops only, so a
 * loss through a rollout is differentiated once, not through a tape of a tape.
 *
 * @example
 * ```ts
 * import { initMlp, separableMlpHamiltonian, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { sizes: [2, 8, 1], activation: "softplus" as const };
 * const H = separableMlpHamiltonian(spec, initMlp(0, "K", spec), initMlp(0, "V", spec));
 * deepStrictEqual(H.dV(tf.zeros([3, 2])).shape, [3, 2]);
 * ```
 */
export const separableMlpHamiltonian = (
  spec: MlpSpec,
  kinetic: readonly DenseParams[],
  potential: readonly DenseParams[],
): Separable<tf.Tensor, tf.Tensor> =>
  separable<tf.Tensor, tf.Tensor>({
    kinetic: (p) => tf.reshape(applyMlp(spec, kinetic, p), [-1]),
    potential: (q) => tf.reshape(applyMlp(spec, potential, q), [-1]),
    dK: (p) => mlpInputGradient(spec, kinetic, p),
    dV: (q) => mlpInputGradient(spec, potential, q),
    add: (a, b) => tf.add(a, b),
  });

/**
 * A general Hamiltonian from an MLP over flat states: `H(q, p) = mlp([q, p])` for `q, p: [B, d]`
 * (the spec's sizes start at `2 d` and end at 1); forces in closed form (`mlpInputGradient` at
 * `[q, p]`, split), differentiable again with first-order ops only.
 *
 * @example
 * ```ts
 * import { initMlp, mlpHamiltonian, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { sizes: [2, 8, 1], activation: "tanh" as const };
 * const H = mlpHamiltonian(spec, initMlp(0, "H", spec));
 * deepStrictEqual(H.dHdq({ q: tf.zeros([3, 1]), p: tf.zeros([3, 1]) }).shape, [3, 1]);
 * ```
 */
export const mlpHamiltonian = (
  spec: MlpSpec,
  params: readonly DenseParams[],
): Hamiltonian<tf.Tensor, tf.Tensor> => {
  const forces = (s: Phase<tf.Tensor>, half: 0 | 1) =>
    tf.tidy(() => {
      const d = s.q.shape[1] as number;
      const g = mlpInputGradient(spec, params, tf.concat([s.q, s.p], 1));
      return tf.slice(g, [0, half * d], [-1, d]);
    });
  return hamiltonian<tf.Tensor, tf.Tensor>({
    dHdq: (s) => forces(s, 0),
    dHdp: (s) => forces(s, 1),
    energy: (s) => tf.reshape(applyMlp(spec, params, tf.concat([s.q, s.p], 1)), [-1]),
  });
};

/** A conv stack and its weights: an energy network over NHWC states. */
export interface ConvEnergyNet {
  readonly spec: ConvStackSpec;
  readonly params: readonly Conv2dParams[];
}

/**
 * The per-sample energy of a conv stack: the sum of its outputs over space and channels, `[B]`.
 *
 * @example
 * ```ts
 * import { convEnergy, initConvStack, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { inChannels: 2, layers: [{ channels: 1, activation: "linear" as const }] };
 * deepStrictEqual(convEnergy({ spec, params: initConvStack(0, "V", spec) })(tf.zeros([3, 4, 4, 2])).shape, [3]);
 * ```
 */
export const convEnergy = (net: ConvEnergyNet): Energy1 => (x) =>
  tf.tidy(() => tf.sum(applyConvStack(net.spec, net.params, x as tf.Tensor4D), [1, 2, 3]));

/**
 * A separable Hamiltonian `K(p) + V(q)` from two conv-stack energies over NHWC states (the HGN
 * Hamiltonian), with closed-form forces (`convStackInputGradient`): first-order ops only, so a
 * loss through a rollout is differentiated once, not through a tape of a tape. The forces'
 * flipped filters are prepared here, in the caller's scope: build it inside the `tidy` or
 * gradient that uses it.
 *
 * @example
 * ```ts
 * import { initConvStack, separableConvHamiltonian, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { inChannels: 2, layers: [{ channels: 4, activation: "softplus" as const }, { channels: 1, activation: "linear" as const }] };
 * const H = separableConvHamiltonian({ spec, params: initConvStack(0, "K", spec) }, { spec, params: initConvStack(0, "V", spec) });
 * deepStrictEqual(H.dV(tf.zeros([3, 4, 4, 2])).shape, [3, 4, 4, 2]);
 * ```
 */
export const separableConvHamiltonian = (
  kinetic: ConvEnergyNet,
  potential: ConvEnergyNet,
): Separable<tf.Tensor, tf.Tensor> => {
  const dK = convStackInputGradient(kinetic.spec, kinetic.params);
  const dV = convStackInputGradient(potential.spec, potential.params);
  return separable<tf.Tensor, tf.Tensor>({
    kinetic: convEnergy(kinetic),
    potential: convEnergy(potential),
    dK: (p) => dK(p as tf.Tensor4D),
    dV: (q) => dV(q as tf.Tensor4D),
    add: (a, b) => tf.add(a, b),
  });
};

/**
 * A general Hamiltonian `H(q, p) = E([q, p])` from one conv-stack energy over NHWC states joined
 * along channels (the spec's `inChannels` is twice the state's), forces in closed form
 * (`convStackInputGradient` at `[q, p]`, split by channel). Its flipped filters are prepared here,
 * in the caller's scope.
 *
 * @example
 * ```ts
 * import { convHamiltonian, initConvStack, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { inChannels: 4, layers: [{ channels: 4, activation: "tanh" as const }, { channels: 1, activation: "linear" as const }] };
 * const H = convHamiltonian({ spec, params: initConvStack(0, "H", spec) });
 * deepStrictEqual(H.dHdp({ q: tf.zeros([3, 4, 4, 2]), p: tf.zeros([3, 4, 4, 2]) }).shape, [3, 4, 4, 2]);
 * ```
 */
export const convHamiltonian = (net: ConvEnergyNet): Hamiltonian<tf.Tensor, tf.Tensor> => {
  const gradient = convStackInputGradient(net.spec, net.params);
  const energy = convEnergy(net);
  const join = (s: Phase<tf.Tensor>) => tf.concat([s.q, s.p], 3) as tf.Tensor4D;
  const forces = (s: Phase<tf.Tensor>, half: 0 | 1) =>
    tf.tidy(() => {
      const c = s.q.shape[3] as number;
      return tf.slice(gradient(join(s)), [0, 0, 0, half * c], [-1, -1, -1, c]);
    });
  return hamiltonian<tf.Tensor, tf.Tensor>({
    dHdq: (s) => forces(s, 0),
    dHdp: (s) => forces(s, 1),
    energy: (s) => energy(join(s)),
  });
};

/** Flat states `[B, 2 d]` (`[q..., p...]`) as a phase state of `[B, d]` halves. */
export const splitState = (s: tf.Tensor): Phase<tf.Tensor> => {
  const d = (s.shape[1] as number) / 2;
  if (s.rank !== 2 || !Number.isInteger(d) || d < 1) {
    throw new RangeError(`flat states must be [B, 2 d], got [${s.shape}]`);
  }
  return phase(tf.slice(s, [0, 0], [-1, d]), tf.slice(s, [0, d], [-1, d]));
};

/**
 * The Hamiltonian vector field `(dH/dp, -dH/dq)` at flat states `[B, 2 d]`: `[B, 2 d]`.
 *
 * @example
 * ```ts
 * import { hamiltonianField, quadraticKinetic, separableNetworkHamiltonian, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const oscillator = separableNetworkHamiltonian(quadraticKinetic(), quadraticKinetic());
 * deepStrictEqual(Array.from(await hamiltonianField(oscillator, tf.tensor2d([[1, 2]])).data()), [2, -1]);
 * ```
 */
export const hamiltonianField = (
  H: Hamiltonian<tf.Tensor, tf.Tensor>,
  states: tf.Tensor,
): tf.Tensor2D =>
  tf.tidy(() => {
    const s = splitState(states);
    return tf.concat([H.dHdp(s), tf.neg(H.dHdq(s))], 1) as tf.Tensor2D;
  });

/** How flat states are rolled out. */
export interface StateRolloutOptions {
  /** time between kept states */
  readonly dt: number;
  /** states kept after the first */
  readonly steps: number;
  /** integrator steps per kept state (default 1) */
  readonly substeps?: number;
}

/**
 * Rolls a Hamiltonian out from flat states `[B, 2 d]` with an integrator (any core integrator
 * that takes a general Hamiltonian, e.g. `rk4`): `[B, steps + 1, 2 d]`, the first entry the
 * initial state. With `substeps` the integrator takes that many steps per kept state (RK4 with
 * sub-steps stands in for an adaptive solver).
 *
 * @example
 * ```ts
 * import { quadraticKinetic, rolloutStates, separableNetworkHamiltonian, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { rk4 } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const oscillator = separableNetworkHamiltonian(quadraticKinetic(), quadraticKinetic());
 * const path = rolloutStates(rk4, oscillator, tf.tensor2d([[1, 0]]), { dt: Math.PI / 2, steps: 2, substeps: 8 });
 * ok(Math.abs((await path.data())[4] + 1) < 1e-3); // q(pi) = -1
 * ```
 */
export const rolloutStates = (
  integrator: GeneralIntegrator,
  H: Hamiltonian<tf.Tensor, tf.Tensor>,
  s0: tf.Tensor2D,
  options: StateRolloutOptions,
): tf.Tensor3D =>
  tf.tidy(() => {
    const substeps = options.substeps ?? 1;
    if (!Number.isInteger(substeps) || substeps < 1) {
      throw new RangeError(`substeps must be an integer >= 1, got ${substeps}`);
    }
    if (!Number.isInteger(options.steps) || options.steps < 0) {
      throw new RangeError(`steps must be an integer >= 0, got ${options.steps}`);
    }
    const step = integrator.step(tensorSpace, H, options.dt / substeps);
    const frame = (s: Phase<tf.Tensor>) => rollout(step, substeps)(s)[substeps];
    const states = rollout(frame, options.steps)(splitState(s0));
    return tf.stack(states.map((s) => tf.concat([s.q, s.p], 1)), 1) as tf.Tensor3D;
  });
