/**
 * RealNVP (Dinh et al. 2017), the paper's density baseline (appendix A.2): affine coupling layers
 * with alternating masks, each parametrised by a two-layer ReLU MLP sized like NHF's. Each
 * coupling is a core density map that carries its exact log |det J|, so the flow's exact
 * log-likelihood is the base density of its inverse plus the summed log-dets, the same
 * composition NHF's symplectic steps (log-det zero) go through.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { type DensityMap, densityMaps } from "../../core/density_map.ts";
import { tensorLogDet } from "../../tensor/space.ts";
import { applyMlp, type DenseParams, initMlp, type MlpSpec } from "../../tensor/layers.ts";
import type { DensityEstimatorModel, LossOutput } from "../model.ts";

/** Hyperparameters of a RealNVP. */
export interface RealNvpConfig {
  /** dimension of the data */
  readonly dim: number;
  /** affine coupling layers, masks alternating (paper: 2 or 3) */
  readonly layers: number;
  /** hidden width of each coupling's MLP (NHF's: 128) */
  readonly hidden: number;
}

/** The paper's 2-D baseline: 2 coupling layers, 128 hidden units. */
export const REALNVP_2D: RealNvpConfig = { dim: 2, layers: 2, hidden: 128 };

/** The weights: one MLP `[d, hidden, hidden, 2d]` (scale and shift) per coupling. */
export interface RealNvpParams {
  readonly couplings: readonly DenseParams[][];
}

const couplingSpec = (c: RealNvpConfig): MlpSpec => ({
  sizes: [c.dim, c.hidden, c.hidden, 2 * c.dim],
  activation: "relu",
});

/**
 * Seeded weights.
 *
 * @example
 * ```ts
 * import { initRealNvp, REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(initRealNvp(REALNVP_2D, 0).couplings.length, 2);
 * ```
 */
export const initRealNvp = (config: RealNvpConfig, seed: number): RealNvpParams => ({
  couplings: Array.from(
    { length: config.layers },
    (_, i) => initMlp(seed, `couplings/${i}`, couplingSpec(config)),
  ),
});

/** Layer `i` keeps the coordinates `j` with `(i + j)` even and transforms the others. */
const maskOf = (config: RealNvpConfig, layer: number): tf.Tensor1D =>
  tf.tensor1d(Array.from({ length: config.dim }, (_, j) => ((layer + j) % 2 === 0 ? 1 : 0)));

/**
 * One affine coupling as a density map on `[B, d]`: `y = m x + (1 - m)(x exp(s) + t)` with
 * `s, t` from the masked input (`s` through tanh), log |det J| `= sum (1 - m) s` per sample.
 *
 * @example
 * ```ts
 * import { coupling, initRealNvp, REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = coupling(REALNVP_2D, initRealNvp(REALNVP_2D, 0), 0);
 * const x = tf.tensor2d([[0.3, -0.7]]);
 * const back = c.inverse(c.forward(x).value).value;
 * ok(Math.abs((await back.data())[1] + 0.7) < 1e-5);
 * ```
 */
export const coupling = (
  config: RealNvpConfig,
  params: RealNvpParams,
  layer: number,
): DensityMap<tf.Tensor, tf.Tensor | number> => {
  const st = (kept: tf.Tensor) => {
    const out = applyMlp(couplingSpec(config), params.couplings[layer], kept);
    const [s, t] = tf.split(out, 2, 1);
    return { s: tf.tanh(s), t };
  };
  const mask = () => maskOf(config, layer);
  return {
    forward: (x) =>
      tf.tidy(() => {
        const m = mask();
        const free = tf.sub(1, m);
        const { s, t } = st(tf.mul(x, m));
        const y = tf.add(tf.mul(x, m), tf.mul(free, tf.add(tf.mul(x, tf.exp(s)), t)));
        return { value: y, logDet: tf.sum(tf.mul(free, s), 1) };
      }),
    inverse: (y) =>
      tf.tidy(() => {
        const m = mask();
        const free = tf.sub(1, m);
        const { s, t } = st(tf.mul(y, m));
        const x = tf.add(tf.mul(y, m), tf.mul(free, tf.mul(tf.sub(y, t), tf.exp(tf.neg(s)))));
        return { value: x, logDet: tf.neg(tf.sum(tf.mul(free, s), 1)) };
      }),
  };
};

