/**
 * Neural Hamiltonian Flows (paper section 3.3, appendix A.2, A.7): a normalising flow made of
 * leapfrog steps of learned separable Hamiltonians `H_i(q, p) = K_i(p) + V_i(q)` (softplus MLPs
 * `[d, 128, 128, 1]`). The flow is the core DSL: each step is `flow(leapfrog, tensorSpace, H_i)`
 * repeated `leapfrogSteps` times, the steps compose in the invertible-map group, and the inverse
 * is the DSL's inverse (reversed order, `-dt`), not separate code. It preserves volume, so its
 * log-determinant is zero by construction (a density map over `tensorLogDet`).
 *
 * The data is `q`; the momentum `p` is latent, with a Gaussian posterior
 * `f(p | q) = N(mu(q), sigma(q))` (ReLU MLPs `[d, 128, 128, d]`), trained through the ELBO of
 * eq. 6: `E_f[log pi(flow^-1(q, p)) - log f(p | q)] <= log p(q)`.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import {
  andThen,
  concatAll,
  type Invertible,
  invertibleMonoid,
  power,
} from "../../core/invertible.ts";
import { type DensityMap, densityMaps } from "../../core/density_map.ts";
import { flow } from "../../core/flow.ts";
import { leapfrog } from "../../core/integrator.ts";
import type { Phase } from "../../core/phase.ts";
import { pipe } from "../../deps/fp.ts";
import { random } from "../../core/random.ts";
import { tensorLogDet, tensorSpace } from "../../tensor/space.ts";
import { separableMlpHamiltonian } from "../../tensor/hamiltonian.ts";
import { applyMlp, type DenseParams, initMlp, type MlpSpec } from "../../tensor/layers.ts";
import type { DensityEstimatorModel, LossOutput } from "../model.ts";

/** The base density of `s_0 = (q_0, p_0)`. */
export type NhfPrior = "soft-uniform" | "normal";

/** Hyperparameters of an NHF. */
export interface NhfConfig {
  /** dimension of the data `q` (and of the latent momentum `p`) */
  readonly dim: number;
  /** learned Hamiltonians, each its own flow step (paper: a few) */
  readonly flowSteps: number;
  /** leapfrog steps per flow step (paper: 2 were enough) */
  readonly leapfrogSteps: number;
  /** leapfrog time step */
  readonly dt: number;
  /** hidden width of every MLP (paper: 128) */
  readonly hidden: number;
  readonly prior: NhfPrior;
  /** soft-uniform prior: width `w` of the plateau per coordinate */
  readonly priorWidth: number;
  /** soft-uniform prior: sharpness `beta` of its edges */
  readonly priorSharpness: number;
}

/** The paper's NHF for 2-D data: two flow steps of two leapfrog steps, soft-uniform prior. */
export const NHF_2D: NhfConfig = {
  dim: 2,
  flowSteps: 2,
  leapfrogSteps: 2,
  dt: 0.5,
  hidden: 128,
  prior: "soft-uniform",
  priorWidth: 6,
  priorSharpness: 4,
};

/** The weights of an NHF. */
export interface NhfParams {
  /** per flow step: the kinetic `K(p)` and potential `V(q)` MLPs */
  readonly hamiltonians: readonly { readonly K: DenseParams[]; readonly V: DenseParams[] }[];
  /** the posterior's mean and log standard deviation MLPs */
  readonly posterior: { readonly mu: DenseParams[]; readonly logStd: DenseParams[] };
}

const energySpec = (c: NhfConfig): MlpSpec => ({
  sizes: [c.dim, c.hidden, c.hidden, 1],
  activation: "softplus",
});
const posteriorSpec = (c: NhfConfig): MlpSpec => ({
  sizes: [c.dim, c.hidden, c.hidden, c.dim],
  activation: "relu",
});

/**
 * Seeded weights (each leaf from its path).
 *
 * @example
 * ```ts
 * import { initNhf, NHF_2D } from "@hamiltonian/hgn/models/nhf";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(initNhf(NHF_2D, 0).hamiltonians.length, 2);
 * ```
 */
