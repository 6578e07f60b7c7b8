/**
 * The pixel HNN baselines of Table 1 (appendix A.3; Greydanus et al. 2019): an autoencoder over
 * a pair of consecutive frames whose latent `z = (q, p)` has the size of the true phase space,
 * and an HNN `H(z)` (tanh MLP, two layers of 200) on that latent. `"mlp"` is the paper's "HNN"
 * row (a 4-layer, 200-unit ReLU MLP each way on the flattened pair); `"conv"` is "HNN (conv)"
 * (the conv encoder and decoder of appendix A.1 with one linear layer each way to `z`).
 *
 * The loss, per triple of frames `x_t, x_{t+1}, x_{t+2}` with pairs `X = (x_t, x_{t+1})` and
 * `X' = (x_{t+1}, x_{t+2})`, `z = enc(X)`, `z' = enc(X')`:
 * `L_AE + L_CC + 0.1 L_HNN + weightDecay / 2 |theta|^2`, with `L_AE = mean (X - dec(z))^2`,
 * `L_CC = mean (p - (q' - q))^2` (the latent momentum is the latent velocity) and
 * `L_HNN = mean (z' - (z + F(z)))^2` with `F = (dH/dp, -dH/dq)` (one latent time unit per frame,
 * the reference's Euler form). The L2 term is PyTorch Adam's `weight_decay`, which adds
 * `weightDecay theta` to every gradient.
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { rk4 } from "../../core/integrator.ts";
import {
  hamiltonianField,
  mlpHamiltonian,
  rolloutStates,
  splitState,
} from "../../tensor/hamiltonian.ts";
import { paramLeaves } from "../../tensor/params.ts";
import {
  applyConvStack,
  applyDense,
  applyMlp,
  applyUpsamplingDecoder,
  type Conv2dParams,
  type DenseParams,
  downsamplingEncoder,
  initConvStack,
  initDense,
  initMlp,
  type MlpSpec,
  upsamplingDecoder,
} from "../../tensor/layers.ts";
import type { FramePredictorModel, LossOutput } from "../model.ts";

/** Which autoencoder: the paper's MLP ("HNN") or HGN's convolutions ("HNN (conv)"). */
export type PixelAutoencoder = "mlp" | "conv";

/** Hyperparameters of a pixel HNN. */
export interface PixelHnnConfig {
  readonly autoencoder: PixelAutoencoder;
  /** frame side (a power of two times 4 for `"conv"`) */
  readonly size: number;
  /** latent size: the true phase-space size (2 mass-spring and pendulum, 8 two-body, 12 three-body) */
  readonly latent: number;
  /** MLP autoencoder: units per hidden layer (paper 200) and linear layers each way (paper 4) */
  readonly aeHidden: number;
  readonly aeLayers: number;
  /** conv autoencoder: widths and encoder depth, as HGN's (A.1) */
  readonly encoderWidth: number;
  readonly encoderLayers: number;
  readonly decoderWidth: number;
  /** the HNN on the latent: units per hidden layer (paper 200), hidden layers (paper 2) */
  readonly hnnHidden: number;
  readonly hnnLayers: number;
  /** weight of L_HNN (paper 0.1) */
  readonly hnnWeight: number;
  /** L2 weight decay (paper 1e-5) */
  readonly weightDecay: number;
}

/**
 * The paper's pixel HNN for 32x32 frames and a latent of `latent` numbers.
 *
 * @example
 * ```ts
 * import { pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(pixelHnnConfig("mlp", 8).aeHidden, 200);
 * ```
 */
export const pixelHnnConfig = (autoencoder: PixelAutoencoder, latent: number): PixelHnnConfig => ({
  autoencoder,
  size: 32,
  latent,
  aeHidden: 200,
  aeLayers: 4,
  encoderWidth: 16,
  encoderLayers: 6,
  decoderWidth: 24,
  hnnHidden: 200,
  hnnLayers: 2,
  hnnWeight: 0.1,
  weightDecay: 1e-5,
});

