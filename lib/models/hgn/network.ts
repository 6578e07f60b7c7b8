/**
 * The Hamiltonian Generative Network (paper section 3.2, appendix A.1) as a pure `init`/`apply`
 * pair: an encoder over stacked frames gives a diagonal Gaussian posterior over `z`; `f_psi` maps
 * `z` to the initial state `(q, p)` of shape `4 x 4 x 2C`; a Hamiltonian network (separable
 * `K(p) + V(q)` by default, or a general `H(q, p)`) is rolled out by a core integrator on tensors,
 * its forces by autodiff; the decoder renders each `q_t` alone into an image.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { integratorByName } from "../../core/registry.ts";
import { stepOf } from "../../core/integrator.ts";
import { rollout } from "../../core/flow.ts";
import type { Hamiltonian } from "../../core/hamiltonian.ts";
import type { Phase } from "../../core/phase.ts";
import { tensorSpace } from "../../tensor/space.ts";
import { convHamiltonian, separableConvHamiltonian } from "../../tensor/hamiltonian.ts";
import { normalLeaf, paramLeaves } from "../../tensor/params.ts";
import {
  type Activation,
  applyConvStack,
  applyUpsamplingDecoder,
  type Conv2dParams,
  type ConvLayerSpec,
  type ConvStackSpec,
  downsamplingEncoder,
  initConvStack,
  upsamplingDecoder,
} from "../../tensor/layers.ts";
import type { HgnConfig } from "./config.ts";

/**
 * The weights of an HGN: a parameter tree (paths such as `encoder/0/w`, `hamiltonian/1/2/b`).
 * Leaves are plain tensors from {@link initHgn}, variables inside a training state.
 */
export interface HgnParams {
  readonly encoder: readonly Conv2dParams[];
  /** f_psi; empty when the config has no f_psi */
  readonly transformer: readonly Conv2dParams[];
  /** separable: `[K, V]`; general: `[H]` */
  readonly hamiltonian: readonly (readonly Conv2dParams[])[];
  /** the decoder's two learned constant input channels, `[1, 4, 4, 2]` */
  readonly decoderInput: tf.Tensor4D;
  /** the decoder's first convolution (at 4x4) and its upsampling blocks, flattened */
  readonly decoder: readonly Conv2dParams[];
}

/** What one forward pass gives. */
export interface HgnOutput {
  /** posterior mean and log standard deviation of `z`, `[B, 4, 4, 2C]` each */
  readonly mean: tf.Tensor4D;
  readonly logStd: tf.Tensor4D;
  /** the rolled-out states, `rolloutSteps + 1` of them, `q` and `p` `[B, 4, 4, C]` */
  readonly states: readonly Phase<tf.Tensor4D>[];
  /** predicted frames `[B, T + 1, size, size, 3]` in [0, 1] */
  readonly frames: tf.Tensor5D;
  /** the learned energy of each state, `[B, T + 1]` */
  readonly energies: tf.Tensor2D;
}

/** The initial bias of the posterior's log standard deviation. */
export const INITIAL_LOG_STD = -2;

/** The shapes of the HGN's networks (everything but their weights). */
export interface HgnSpecs {
  readonly encoder: ConvStackSpec;
  readonly transformer: ConvStackSpec;
  /** one spec per energy network (`[K, V]` or `[H]`) */
  readonly hamiltonian: readonly ConvStackSpec[];
  readonly decoder: ConvStackSpec;
}

const layers = (n: number, channels: number, activation: Activation): ConvLayerSpec[] =>
  Array.from({ length: n }, () => ({ channels, activation }));

/**
 * The conv stacks of the model `config` describes (appendix A.1): the encoder downsamples with
 * stride-2 convolutions at its odd hidden layers until the image is 4x4; f_psi, the energy
 * networks (softplus, so they have second derivatives) and the decoder keep the 4x4 grid until
 * the decoder's upsampling blocks.
 *
 * @example
 * ```ts
 * import { hgnSpecs, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(hgnSpecs(SMALL_HGN).encoder.layers.filter((l) => l.stride === 2).length, 3);
 * ```
 */