export const initNhf = (config: NhfConfig, seed: number): NhfParams => ({
  hamiltonians: Array.from({ length: config.flowSteps }, (_, i) => ({
    K: initMlp(seed, `hamiltonians/${i}/K`, energySpec(config)),
    V: initMlp(seed, `hamiltonians/${i}/V`, energySpec(config)),
  })),
  posterior: {
    mu: initMlp(seed, "posterior/mu", posteriorSpec(config)),
    logStd: initMlp(seed, "posterior/logStd", posteriorSpec(config)),
  },
});

/**
 * A learned energy (one of the `K` or `V` networks) per sample: `[B, d] -> [B]`.
 *
 * @example
 * ```ts
 * import { energyOf, initNhf, NHF_2D } from "@hamiltonian/hgn/models/nhf";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const V = initNhf(NHF_2D, 0).hamiltonians[0].V;
 * deepStrictEqual(energyOf(NHF_2D, V)(tf.zeros([3, 2])).shape, [3]);
 * ```
 */
export const energyOf = (
  config: NhfConfig,
  net: readonly DenseParams[],
): (x: tf.Tensor) => tf.Tensor1D =>
(x) => tf.reshape(applyMlp(energySpec(config), net, x), [-1]);

/**
 * The flow `s_0 -> s_T` as a density map over tensors `q, p: [B, d]` (log-det zero: it is
 * symplectic): flow step `i` is `leapfrogSteps` leapfrog steps of `H_i`, composed in order with
 * the pipeable combinators; its inverse is the DSL's (reversed order, `-dt`).
 *
 * @example
 * ```ts
 * import { initNhf, NHF_2D, nhfFlow } from "@hamiltonian/hgn/models/nhf";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const f = nhfFlow(NHF_2D, initNhf(NHF_2D, 0));
 * const s = { q: tf.tensor2d([[0.5, -1]]), p: tf.tensor2d([[0.2, 0.3]]) };
 * const out = f.forward(s);
 * strictEqual(out.logDet, 0);
 * const back = f.inverse(out.value);
 * ok(Math.abs((await back.value.q.data())[0] - 0.5) < 1e-5);
 * ```
 */
export const nhfFlow = (
  config: NhfConfig,
  params: NhfParams,
): DensityMap<Phase<tf.Tensor>, tf.Tensor | number> => {
  const D = densityMaps(tensorLogDet);
  const steps = nhfSteps(config, params).map((step) => pipe(step, power(config.leapfrogSteps)));
  const whole = steps.length === 0
    ? concatAll(invertibleMonoid<Phase<tf.Tensor>>())([])
    : steps.slice(1).reduce((acc, s) => pipe(acc, andThen(s)), steps[0]);
  return D.volumePreserving(whole);
};

/**
 * One leapfrog step of each learned Hamiltonian, in flow order (the flow repeats each
 * `leapfrogSteps` times): for pictures of trajectories through the flow (figure 9).
 *
 * @example
 * ```ts
 * import { initNhf, NHF_2D, nhfSteps } from "@hamiltonian/hgn/models/nhf";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(nhfSteps(NHF_2D, initNhf(NHF_2D, 0)).length, 2);
 * ```
 */
export const nhfSteps = (
  config: NhfConfig,
  params: NhfParams,
): Invertible<Phase<tf.Tensor>>[] =>
  params.hamiltonians.map((h) =>
    flow(
      leapfrog,
      tensorSpace,
      separableMlpHamiltonian(energySpec(config), h.K, h.V),
    )(config.dt)
  );

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * `log pi(s)` of the prior, per sample, for `s` of shape `[B, k]` (all coordinates of `q` and
 * `p`): the standard Normal, or the soft-uniform product of two sigmoids per coordinate,
 * `sigmoid(beta (s + w/2)) sigmoid(-beta (s - w/2)) / Z` with `Z = w / (1 - exp(-beta w))`.
 *
 * @example
 * ```ts
 * import { NHF_2D, priorLogDensity } from "@hamiltonian/hgn/models/nhf";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const lp = await priorLogDensity({ ...NHF_2D, prior: "normal" }, tf.zeros([1, 4])).data();
 * ok(Math.abs(lp[0] + 2 * Math.log(2 * Math.PI)) < 1e-5);
 * ```
 */