/** The weights of a pixel HNN. */
export interface PixelHnnParams {
  /** MLP: the layers; conv: the conv stack, then `encoderOut` */
  readonly encoder: readonly (DenseParams | Conv2dParams)[];
  /** conv only: the linear layer from the 4x4 grid to `z` (empty for MLP) */
  readonly encoderOut: readonly DenseParams[];
  /** conv only: the linear layer from `z` to the 4x4 grid (empty for MLP) */
  readonly decoderIn: readonly DenseParams[];
  readonly decoder: readonly (DenseParams | Conv2dParams)[];
  readonly H: readonly DenseParams[];
}

const pairSize = (c: PixelHnnConfig) => 2 * c.size * c.size * 3;
const mlpSpec = (sizes: number[], output: "linear" | "sigmoid"): MlpSpec => ({
  sizes,
  activation: "relu",
  output,
});
const aeSpecs = (c: PixelHnnConfig) => {
  const hidden = Array.from({ length: c.aeLayers - 1 }, () => c.aeHidden);
  return {
    encoder: mlpSpec([pairSize(c), ...hidden, c.latent], "linear"),
    decoder: mlpSpec([c.latent, ...hidden, pairSize(c)], "sigmoid"),
  };
};
const convSpecs = (c: PixelHnnConfig) => ({
  encoder: downsamplingEncoder({
    inChannels: 6,
    size: c.size,
    layers: c.encoderLayers,
    width: c.encoderWidth,
    outChannels: 2 * c.encoderWidth,
  }),
  decoder: upsamplingDecoder({
    inChannels: c.decoderWidth,
    size: c.size,
    width: c.decoderWidth,
    outChannels: 6,
  }),
});
const hnnSpec = (c: PixelHnnConfig): MlpSpec => ({
  sizes: [c.latent, ...Array.from({ length: c.hnnLayers }, () => c.hnnHidden), 1],
  activation: "tanh",
});

/**
 * Seeded weights (each leaf from its path).
 *
 * @example
 * ```ts
 * import { initPixelHnn, pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(initPixelHnn(pixelHnnConfig("conv", 2), 0).encoderOut.length, 1);
 * ```
 */
export const initPixelHnn = (config: PixelHnnConfig, seed: number): PixelHnnParams => {
  if (!Number.isInteger(config.latent) || config.latent < 2 || config.latent % 2 !== 0) {
    throw new RangeError(`the latent must be an even integer >= 2 (q and p), got ${config.latent}`);
  }
  const H = initMlp(seed, "H", hnnSpec(config));
  if (config.autoencoder === "mlp") {
    const s = aeSpecs(config);
    return {
      encoder: initMlp(seed, "encoder", s.encoder),
      encoderOut: [],
      decoderIn: [],
      decoder: initMlp(seed, "decoder", s.decoder),
      H,
    };
  }
  const s = convSpecs(config);
  const grid = 16 * 2 * config.encoderWidth;
  return {
    encoder: initConvStack(seed, "encoder", s.encoder),
    encoderOut: [initDense(seed, "encoderOut/0", grid, config.latent)],
    decoderIn: [initDense(seed, "decoderIn/0", config.latent, 16 * config.decoderWidth)],
    decoder: initConvStack(seed, "decoder", s.decoder),
    H,
  };
};

/**
 * Checks frames `[B, >= need, size, size, 3]`; a `RangeError` saying what is needed.
 */
const checkFrames = (config: PixelHnnConfig, frames: tf.Tensor, need: number) => {
  const [B, F, H, W, C] = frames.shape;
  if (frames.rank !== 5 || B < 1 || F < need || H !== config.size || W !== config.size || C !== 3) {
    throw new RangeError(
      `the pixel HNN needs frames [B, >= ${need}, ${config.size}, ${config.size}, 3], got [${frames.shape}]`,
    );
  }
};