export const hgnSpecs = (config: HgnConfig): HgnSpecs => {
  const C = config.stateChannels;
  const leak = config.leak;
  const encoder = downsamplingEncoder({
    inChannels: 3 * config.inputFrames,
    size: config.size,
    layers: config.encoderLayers,
    width: config.encoderWidth,
    outChannels: 4 * C, // mean and log std of z, 2C each
    leak,
  });
  const energyNet = (cin: number): ConvStackSpec => ({
    inChannels: cin,
    layers: [
      ...layers(config.hamiltonianLayers - 1, config.hamiltonianWidth, "softplus"),
      { channels: 1, activation: "linear" },
    ],
    leak,
  });
  return {
    encoder,
    transformer: {
      inChannels: 2 * C,
      layers: config.fpsi
        ? [
          ...layers(config.transformerLayers - 1, config.transformerWidth, "leakyRelu"),
          { channels: 2 * C, activation: "linear" },
        ]
        : [],
      leak,
    },
    hamiltonian: config.hamiltonian === "separable"
      ? [energyNet(C), energyNet(C)]
      : [energyNet(2 * C)],
    decoder: upsamplingDecoder({
      inChannels: C + 2,
      size: config.size,
      width: config.decoderWidth,
      outChannels: 3,
      leak,
    }),
  };
};

/**
 * Seeded initialisation of every weight of the model `config` describes: each leaf from its path
 * (see `pathSeed`), so a variant with or without f_psi shares every other weight.
 *
 * @example
 * ```ts
 * import { initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { flattenWithPaths, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const p = initHgn(SMALL_HGN, 0);
 * strictEqual(p.hamiltonian.length, 2); // K and V
 * const q = initHgn({ ...SMALL_HGN, fpsi: false }, 0);
 * deepStrictEqual(await p.decoder[0].w.data(), await q.decoder[0].w.data());
 * strictEqual(flattenWithPaths(p)[0][0], "decoder/0/b");
 * ```
 */
export const initHgn = (config: HgnConfig, seed: number): HgnParams => {
  const specs = hgnSpecs(config);
  const C = config.stateChannels;
  const encoder = initConvStack(seed, "encoder", specs.encoder);
  // Start the posterior narrow (std e^-2): with unit-variance samples at initialisation the
  // decoder first sees pure noise, and nothing pushes the encoder to carry information.
  const last = encoder.length - 1;
  encoder[last].b.dispose();
  encoder[last] = {
    w: encoder[last].w,
    b: tf.concat([tf.zeros([2 * C]), tf.fill([2 * C], INITIAL_LOG_STD)]) as tf.Tensor1D,
  };
  return {
    encoder,
    transformer: initConvStack(seed, "transformer", specs.transformer),
    hamiltonian: specs.hamiltonian.map((s, i) => initConvStack(seed, `hamiltonian/${i}`, s)),
    decoderInput: normalLeaf(seed, "decoderInput", [1, 4, 4, 2], 0.1) as tf.Tensor4D,
    decoder: initConvStack(seed, "decoder", specs.decoder),
  };
};

/**
 * Frees every tensor of the model.
 *
 * @example
 * ```ts
 * import { disposeHgn, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * disposeHgn(params);
 * deepStrictEqual(params.decoderInput.isDisposed, true);
 * ```
 */
export const disposeHgn = (params: HgnParams): void => tf.dispose(paramLeaves(params));

/**
 * Checks that `frames` is a batch of sequences `[B >= 1, >= need, size, size, 3]` for the model
 * `config` describes; a `RangeError` saying what was given and what is needed. (wasm returns
 * junk memory, not an error, for a slice past the end.)
 *
 * @example
 * ```ts
 * import { checkFrames, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { throws } from "node:assert/strict";
 * await useBackend("cpu");
 * throws(() => checkFrames(SMALL_HGN, tf.zeros([1, 3, 32, 32, 3]), 5, "encode"), /needs sequences \[B, >= 5, 32, 32, 3\]/);
 * ```
 */
