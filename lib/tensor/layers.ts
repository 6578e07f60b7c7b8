/**
 * The one nn kit of the library: layers as pure `init`/`apply` pairs (dm-haiku style) over the
 * parameter trees of `params.ts`.
 *
 * - One init policy per layer kind: dense and conv weights Glorot-uniform
 *   (`U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))`), biases zero.
 * - `apply*` functions are pure in parameters and inputs and use only ops whose second
 *   derivatives tests/tensor/gradients_test.ts verifies (no `tf.fused.*`, no `tf.layers`).
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { conv2dInputGradient } from "./gradients.ts";
import { uniformLeaf } from "./params.ts";

/** `join("a", "b")` is `"a/b"`; an empty prefix is dropped. */
const join = (prefix: string, name: string) => (prefix === "" ? name : `${prefix}/${name}`);

/** Weights of a dense layer: `[in, out]` and `[out]`. */
export interface DenseParams {
  readonly w: tf.Tensor2D;
  readonly b: tf.Tensor1D;
}

/**
 * A dense layer at `path` of a model seeded with `seed`: Glorot-uniform weights
 * (`w` from `path/w`), zero bias.
 *
 * @example
 * ```ts
 * import { initDense, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(initDense(7, "out", 4, 2).w.shape, [4, 2]);
 * ```
 */
export const initDense = (
  seed: number,
  path: string,
  inFeatures: number,
  outFeatures: number,
): DenseParams => ({
  w: uniformLeaf(
    seed,
    join(path, "w"),
    [inFeatures, outFeatures],
    glorot(inFeatures, outFeatures),
  ) as tf.Tensor2D,
  b: tf.zeros([outFeatures]),
});

const glorot = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));

/**
 * `x w + b` for `x` of shape `[B, in]`.
 *
 * @example
 * ```ts
 * import { applyDense, initDense, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(applyDense(initDense(7, "d", 4, 2), tf.zeros([3, 4])).shape, [3, 2]);
 * ```
 */
export const applyDense = (params: DenseParams, x: tf.Tensor): tf.Tensor2D =>
  tf.tidy(() => tf.add(tf.matMul(x as tf.Tensor2D, params.w), params.b));

/** Settings of a 2-D convolution layer (NHWC). */
export interface Conv2dConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  /** square kernel size; default 3 */
  readonly kernel?: number;
}

/** Weights of a conv layer: filter `[k, k, in, out]` and bias `[out]`. */
export interface Conv2dParams {
  readonly w: tf.Tensor4D;
  readonly b: tf.Tensor1D;
}

/**
 * A conv layer at `path`: Glorot-uniform filter (fans `k k in` and `k k out`), zero bias.
 *
 * @example
 * ```ts
 * import { initConv2d, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const p = initConv2d(1, "c", { inChannels: 3, outChannels: 8 });
 * deepStrictEqual(p.w.shape, [3, 3, 3, 8]);
 * deepStrictEqual(await p.w.data(), await initConv2d(1, "c", { inChannels: 3, outChannels: 8 }).w.data());
 * ```
 */
export const initConv2d = (seed: number, path: string, config: Conv2dConfig): Conv2dParams => {
  const k = config.kernel ?? 3;
  const { inChannels: cin, outChannels: cout } = config;
  return {
    w: uniformLeaf(
      seed,
      join(path, "w"),
      [k, k, cin, cout],
      glorot(k * k * cin, k * k * cout),
    ) as tf.Tensor4D,
    b: tf.zeros([cout]),
  };
};

/**
 * `conv2d(x, w) + b` on NHWC input (stride default 1, padding default "same").
 *
 * @example
 * ```ts
 * import { applyConv2d, initConv2d, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const p = initConv2d(1, "c", { inChannels: 3, outChannels: 8 });
 * deepStrictEqual(applyConv2d(p, tf.zeros([2, 8, 8, 3]), { stride: 2 }).shape, [2, 4, 4, 8]);
 * ```
 */
export const applyConv2d = (
  params: Conv2dParams,
  x: tf.Tensor,
  options: { readonly stride?: number; readonly pad?: "same" | "valid" } = {},
): tf.Tensor4D =>
  tf.tidy(() =>
    tf.add(
      tf.conv2d(x as tf.Tensor4D, params.w, options.stride ?? 1, options.pad ?? "same"),
      params.b,
    )
  );