export const priorLogDensity = (config: NhfConfig, s: tf.Tensor): tf.Tensor1D =>
  tf.tidy(() => {
    const k = s.shape[1] as number;
    if (config.prior === "normal") {
      return tf.sub(tf.mul(-0.5, tf.sum(tf.square(s), 1)), 0.5 * k * LOG_2PI) as tf.Tensor1D;
    }
    const w = config.priorWidth;
    const b = config.priorSharpness;
    const logZ = Math.log(w) - Math.log1p(-Math.exp(-b * w));
    // log sigmoid(x) = -softplus(-x)
    const left = tf.neg(tf.softplus(tf.neg(tf.mul(b, tf.add(s, w / 2)))));
    const right = tf.neg(tf.softplus(tf.mul(b, tf.sub(s, w / 2))));
    return tf.sub(tf.sum(tf.add(left, right), 1), k * logZ) as tf.Tensor1D;
  });

/**
 * The two parts of the log importance weights for `K` momentum draws per point, each `[K * B]`:
 * `logPrior = log pi(flow^-1(q, p)) + log|det|` and `logPosterior = log f(p | q)`.
 */
const weightParts = (
  config: NhfConfig,
  params: NhfParams,
  q: tf.Tensor2D,
  draws: number,
  seed: number,
): { logPrior: tf.Tensor1D; logPosterior: tf.Tensor1D } => {
  const [B, d] = q.shape;
  if (d !== config.dim) {
    throw new RangeError(`NHF of dimension ${config.dim} got data [${q.shape}]`);
  }
  const qs = tf.tile(q, [draws, 1]) as tf.Tensor2D;
  const mu = applyMlp(posteriorSpec(config), params.posterior.mu, qs);
  const logStd = applyMlp(posteriorSpec(config), params.posterior.logStd, qs);
  const eps = tf.randomNormal([draws * B, d], 0, 1, "float32", seed);
  const p = tf.add(mu, tf.mul(tf.exp(logStd), eps));
  const logPosterior = tf.sub(
    tf.sum(tf.sub(tf.mul(-0.5, tf.square(eps)), logStd), 1),
    0.5 * d * LOG_2PI,
  ) as tf.Tensor1D;
  const back = nhfFlow(config, params).inverse({ q: qs, p });
  const s0 = tf.concat([back.value.q, back.value.p], 1);
  const logPrior = tf.add(priorLogDensity(config, s0), back.logDet) as tf.Tensor1D;
  return { logPrior, logPosterior };
};

/**
 * Per-sample log importance weights `log pi(flow^-1(q, p)) - log f(p | q)` for `K` momentum
 * draws per point: `[K, B]`. The ELBO is their mean; the importance-weighted bound their
 * log-mean-exp over `K`.
 *
 * @example
 * ```ts
 * import { initNhf, logWeights, NHF_2D } from "@hamiltonian/hgn/models/nhf";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...NHF_2D, hidden: 8 };
 * deepStrictEqual(logWeights(config, initNhf(config, 0), tf.zeros([3, 2]), 4, 1).shape, [4, 3]);
 * ```
 */
export const logWeights = (
  config: NhfConfig,
  params: NhfParams,
  q: tf.Tensor2D,
  draws: number,
  seed: number,
): tf.Tensor2D =>
  tf.tidy(() => {
    const { logPrior, logPosterior } = weightParts(config, params, q, draws, seed);
    return tf.reshape(tf.sub(logPrior, logPosterior), [draws, q.shape[0]]) as tf.Tensor2D;
  });

/**
 * The importance-weighted lower bound on `log p(q)` per point with `K` momentum draws
 * (log-mean-exp of the weights): `K = 1` is the ELBO; non-decreasing in `K` on average.
 *
 * @example
 * ```ts
 * import { initNhf, NHF_2D, nhfBound } from "@hamiltonian/hgn/models/nhf";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...NHF_2D, hidden: 8 };
 * strictEqual(nhfBound(config, initNhf(config, 0), tf.zeros([3, 2]), 4, 1).shape[0], 3);
 * ```
 */
export const nhfBound = (
  config: NhfConfig,
  params: NhfParams,
  q: tf.Tensor2D,
  draws: number,
  seed: number,
): tf.Tensor1D =>
  tf.tidy(() => {
    if (!Number.isInteger(draws) || draws < 1) {
      throw new RangeError(`the bound needs an integer number of draws >= 1, got ${draws}`);
    }
    const w = logWeights(config, params, q, draws, seed);
    return tf.sub(tf.logSumExp(w, 0), Math.log(draws)) as tf.Tensor1D;
  });