export const checkFrames = (
  config: HgnConfig,
  frames: tf.Tensor,
  need: number,
  what: string,
): void => {
  const [B, F, H, W, C] = frames.shape;
  if (frames.rank !== 5 || B < 1 || F < need || H !== config.size || W !== config.size || C !== 3) {
    throw new RangeError(
      `${what} needs sequences [B, >= ${need}, ${config.size}, ${config.size}, 3], got [${frames.shape}]`,
    );
  }
};

/**
 * The learned Hamiltonian of `params` as a core {@link Hamiltonian} on tensors (`q`, `p` of shape
 * `[B, 4, 4, C]`, energies `[B]`, the sum of each energy network's outputs), its forces in closed
 * form (`separableConvHamiltonian`, `convHamiltonian`: first-order ops, so training differentiates
 * a rollout once). It holds the forces' flipped filters, computed from `params` in the caller's
 * scope: build it inside the `tidy` or gradient that uses it.
 *
 * @example
 * ```ts
 * import { hgnHamiltonian, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const h = hgnHamiltonian(SMALL_HGN, initHgn(SMALL_HGN, 0));
 * const q = tf.zeros([2, 4, 4, 16]);
 * deepStrictEqual(h.energy({ q, p: q }).shape, [2]);
 * ```
 */
export const hgnHamiltonian = (
  config: HgnConfig,
  params: HgnParams,
): Hamiltonian<tf.Tensor, tf.Tensor> => {
  const [first, second] = params.hamiltonian;
  const [s1, s2] = hgnSpecs(config).hamiltonian;
  return config.hamiltonian === "separable"
    ? separableConvHamiltonian({ spec: s1, params: first }, { spec: s2, params: second })
    : convHamiltonian({ spec: s1, params: first });
};

/**
 * The first `n` frames of sequences `[B, F, H, W, C]`, sliced as a rank-3 tensor: wasm slices
 * (and transposes) rank-5 tensors element by element, which took 190 ms of a 780 ms update.
 * Returns `frames` itself when it has exactly `n` frames.
 *
 * @example
 * ```ts
 * import { firstFrames } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const x = tf.range(0, 2 * 3 * 4).reshape([2, 3, 2, 2, 1]) as tf.Tensor5D;
 * deepStrictEqual(await firstFrames(x, 1).data(), new Float32Array([0, 1, 2, 3, 12, 13, 14, 15]));
 * ```
 */
export const firstFrames = (frames: tf.Tensor5D, n: number): tf.Tensor5D =>
  n === frames.shape[1] ? frames : frameWindow(frames, 0, n);

/**
 * Frames `start .. start + n - 1` of sequences `[B, F, H, W, C]`, sliced as a rank-3 tensor (see
 * {@link firstFrames}).
 *
 * @example
 * ```ts
 * import { frameWindow } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const x = tf.range(0, 2 * 3 * 2).reshape([2, 3, 2, 1, 1]) as tf.Tensor5D;
 * deepStrictEqual(await frameWindow(x, 1, 2).data(), new Float32Array([2, 3, 4, 5, 8, 9, 10, 11]));
 * ```
 */
export const frameWindow = (frames: tf.Tensor5D, start: number, n: number): tf.Tensor5D => {
  const [B, F, H, W, C] = frames.shape;
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 1 || start + n > F) {
    throw new RangeError(`frames ${start} .. ${start + n - 1} of sequences of ${F} frames`);
  }
  const flat = tf.reshape(frames, [B, F, H * W * C]);
  return tf.reshape(tf.slice(flat, [0, start, 0], [B, n, H * W * C]), [
    B,
    n,
    H,
    W,
    C,
  ]) as tf.Tensor5D;
};