/** Frames `t, t+1` of `[B, F, S, S, 3]` as pairs: MLP `[B, 2 S S 3]`, conv `[B, S, S, 6]`. */
const pairAt = (config: PixelHnnConfig, frames: tf.Tensor5D, t: number): tf.Tensor => {
  const [B, F, S] = frames.shape;
  const flat = tf.reshape(frames, [B, F, S * S * 3]);
  const pair = tf.slice(flat, [0, t, 0], [B, 2, S * S * 3]);
  return config.autoencoder === "mlp"
    ? tf.reshape(pair, [B, 2 * S * S * 3])
    // [B, 2, S S, 3] -> [B, S S, 2, 3]: the two frames stacked on channels
    : tf.reshape(tf.transpose(tf.reshape(pair, [B, 2, S * S, 3]), [0, 2, 1, 3]), [B, S, S, 6]);
};

/** Encodes pairs (as {@link pairAt} lays them out) into latents `[B, latent]`. */
const encodePair = (config: PixelHnnConfig, params: PixelHnnParams, pair: tf.Tensor) => {
  if (config.autoencoder === "mlp") {
    return applyMlp(aeSpecs(config).encoder, params.encoder as DenseParams[], pair);
  }
  const grid = applyConvStack(
    convSpecs(config).encoder,
    params.encoder as Conv2dParams[],
    pair as tf.Tensor4D,
  );
  return applyDense(params.encoderOut[0], tf.reshape(grid, [pair.shape[0], -1]));
};

/** Decodes latents `[B, latent]` into pairs laid out as {@link pairAt}'s. */
const decodePair = (config: PixelHnnConfig, params: PixelHnnParams, z: tf.Tensor) => {
  if (config.autoencoder === "mlp") {
    return applyMlp(aeSpecs(config).decoder, params.decoder as DenseParams[], z);
  }
  const B = z.shape[0];
  const grid = tf.reshape(applyDense(params.decoderIn[0], z), [B, 4, 4, config.decoderWidth]);
  return applyUpsamplingDecoder(
    convSpecs(config).decoder,
    params.decoder as Conv2dParams[],
    tf.leakyRelu(grid, 0.2) as tf.Tensor4D,
  );
};

/** The first frame of decoded pairs: `[B, S, S, 3]`. */
const firstOfPair = (config: PixelHnnConfig, pair: tf.Tensor): tf.Tensor4D => {
  const B = pair.shape[0];
  const S = config.size;
  if (config.autoencoder === "mlp") {
    return tf.reshape(tf.slice(pair, [0, 0], [B, S * S * 3]), [B, S, S, 3]);
  }
  return tf.slice(pair as tf.Tensor4D, [0, 0, 0, 0], [B, S, S, 3]);
};

/**
 * Latents of the pair at frames `t, t+1` of each sequence `[B, >= t + 2, size, size, 3]`:
 * `[B, latent]`, `[q..., p...]`.
 *
 * @example
 * ```ts
 * import { encodeFrames, initPixelHnn, pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = { ...pixelHnnConfig("conv", 4), size: 16, encoderLayers: 4, encoderWidth: 4, decoderWidth: 4, hnnHidden: 8 };
 * deepStrictEqual(encodeFrames(c, initPixelHnn(c, 0), tf.zeros([3, 2, 16, 16, 3]) as tf.Tensor5D).shape, [3, 4]);
 * ```
 */
export const encodeFrames = (
  config: PixelHnnConfig,
  params: PixelHnnParams,
  frames: tf.Tensor5D,
  t = 0,
): tf.Tensor2D =>
  tf.tidy(() => {
    checkFrames(config, frames, t + 2);
    return encodePair(config, params, pairAt(config, frames, t)) as tf.Tensor2D;
  });

/**
 * The pixel HNN as a model record (`name: "pixel-hnn"`): batch triples of frames
 * `[B, 3, size, size, 3]` (e.g. `frameWindows(reader, options, 3)`); metrics `ae`, `cc`, `hnn`.
 *
 * @example
 * ```ts
 * import { pixelHnn, pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
 * import { initState, trainStep } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = { ...pixelHnnConfig("mlp", 2), size: 8, aeHidden: 16, hnnHidden: 8 };
 * const s = initState(pixelHnn, c, { learningRate: 1e-3, seed: 0 });
 * const m = await trainStep(s, tf.zeros([4, 3, 8, 8, 3]) as tf.Tensor5D);
 * ok(m.ae > 0 && m.cc >= 0 && m.hnn >= 0);
 * ```
 */