/**
 * The whole flow, base to data: the couplings composed in order.
 *
 * @example
 * ```ts
 * import { initRealNvp, REALNVP_2D, realNvpFlow } from "@hamiltonian/hgn/models/realnvp";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const f = realNvpFlow(REALNVP_2D, initRealNvp(REALNVP_2D, 0));
 * deepStrictEqual((f.forward(tf.zeros([4, 2])).logDet as tf.Tensor).shape, [4]);
 * ```
 */
export const realNvpFlow = (
  config: RealNvpConfig,
  params: RealNvpParams,
): DensityMap<tf.Tensor, tf.Tensor | number> =>
  densityMaps(tensorLogDet).concatAll(
    Array.from({ length: config.layers }, (_, i) => coupling(config, params, i)),
  );

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The exact log-likelihood per point `[B]`: `log N(f^-1(x)) + log |det J_{f^-1}(x)|`.
 *
 * @example
 * ```ts
 * import { initRealNvp, REALNVP_2D, realNvpLogLikelihood } from "@hamiltonian/hgn/models/realnvp";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const ll = await realNvpLogLikelihood(REALNVP_2D, initRealNvp(REALNVP_2D, 0), tf.zeros([1, 2])).data();
 * ok(Number.isFinite(ll[0]));
 * ```
 */
export const realNvpLogLikelihood = (
  config: RealNvpConfig,
  params: RealNvpParams,
  x: tf.Tensor2D,
): tf.Tensor1D =>
  tf.tidy(() => {
    if (x.rank !== 2 || x.shape[1] !== config.dim) {
      throw new RangeError(`RealNVP of dimension ${config.dim} got data [${x.shape}]`);
    }
    const back = realNvpFlow(config, params).inverse(x);
    const base = tf.sub(tf.mul(-0.5, tf.sum(tf.square(back.value), 1)), 0.5 * config.dim * LOG_2PI);
    return tf.add(base, back.logDet) as tf.Tensor1D;
  });

/**
 * RealNVP as a model record (`name: "realnvp"`): minus the mean exact log-likelihood.
 *
 * @example
 * ```ts
 * import { realNvp, REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
 * import { initState, trainStep } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const s = initState(realNvp, { ...REALNVP_2D, hidden: 8 }, { learningRate: 1e-3, seed: 0 });
 * ok(Number.isFinite((await trainStep(s, tf.randomNormal([16, 2]) as tf.Tensor2D)).logLikelihood));
 * ```
 */
export const realNvp: DensityEstimatorModel<RealNvpConfig, RealNvpParams, tf.Tensor2D> = {
  name: "realnvp",
  origin: { module: import.meta.url, name: "realNvp" },
  init: initRealNvp,
  // change of variables: exact, so draws and seed do not enter
  exact: true,
  logDensity: (config, params, x) => realNvpLogLikelihood(config, params, x),
  sample: (config, params, count, seed) => sampleRealNvp(config, params, count, seed),
  loss: (config, params, batch): LossOutput => {
    const logLikelihood = tf.mean(realNvpLogLikelihood(config, params, batch)) as tf.Scalar;
    return { loss: tf.neg(logLikelihood) as tf.Scalar, metrics: { logLikelihood } };
  },
};

/**
 * Samples: base draws `N(0, I)` (seeded) through the flow, `[count, d]`.
 *
 * @example
 * ```ts
 * import { initRealNvp, REALNVP_2D, sampleRealNvp } from "@hamiltonian/hgn/models/realnvp";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(sampleRealNvp(REALNVP_2D, initRealNvp(REALNVP_2D, 0), 3, 1).shape, [3, 2]);
 * ```
 */
export const sampleRealNvp = (
  config: RealNvpConfig,
  params: RealNvpParams,
  count: number,
  seed: number,
): tf.Tensor2D =>
  tf.tidy(() =>
    realNvpFlow(config, params).forward(
      tf.randomNormal([count, config.dim], 0, 1, "float32", seed),
    ).value as tf.Tensor2D
  );