/**
 * Encodes the first `inputFrames` frames of sequences `[B, >= inputFrames, size, size, 3]`,
 * stacked on channels, into the posterior over `z`.
 *
 * @example
 * ```ts
 * import { encode, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * const { mean } = encode(config, params, tf.zeros([1, 3, 32, 32, 3]) as tf.Tensor5D);
 * deepStrictEqual(mean.shape, [1, 4, 4, 4]);
 * ```
 */
export const encode = (
  config: HgnConfig,
  params: HgnParams,
  frames: tf.Tensor5D,
): { mean: tf.Tensor4D; logStd: tf.Tensor4D } => {
  checkFrames(config, frames, config.inputFrames, "the HGN encoder");
  const [B, , S] = frames.shape;
  const F = config.inputFrames;
  const stacked = tf.reshape(
    tf.transpose(tf.reshape(firstFrames(frames, F), [B, F, S * S, 3]), [0, 2, 1, 3]),
    [B, S, S, F * 3],
  ) as tf.Tensor4D;
  const out = applyConvStack(hgnSpecs(config).encoder, params.encoder, stacked);
  const C2 = 2 * config.stateChannels;
  const [mean, logStd] = tf.split(out, [C2, C2], 3) as [tf.Tensor4D, tf.Tensor4D];
  return { mean, logStd };
};

/**
 * Decodes positions `q` `[B, 4, 4, C]` into images `[B, size, size, 3]`.
 *
 * @example
 * ```ts
 * import { decode, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * deepStrictEqual(decode(config, params, tf.zeros([3, 4, 4, 2]) as tf.Tensor4D).shape, [3, 32, 32, 3]);
 * ```
 */
export const decode = (config: HgnConfig, params: HgnParams, q: tf.Tensor4D): tf.Tensor4D => {
  const [B, qh, qw, qc] = q.shape;
  if (q.rank !== 4 || qh !== 4 || qw !== 4 || qc !== config.stateChannels) {
    throw new RangeError(
      `the HGN decoder needs positions [B, 4, 4, ${config.stateChannels}], got [${q.shape}]`,
    );
  }
  const constant = tf.tile(params.decoderInput, [B, 1, 1, 1]);
  const input = tf.concat([q, constant], 3) as tf.Tensor4D;
  return applyUpsamplingDecoder(hgnSpecs(config).decoder, params.decoder, input);
};

/**
 * The initial state `(q, p)` for latent `z` `[B, 4, 4, 2C]`: `f_psi(z)`, or `z` itself without
 * f_psi, split into positions (first C channels) and momenta (last C).
 *
 * @example
 * ```ts
 * import { initHgn, initialState, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * const s0 = initialState(config, params, tf.zeros([1, 4, 4, 4]) as tf.Tensor4D);
 * deepStrictEqual(s0.p.shape, [1, 4, 4, 2]);
 * ```
 */
export const initialState = (
  config: HgnConfig,
  params: HgnParams,
  z: tf.Tensor4D,
): Phase<tf.Tensor4D> => {
  const s0 = config.fpsi ? applyConvStack(hgnSpecs(config).transformer, params.transformer, z) : z;
  const C = config.stateChannels;
  const [q, p] = tf.split(s0, [C, C], 3) as [tf.Tensor4D, tf.Tensor4D];
  return { q, p };
};

/** Options of one forward pass. */
export interface ApplyOptions {
  /** seed of the posterior sample (ignored when the config is deterministic or `sample` is false) */
  readonly seed: number;
  /** draw `z` from the posterior (training) or use its mean (evaluation); default true */
  readonly sample?: boolean;
  /** time step override (negative rolls backward; `k dt` changes speed); default `config.dt` */
  readonly dt?: number;
  /** rollout steps override; default `config.rolloutSteps` */
  readonly steps?: number;
  /** decode only these time indices (default: every state); `frames` then follows this order */
  readonly decodeAt?: readonly number[];
}