/**
 * NHF as a model record (`name: "nhf"`): the loss is minus the ELBO per point, batch `[B, d]`.
 * It also reports a `constraint` for the Lagrange multiplier of the paper (A.2, "as in GECO";
 * `constrained(nhf)`): the prior's cross-entropy `E_f[-log pi(flow^-1(q, p))]`, the ELBO's
 * "reconstruction" term, so that `-ELBO + lambda (constraint - tolerance)` weighs the prior term
 * by `1 + lambda` while the mapped-back points sit outside the prior's bulk, and reduces to the
 * ELBO once they do (`lambda -> 0`).
 *
 * @example
 * ```ts
 * import { nhf, NHF_2D } from "@hamiltonian/hgn/models/nhf";
 * import { initState, trainStep } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const s = initState(nhf, { ...NHF_2D, hidden: 8 }, { learningRate: 1e-3, seed: 0 });
 * ok(Number.isFinite((await trainStep(s, tf.randomNormal([16, 2]) as tf.Tensor2D)).elbo));
 * ```
 */
export const nhf: DensityEstimatorModel<NhfConfig, NhfParams, tf.Tensor2D> = {
  name: "nhf",
  origin: { module: import.meta.url, name: "nhf" },
  init: initNhf,
  // the importance-weighted bound (A.2): a lower bound on log q(x), tighter with more draws
  exact: false,
  logDensity: (config, params, x, { draws, seed }) => nhfBound(config, params, x, draws, seed),
  sample: (config, params, count, seed) => sampleNhf(config, params, count, seed),
  loss: (config, params, batch, context): LossOutput => {
    const { logPrior, logPosterior } = weightParts(config, params, batch, 1, context.seed);
    const elbo = tf.mean(tf.sub(logPrior, logPosterior)) as tf.Scalar;
    const priorCrossEntropy = tf.neg(tf.mean(logPrior)) as tf.Scalar;
    return {
      loss: tf.neg(elbo) as tf.Scalar,
      constraint: priorCrossEntropy,
      metrics: { elbo, priorCrossEntropy },
    };
  },
};

/**
 * Samples of the model: `s_0` from the prior (soft-uniform by rejection from a uniform box,
 * seeded), pushed through the flow; returns `q_T` `[count, d]`.
 *
 * @example
 * ```ts
 * import { initNhf, NHF_2D, sampleNhf } from "@hamiltonian/hgn/models/nhf";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...NHF_2D, hidden: 8 };
 * deepStrictEqual(sampleNhf(config, initNhf(config, 0), 5, 1).shape, [5, 2]);
 * ```
 */
export const sampleNhf = (
  config: NhfConfig,
  params: NhfParams,
  count: number,
  seed: number,
): tf.Tensor2D =>
  tf.tidy(() => {
    const d = config.dim;
    const s0 = samplePrior(config, count, seed);
    const q0 = tf.slice(s0, [0, 0], [count, d]);
    const p0 = tf.slice(s0, [0, d], [count, d]);
    return nhfFlow(config, params).forward({ q: q0, p: p0 }).value.q as tf.Tensor2D;
  });

/** `count` draws of the prior over `s = (q, p)`, `[count, 2d]`. */
export const samplePrior = (config: NhfConfig, count: number, seed: number): tf.Tensor2D => {
  const k = 2 * config.dim;
  if (config.prior === "normal") {
    return tf.randomNormal([count, k], 0, 1, "float32", seed) as tf.Tensor2D;
  }
  // Rejection: propose uniformly on the plateau widened by 12 / beta on each side (outside it
  // the density is below e^-12 of its peak), accept with the (peak-normalised) density.
  const w = config.priorWidth;
  const b = config.priorSharpness;
  const half = w / 2 + 12 / b;
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const peak = sig(b * w / 2) ** 2;
  const out = new Float32Array(count * k);
  const rng = random(seed);
  for (let i = 0; i < out.length;) {
    const s = rng.uniform(-half, half);
    if (rng.uniform() * peak <= sig(b * (s + w / 2)) * sig(-b * (s - w / 2))) out[i++] = s;
  }
  return tf.tensor2d(out, [count, k]);
};