export const pixelHnn: FramePredictorModel<PixelHnnConfig, PixelHnnParams, tf.Tensor5D> = {
  name: "pixel-hnn",
  origin: { module: import.meta.url, name: "pixelHnn" },
  // the first pair: the latent of the true phase-space size holds (q, p) of the first frame
  observedFrames: () => 2,
  predictFrames: (config, params, frames, steps) => {
    const out = predictPixelHnn(config, params, frames, steps);
    out.states.dispose();
    return { frames: out.frames, energies: out.energies };
  },
  init: initPixelHnn,
  loss: (config, params, frames): LossOutput => {
    checkFrames(config, frames, 3);
    const X = pairAt(config, frames, 0);
    const z = encodePair(config, params, X);
    const zNext = encodePair(config, params, pairAt(config, frames, 1));
    const ae = tf.mean(tf.squaredDifference(decodePair(config, params, z), X)) as tf.Scalar;
    const half = config.latent / 2;
    const [q, p] = tf.split(z, [half, half], 1);
    const qNext = tf.slice(zNext, [0, 0], [-1, half]);
    const cc = tf.mean(tf.squaredDifference(p, tf.sub(qNext, q))) as tf.Scalar;
    const field = hamiltonianField(mlpHamiltonian(hnnSpec(config), params.H), z);
    const hnn = tf.mean(tf.squaredDifference(zNext, tf.add(z, field))) as tf.Scalar;
    const l2 = paramLeaves(params).reduce((a, w) => tf.add(a, tf.sum(tf.square(w))), tf.scalar(0));
    const loss = tf.addN([
      ae,
      cc,
      tf.mul(config.hnnWeight, hnn),
      tf.mul(config.weightDecay / 2, l2),
    ]) as tf.Scalar;
    return { loss, metrics: { ae, cc, hnn } };
  },
};

/** What {@link predictPixelHnn} gives. */
export interface PixelHnnPrediction {
  /** predicted frames `[B, steps + 1, size, size, 3]`: the first frame of each decoded pair */
  readonly frames: tf.Tensor5D;
  /** the latent path `[B, steps + 1, latent]` */
  readonly states: tf.Tensor3D;
  /** the learned energy along it `[B, steps + 1]` */
  readonly energies: tf.Tensor2D;
}

/**
 * Encodes the first pair of each sequence `[B, >= 2, size, size, 3]`, rolls the learned
 * Hamiltonian out with RK4 (`substeps` per frame; one latent time unit per frame) and decodes
 * every latent state.
 *
 * @example
 * ```ts
 * import { initPixelHnn, pixelHnnConfig, predictPixelHnn } from "@hamiltonian/hgn/models/pixel_hnn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = { ...pixelHnnConfig("mlp", 2), size: 8, aeHidden: 16, hnnHidden: 8 };
 * const out = predictPixelHnn(c, initPixelHnn(c, 0), tf.zeros([2, 2, 8, 8, 3]) as tf.Tensor5D, 4);
 * deepStrictEqual([out.frames.shape, out.energies.shape], [[2, 5, 8, 8, 3], [2, 5]]);
 * ```
 */
export const predictPixelHnn = (
  config: PixelHnnConfig,
  params: PixelHnnParams,
  frames: tf.Tensor5D,
  steps: number,
  substeps = 1,
): PixelHnnPrediction => {
  const [states, energies, predicted] = tf.tidy(() => {
    const z0 = encodeFrames(config, params, frames);
    const H = mlpHamiltonian(hnnSpec(config), params.H);
    const path = rolloutStates(rk4, H, z0, { dt: 1, steps, substeps });
    const [B, T] = path.shape;
    const flat = tf.reshape(path, [B * T, config.latent]);
    const energies = tf.reshape(H.energy(splitState(flat)), [B, T]);
    const S = config.size;
    const images = firstOfPair(config, decodePair(config, params, flat));
    return [path, energies, tf.reshape(images, [B, T, S, S, 3])];
  });
  return {
    frames: predicted as tf.Tensor5D,
    states: states as tf.Tensor3D,
    energies: energies as tf.Tensor2D,
  };
};