/**
 * Rolls a state forward with the learned Hamiltonian, `steps` steps of `dt` (negative: backward),
 * without decoding: the `steps + 1` states and the learned energy of each, `[B, steps + 1]`.
 *
 * @example
 * ```ts
 * import { initHgn, initialState, latentRollout, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * const s0 = initialState(config, params, tf.ones([3, 4, 4, 4]) as tf.Tensor4D);
 * const out = latentRollout(config, params, s0, 0.125, 5);
 * deepStrictEqual([out.states.length, ...out.energies.shape], [6, 3, 6]);
 * ```
 */
export const latentRollout = (
  config: HgnConfig,
  params: HgnParams,
  s0: Phase<tf.Tensor4D>,
  dt: number,
  steps: number,
): { states: Phase<tf.Tensor4D>[]; energies: tf.Tensor2D } => {
  const h = hgnHamiltonian(config, params);
  const step = stepOf(integratorByName(config.integrator), tensorSpace, h, dt);
  const states = rollout(step, steps)(s0 as Phase<tf.Tensor>) as Phase<tf.Tensor4D>[];
  const energies = tf.stack(states.map((s) => h.energy(s)), 1) as tf.Tensor2D;
  return { states, energies };
};

/**
 * Rolls a state forward with the learned Hamiltonian and decodes every `q_t` (or those at
 * `decodeAt`).
 *
 * @example
 * ```ts
 * import { initHgn, initialState, SMALL_HGN, unroll } from "@hamiltonian/hgn/models/hgn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const params = initHgn(config, 0);
 * const s0 = initialState(config, params, tf.ones([1, 4, 4, 4]) as tf.Tensor4D);
 * const out = unroll(config, params, s0, 0.125, 5);
 * deepStrictEqual([out.states.length, ...out.frames.shape], [6, 1, 6, 32, 32, 3]);
 * ```
 */
export const unroll = (
  config: HgnConfig,
  params: HgnParams,
  s0: Phase<tf.Tensor4D>,
  dt: number,
  steps: number,
  decodeAt?: readonly number[],
): { states: Phase<tf.Tensor4D>[]; frames: tf.Tensor5D; energies: tf.Tensor2D } => {
  const { states, energies } = latentRollout(config, params, s0, dt, steps);
  const B = s0.q.shape[0];
  const S = config.size;
  const shown = decodeAt ?? states.map((_, t) => t);
  // Decode the frames as one batch: [T' B, 4, 4, C] -> [T' B, S, S, 3].
  const qs = tf.concat(shown.map((t) => states[t].q), 0) as tf.Tensor4D;
  const images = decode(config, params, qs);
  const frames = tf.reshape(
    tf.transpose(tf.reshape(images, [shown.length, B, S * S * 3]), [1, 0, 2]),
    [B, shown.length, S, S, 3],
  ) as tf.Tensor5D;
  return { states, frames, energies };
};

/**
 * The full forward pass on a batch of sequences `[B, >= inputFrames, size, size, 3]`.
 *
 * @example
 * ```ts
 * import { applyHgn, initHgn, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...SMALL_HGN, rolloutSteps: 2, inputFrames: 2 };
 * const out = applyHgn(config, initHgn(config, 0), tf.zeros([1, 3, 32, 32, 3]) as tf.Tensor5D, { seed: 1 });
 * deepStrictEqual(out.frames.shape, [1, 3, 32, 32, 3]);
 * ```
 */
export const applyHgn = (
  config: HgnConfig,
  params: HgnParams,
  frames: tf.Tensor5D,
  options: ApplyOptions,
): HgnOutput => {
  const { mean, logStd } = encode(config, params, frames);
  const z = config.deterministic || options.sample === false ? mean : tf.add(
    mean,
    tf.mul(tf.exp(logStd), tf.randomNormal(mean.shape, 0, 1, "float32", options.seed)),
  ) as tf.Tensor4D;
  const { states, frames: predicted, energies } = unroll(
    config,
    params,
    initialState(config, params, z),
    options.dt ?? config.dt,
    options.steps ?? config.rolloutSteps,
    options.decodeAt,
  );
  return { mean, logStd, states, frames: predicted, energies };
};