/**
 * An activation between layers. Smooth ones (`softplus`, `tanh`, `sigmoid`) for networks that are
 * differentiated twice (Hamiltonians); never `relu` there.
 */
export type Activation = "relu" | "leakyRelu" | "softplus" | "tanh" | "sigmoid" | "linear";

/**
 * Applies an activation (`leakyRelu` with slope `leak`, default 0.2).
 *
 * @example
 * ```ts
 * import { activate, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const y = await activate(tf.tensor1d([-1, 1]), "leakyRelu", 0.2).data();
 * ok(Math.abs(y[0] + 0.2) < 1e-7 && y[1] === 1);
 * ```
 */
export const activate = <T extends tf.Tensor>(x: T, a: Activation, leak = 0.2): T => {
  switch (a) {
    case "relu":
      return tf.relu(x);
    case "leakyRelu":
      return tf.leakyRelu(x, leak);
    case "softplus":
      return tf.softplus(x);
    case "tanh":
      return tf.tanh(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "linear":
      return x;
  }
};

/** One layer of a conv stack: output channels, stride (default 1) and activation. */
export interface ConvLayerSpec {
  readonly channels: number;
  readonly stride?: number;
  readonly activation: Activation;
}

/** The shape of a conv stack (everything but its weights). */
export interface ConvStackSpec {
  readonly inChannels: number;
  readonly layers: readonly ConvLayerSpec[];
  /** square kernel size; default 3 */
  readonly kernel?: number;
  /** leaky ReLU slope; default 0.2 */
  readonly leak?: number;
}

/**
 * The weights of a conv stack at `path`: layer `i` at `path/i`.
 *
 * @example
 * ```ts
 * import { initConvStack, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { inChannels: 3, layers: [{ channels: 8, stride: 2, activation: "leakyRelu" as const }, { channels: 1, activation: "linear" as const }] };
 * deepStrictEqual(initConvStack(0, "enc", spec).map((l) => l.w.shape[3]), [8, 1]);
 * ```
 */
export const initConvStack = (
  seed: number,
  path: string,
  spec: ConvStackSpec,
): Conv2dParams[] => {
  let c = spec.inChannels;
  return spec.layers.map((layer, i) => {
    const p = initConv2d(seed, join(path, String(i)), {
      inChannels: c,
      outChannels: layer.channels,
      kernel: spec.kernel,
    });
    c = layer.channels;
    return p;
  });
};

/**
 * Runs a conv stack (layers `from` to `to`, default all) on NHWC input.
 *
 * @example
 * ```ts
 * import { applyConvStack, initConvStack, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { inChannels: 1, layers: [{ channels: 2, stride: 2, activation: "leakyRelu" as const }, { channels: 1, activation: "linear" as const }] };
 * deepStrictEqual(applyConvStack(spec, initConvStack(1, "s", spec), tf.zeros([1, 8, 8, 1])).shape, [1, 4, 4, 1]);
 * ```
 */
export const applyConvStack = (
  spec: ConvStackSpec,
  params: readonly Conv2dParams[],
  x: tf.Tensor4D,
  from = 0,
  to = spec.layers.length,
): tf.Tensor4D => {
  if (params.length !== spec.layers.length) {
    throw new RangeError(`conv stack: ${spec.layers.length} layers, ${params.length} weights`);
  }
  let h = x;
  for (let i = from; i < to; i++) {
    const l = spec.layers[i];
    h = activate(applyConv2d(params[i], h, { stride: l.stride ?? 1 }), l.activation, spec.leak);
  }
  return h;
};

/** Settings of {@link downsamplingEncoder}. */
export interface DownsamplingEncoderOptions {
  readonly inChannels: number;
  /** input image side; halved by stride-2 layers down to 4 (a power of two times 4) */
  readonly size: number;
  /** conv layers in all (>= 2) */
  readonly layers: number;
  /** channels of the first layer; the hidden layers after it have twice as many */
  readonly width: number;
  readonly outChannels: number;
  /** leaky ReLU slope; default 0.2 */
  readonly leak?: number;
}

/**
 * The conv encoder of appendix A.1 (HGN's, and the pixel baselines'): a leaky-ReLU layer of
 * `width` channels, `layers - 2` hidden layers of `2 width` that place the stride-2 convolutions
 * halving `size` down to 4x4 at the odd hidden layers (late ones when few remain), then a
 * linear layer of `outChannels`.
 *
 * @example
 * ```ts
 * import { downsamplingEncoder } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * const spec = downsamplingEncoder({ inChannels: 6, size: 32, layers: 6, width: 8, outChannels: 4 });
 * deepStrictEqual(spec.layers.map((l) => l.stride ?? 1), [1, 2, 1, 2, 2, 1]);
 * ```
 */
export const downsamplingEncoder = (o: DownsamplingEncoderOptions): ConvStackSpec => {
  const down = Math.round(Math.log2(o.size / 4));
  const hidden = o.layers - 2;
  if (!Number.isInteger(hidden) || hidden < down || 4 * 2 ** down !== o.size) {
    throw new RangeError(
      `a downsampling encoder of ${o.layers} layers cannot take ${o.size}x${o.size} to 4x4 ` +
        `(needs size 4 * 2^k and layers >= k + 2)`,
    );
  }
  const layers: ConvLayerSpec[] = [{ channels: o.width, activation: "leakyRelu" }];
  let placed = 0;
  for (let i = 0; i < hidden; i++) {
    const stride = placed < down && (i % 2 === 0 || hidden - i <= down - placed) ? 2 : 1;
    if (stride === 2) placed++;
    layers.push({ channels: 2 * o.width, stride, activation: "leakyRelu" });
  }
  layers.push({ channels: o.outChannels, activation: "linear" });
  return { inChannels: o.inChannels, layers, leak: o.leak };
};

/**
 * The conv decoder of appendix A.1 from a 4x4 grid to `size`x`size`: a leaky-ReLU layer of
 * `width` channels at 4x4, then per doubling a nearest x2 upsampling and two leaky-ReLU layers,
 * then a sigmoid layer of `outChannels`. Run it with {@link applyUpsamplingDecoder}.
 *
 * @example
 * ```ts
 * import { upsamplingDecoder } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(upsamplingDecoder({ inChannels: 4, size: 32, width: 8, outChannels: 3 }).layers.length, 8);
 * ```
 */
export const upsamplingDecoder = (
  o: Omit<DownsamplingEncoderOptions, "layers">,
): ConvStackSpec => {
  const down = Math.round(Math.log2(o.size / 4));
  if (!(down >= 0) || 4 * 2 ** down !== o.size) {
    throw new RangeError(`an upsampling decoder makes sizes 4 * 2^k, not ${o.size}`);
  }
  return {
    inChannels: o.inChannels,
    layers: [
      ...Array.from({ length: 1 + 2 * down }, () => ({
        channels: o.width,
        activation: "leakyRelu" as const,
      })),
      { channels: o.outChannels, activation: "sigmoid" },
    ],
    leak: o.leak,
  };
};

/**
 * Runs an {@link upsamplingDecoder} on `[B, 4, 4, inChannels]`: `[B, size, size, outChannels]`.
 * Each block's "upsample, then convolve" is {@link upsampleConv2d} (the same map, 2.25x fewer
 * multiply-adds on large batches).
 *
 * @example
 * ```ts
 * import { applyUpsamplingDecoder, initConvStack, tf, upsamplingDecoder, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = upsamplingDecoder({ inChannels: 2, size: 16, width: 4, outChannels: 6 });
 * const y = applyUpsamplingDecoder(spec, initConvStack(0, "d", spec), tf.zeros([1, 4, 4, 2]));
 * deepStrictEqual(y.shape, [1, 16, 16, 6]);
 * ```
 */
export const applyUpsamplingDecoder = (
  spec: ConvStackSpec,
  params: readonly Conv2dParams[],
  x: tf.Tensor4D,
): tf.Tensor4D => {
  const n = spec.layers.length;
  let h = applyConvStack(spec, params, x, 0, 1);
  for (let i = 1; i + 1 < n; i += 2) {
    const l = spec.layers[i];
    const up = (l.stride ?? 1) === 1
      ? tf.add(upsampleConv2d(h, params[i].w), params[i].b)
      : applyConv2d(params[i], upsampleNearest2x(h), { stride: l.stride });
    h = applyConvStack(
      spec,
      params,
      activate(up, l.activation, spec.leak) as tf.Tensor4D,
      i + 1,
      i + 2,
    );
  }
  return applyConvStack(spec, params, h, n - 1, n);
};

/** The shape of a multilayer perceptron: layer sizes `[in, hidden..., out]`. */
export interface MlpSpec {
  readonly sizes: readonly number[];
  /** between hidden layers */
  readonly activation: Activation;
  /** after the last layer; default linear */
  readonly output?: Activation;
  /** leaky ReLU slope; default 0.2 */
  readonly leak?: number;
}

/**
 * The weights of an MLP at `path`: layer `i` at `path/i`.
 *
 * @example
 * ```ts
 * import { initMlp, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const p = initMlp(0, "H", { sizes: [2, 16, 1], activation: "softplus" });
 * deepStrictEqual(p.map((l) => l.w.shape), [[2, 16], [16, 1]]);
 * ```
 */
export const initMlp = (seed: number, path: string, spec: MlpSpec): DenseParams[] => {
  if (spec.sizes.length < 2) {
    throw new RangeError(`an MLP needs at least [in, out] sizes, got [${spec.sizes}]`);
  }
  return spec.sizes.slice(1).map((out, i) =>
    initDense(seed, join(path, String(i)), spec.sizes[i], out)
  );
};

/**
 * Runs an MLP on `[B, in]`.
 *
 * @example
 * ```ts
 * import { applyMlp, initMlp, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { sizes: [2, 16, 1], activation: "softplus" as const };
 * deepStrictEqual(applyMlp(spec, initMlp(0, "H", spec), tf.zeros([5, 2])).shape, [5, 1]);
 * ```
 */
export const applyMlp = (
  spec: MlpSpec,
  params: readonly DenseParams[],
  x: tf.Tensor,
): tf.Tensor2D => {
  if (params.length !== spec.sizes.length - 1) {
    throw new RangeError(`MLP: ${spec.sizes.length - 1} layers, ${params.length} weights`);
  }
  let h = x as tf.Tensor2D;
  params.forEach((p, i) => {
    const last = i === params.length - 1;
    h = activate(applyDense(p, h), last ? spec.output ?? "linear" : spec.activation, spec.leak);
  });
  return h;
};

/** The activation's derivative at pre-activation `a`, from `a` and its value `y = act(a)`. */
const slope = <T extends tf.Tensor>(act: Activation, a: T, y: T, leak: number): T => {
  switch (act) {
    case "tanh":
      return tf.sub(1, tf.square(y));
    case "sigmoid":
      return tf.mul(y, tf.sub(1, y));
    case "softplus":
      return tf.sigmoid(a);
    case "relu":
      return tf.step(a);
    case "leakyRelu":
      return tf.where(tf.greater(a, 0), tf.onesLike(a), tf.fill(a.shape, leak)) as T;
    case "linear":
      return tf.onesLike(a);
  }
};

/**
 * The gradient of an MLP's outputs, summed per sample, with respect to its input, in closed form:
 * one forward pass keeping the pre-activations, then `g <- (g * act'(a_l)) W_l^T` from the last
 * layer to the first. Per sample it is `dH/dx` for an energy `H = mlp(x)` (`[B, 1]` output), as
 * `energyGradient` gives by autodiff, but built from first-order ops only (matMul, the activations
 * and their derivatives), so a loss through it is differentiated once, not through a tape of a
 * tape: second order in closed form (tests/tensor/nn_test.ts checks it against float64 finite
 * differences).
 *
 * @example
 * ```ts
 * import { applyMlp, energyGradient, initMlp, mlpInputGradient, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { sizes: [2, 16, 1], activation: "tanh" as const };
 * const net = initMlp(0, "H", spec);
 * const x = tf.tensor2d([[0.3, -0.2], [1, 0.5]]);
 * const auto = await energyGradient((y) => applyMlp(spec, net, y).reshape([-1]))(x).data();
 * const ours = await mlpInputGradient(spec, net, x).data();
 * ok(ours.every((v, i) => Math.abs(v - auto[i]) < 1e-6));
 * ```
 */
export const mlpInputGradient = (
  spec: MlpSpec,
  params: readonly DenseParams[],
  x: tf.Tensor,
): tf.Tensor2D =>
  tf.tidy(() => {
    if (params.length !== spec.sizes.length - 1) {
      throw new RangeError(`MLP: ${spec.sizes.length - 1} layers, ${params.length} weights`);
    }
    const leak = spec.leak ?? 0.2;
    const act = (i: number) => i === params.length - 1 ? spec.output ?? "linear" : spec.activation;
    const pre: tf.Tensor2D[] = [];
    const post: tf.Tensor2D[] = [];
    let h = x as tf.Tensor2D;
    params.forEach((p, i) => {
      pre.push(applyDense(p, h));
      h = activate(pre[i], act(i), leak);
      post.push(h);
    });
    let g: tf.Tensor2D = tf.onesLike(h);
    for (let i = params.length - 1; i >= 0; i--) {
      if (act(i) !== "linear") g = tf.mul(g, slope(act(i), pre[i], post[i], leak));
      g = tf.matMul(g, params[i].w, false, true);
    }
    return g;
  });

/**
 * The adjoint of one "same" convolution layer with filter `w`, as a function of the output
 * gradient `g` and the layer's input shape. Stride 1 with an odd filter pads symmetrically, so the
 * adjoint is a "same" convolution by the flipped filter, flipped here once; other layers take
 * {@link conv2dInputGradient}.
 */
const layerAdjoint = (
  w: tf.Tensor4D,
  stride: number,
): (g: tf.Tensor4D, inputShape: [number, number, number, number]) => tf.Tensor4D => {
  const [kh, kw] = w.shape;
  if (stride === 1 && kh % 2 === 1 && kw % 2 === 1) {
    const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return (g) => tf.conv2d(g, flipped, 1, "same");
  }
  return (g, shape) => conv2dInputGradient(shape, g, w, stride, "same");
};

/**
 * The gradient of a conv stack's outputs, summed per sample, with respect to its NHWC input, in
 * closed form: the per-sample force `dE/dx` of the energy `E(x) = sum(convStack(x))` (the HGN
 * Hamiltonian's), as `energyGradient` gives by autodiff, built from first-order ops only (the
 * convolutions, the activations and their derivatives), so a loss through a rollout is
 * differentiated once, not through a tape of a tape. One forward pass keeps the pre-activations of
 * the layers up to the last non-linear one (the linear layers after it do not depend on `x`), then
 * `g <- adjoint_l(g * act'(a_l))` from the last layer to the first, starting from ones over a
 * batch of 1 while `g` does not depend on the sample.
 *
 * Prepared once per `params`: the flipped filters are computed when this is called, in the
 * caller's scope (build it inside the `tidy` or gradient that uses it), and each call of the
 * returned function reuses them. tests/tensor/gradients_test.ts checks value, gradient and
 * Hessian-vector product against float64 finite differences.
 *
 * @example
 * ```ts
 * import { applyConvStack, convStackInputGradient, energyGradient, initConvStack, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const spec = { inChannels: 2, layers: [{ channels: 4, activation: "softplus" as const }, { channels: 1, activation: "linear" as const }] };
 * const net = initConvStack(0, "H", spec);
 * const x = tf.randomNormal([2, 4, 4, 2], 0, 1, "float32", 1) as tf.Tensor4D;
 * const auto = await energyGradient((y) => tf.sum(applyConvStack(spec, net, y as tf.Tensor4D), [1, 2, 3]))(x).data();
 * const ours = await convStackInputGradient(spec, net)(x).data();
 * ok(ours.every((v, i) => Math.abs(v - auto[i]) < 1e-5));
 * ```
 */
export const convStackInputGradient = (
  spec: ConvStackSpec,
  params: readonly Conv2dParams[],
): (x: tf.Tensor4D) => tf.Tensor4D => {
  if (params.length !== spec.layers.length) {
    throw new RangeError(`conv stack: ${spec.layers.length} layers, ${params.length} weights`);
  }
  const leak = spec.leak ?? 0.2;
  const layers = spec.layers;
  const adjoints = params.map((p, i) => layerAdjoint(p.w, layers[i].stride ?? 1));
  // layers at and after `linearFrom` are affine: their gradient does not depend on the input
  let linearFrom = layers.length;
  while (linearFrom > 0 && layers[linearFrom - 1].activation === "linear") linearFrom--;
  return (x) =>
    tf.tidy(() => {
      const [B] = x.shape;
      // each layer's input shape ("same" padding: ceil(size / stride))
      const shapes: [number, number, number, number][] = [];
      let [, h, w, c] = x.shape;
      for (const l of layers) {
        shapes.push([B, h, w, c]);
        const s = l.stride ?? 1;
        [h, w, c] = [Math.ceil(h / s), Math.ceil(w / s), l.channels];
      }
      const pre: tf.Tensor4D[] = [];
      const post: tf.Tensor4D[] = [];
      let y = x;
      for (let i = 0; i < linearFrom; i++) {
        pre.push(applyConv2d(params[i], y, { stride: layers[i].stride ?? 1 }));
        y = activate(pre[i], layers[i].activation, leak);
        post.push(y);
      }
      let g = tf.ones([1, h, w, c]) as tf.Tensor4D;
      for (let i = layers.length - 1; i >= 0; i--) {
        const act = layers[i].activation;
        if (i < linearFrom && act !== "linear") g = tf.mul(g, slope(act, pre[i], post[i], leak));
        const [, ih, iw, ic] = shapes[i];
        g = adjoints[i](g, [g.shape[0], ih, iw, ic]);
      }
      return g.shape[0] === B ? g : tf.broadcastTo(g, x.shape) as tf.Tensor4D;
    });
};

/**
 * `conv2d(upsampleNearest2x(x), w, 1, "same")` for a 3x3 filter, computed at `x`'s resolution:
 * output pixel `(2i + a, 2j + b)` sees input rows `i - 1, i, i` (phase `a = 0`) or `i, i, i + 1`
 * (`a = 1`), and likewise columns, so each of the four output phases is a 2x2 convolution of `x`
 * by sums of `w`'s taps (rows `[w0, w1 + w2]` or `[w0 + w1, w2]`). That is 16 multiply-adds per
 * output pixel and channel pair where the upsampled image needs 36, and the upsampled image is
 * never built; the phases are interleaved by rank-4 concatenations and reshapes. Equal to the
 * upsample-then-convolve form to float32 rounding (the taps are summed before the products).
 * Below `minMacs` multiply-adds of the plain form (default 5e7), where the twelve small kernels
 * of the phase form cost more than they save, and for other filter sizes, it is the plain form.
 * Differentiable to any order (slices, sums, pads, convolutions, concatenations).
 *
 * @example
 * ```ts
 * import { tf, upsampleConv2d, upsampleNearest2x, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const x = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 1) as tf.Tensor4D;
 * const w = tf.randomNormal([3, 3, 5, 6], 0, 1, "float32", 2) as tf.Tensor4D;
 * const plain = tf.conv2d(upsampleNearest2x(x), w, 1, "same");
 * const phases = upsampleConv2d(x, w, { minMacs: 0 });
 * ok((await tf.max(tf.abs(tf.sub(plain, phases))).data())[0] < 1e-4);
 * ```
 */
export const upsampleConv2d = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  options: { readonly minMacs?: number } = {},
): tf.Tensor4D =>
  tf.tidy(() => {
    const [B, h, wd, ci] = x.shape;
    const [kh, kw, , co] = w.shape;
    const macs = B * 4 * h * wd * kh * kw * ci * co;
    if (kh !== 3 || kw !== 3 || macs < (options.minMacs ?? 5e7)) {
      return tf.conv2d(upsampleNearest2x(x), w, 1, "same");
    }
    // taps of one axis folded for each phase: phase 0 [t0, t1 + t2], phase 1 [t0 + t1, t2]
    const fold = (k: tf.Tensor4D, axis: 0 | 1): [tf.Tensor4D, tf.Tensor4D] => {
      const [t0, t1, t2] = tf.split(k, 3, axis) as tf.Tensor4D[];
      return [
        tf.concat([t0, tf.add(t1, t2)], axis) as tf.Tensor4D,
        tf.concat([tf.add(t0, t1), t2], axis) as tf.Tensor4D,
      ];
    };
    const xp = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const rows = fold(w, 0).map((kernel, a) => {
      const phases = fold(kernel, 1).map((k, b) =>
        tf.conv2d(tf.slice(xp, [0, a, b, 0], [B, h + 1, wd + 1, ci]), k, 1, "valid")
      );
      // [B, h, w, (b, co)] is [B, h, (w, b), co]: the two column phases interleaved
      return tf.reshape(tf.concat(phases, 3), [B, h, 2 * wd, co]);
    });
    // [B, h, (a, 2w), co] is [B, (h, a), 2w, co]: the two row phases interleaved
    return tf.reshape(tf.concat(rows, 2), [B, 2 * h, 2 * wd, co]) as tf.Tensor4D;
  });

/**
 * Nearest-neighbour x2 upsampling of NHWC images (each pixel becomes a 2x2 block); its gradient
 * is the verified block-sum adjoint.
 *
 * @example
 * ```ts
 * import { tf, upsampleNearest2x, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const y = upsampleNearest2x(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]));
 * deepStrictEqual(Array.from(await y.data()).slice(0, 4), [1, 1, 2, 2]);
 * ```
 */
export const upsampleNearest2x = (x: tf.Tensor): tf.Tensor4D => {
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [2 * (h as number), 2 * (w as number)]);
};
