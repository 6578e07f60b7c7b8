/**
 * Small pure network blocks as `init`/`apply` pairs (dm-haiku style): parameters are plain
 * records of tensors, `init*` is seeded (lib/core/random, no unseeded randomness), `apply*` is a pure
 * function of parameters and inputs. Only ops whose second derivatives are verified by
 * tests/tensor/gradients_test.ts are used (no `tf.fused.*`, no `tf.layers`).
 *
 * @module
 */
import { random } from "../core/random.ts";
import { tf } from "../deps/tf.ts";

/**
 * A tree of parameter tensors: a tensor, or a record or array of trees (typed as `object` so
 * that interfaces like {@link Conv2dParams} fit; anything else in a tree is a `TypeError`).
 */
export type Params = object;

/**
 * The tensors of a parameter tree in a fixed order (record keys sorted), e.g. for `tf.grads`.
 *
 * @example
 * ```ts
 * import { paramLeaves, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(paramLeaves({ b: tf.zeros([2]), a: { w: tf.ones([1]) } }).length, 2);
 * ```
 */
export const paramLeaves = (p: Params): tf.Tensor[] => {
  if (p instanceof tf.Tensor) return [p];
  if (Array.isArray(p)) return (p as readonly Params[]).flatMap(paramLeaves);
  if (p === null || typeof p !== "object") {
    throw new TypeError(`a parameter tree holds tensors, records and arrays; got ${p}`);
  }
  const r = p as { readonly [k: string]: Params };
  return Object.keys(r).sort().flatMap((k) => paramLeaves(r[k]));
};

/**
 * The tree `p` with its leaves replaced, in {@link paramLeaves} order, by `leaves` (inverse of
 * {@link paramLeaves}: `withLeaves(p, paramLeaves(p))` has the same tensors as `p`).
 *
 * @example
 * ```ts
 * import { paramLeaves, tf, useBackend, withLeaves } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const p = { w: tf.zeros([2]), b: tf.zeros([1]) };
 * const q = withLeaves(p, paramLeaves(p).map((t) => t.add(1)));
 * strictEqual((await q.w.data())[0], 1);
 * ```
 */
export const withLeaves = <P extends Params>(p: P, leaves: readonly tf.Tensor[]): P => {
  let i = 0;
  const go = (n: Params): Params => {
    if (n instanceof tf.Tensor) return leaves[i++];
    if (Array.isArray(n)) return (n as readonly Params[]).map(go);
    const r = n as { readonly [k: string]: Params };
    const out: { [k: string]: Params } = {};
    for (const k of Object.keys(r).sort()) out[k] = go(r[k]);
    return out;
  };
  const out = go(p) as P;
  if (i !== leaves.length) {
    throw new RangeError(`withLeaves: the tree has ${i} leaves, got ${leaves.length} tensors`);
  }
  return out;
};

/** Float32 values `N(0, std^2)` from a seed (lib/core/random), as a tensor of `shape`. */
const normalTensor = (shape: number[], std: number, seed: number): tf.Tensor => {
  const r = random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => std * r.normal()), shape);
};

/** Settings of a 2-D convolution layer (NHWC). */
export interface Conv2dConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  /** square kernel size; default 3 */
  readonly kernel?: number;
  /** default 1 */
  readonly stride?: number;
  /** default "same" */
  readonly pad?: "same" | "valid";
}

/** Weights of a conv layer: filter `[k, k, in, out]` and bias `[out]`. */
export interface Conv2dParams {
  readonly w: tf.Tensor4D;
  readonly b: tf.Tensor1D;
}

/**
 * Seeded He-normal initialisation of a conv layer (`std = sqrt(2 / (k*k*in))`), zero bias.
 *
 * @example
 * ```ts
 * import { initConv2d, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const p = initConv2d({ inChannels: 3, outChannels: 8 }, 1);
 * deepStrictEqual(p.w.shape, [3, 3, 3, 8]);
 * deepStrictEqual(await p.w.data(), await initConv2d({ inChannels: 3, outChannels: 8 }, 1).w.data());
 * ```
 */
export const initConv2d = (config: Conv2dConfig, seed: number): Conv2dParams => {
  const k = config.kernel ?? 3;
  const std = Math.sqrt(2 / (k * k * config.inChannels));
  return {
    w: normalTensor([k, k, config.inChannels, config.outChannels], std, seed) as tf.Tensor4D,
    b: tf.zeros([config.outChannels]),
  };
};

/**
 * `conv2d(x, w) + b` on NHWC input (stride and padding from the config).
 *
 * @example
 * ```ts
 * import { applyConv2d, initConv2d, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const c = { inChannels: 3, outChannels: 8, stride: 2 };
 * deepStrictEqual(applyConv2d(initConv2d(c, 1), tf.zeros([2, 8, 8, 3]), c).shape, [2, 4, 4, 8]);
 * ```
 */
export const applyConv2d = (
  params: Conv2dParams,
  x: tf.Tensor,
  config: Pick<Conv2dConfig, "stride" | "pad"> = {},
): tf.Tensor4D =>
  tf.tidy(() =>
    tf.add(
      tf.conv2d(x as tf.Tensor4D, params.w, config.stride ?? 1, config.pad ?? "same"),
      params.b,
    )
  );

/** Weights of a dense layer: `[in, out]` and `[out]`. */
export interface DenseParams {
  readonly w: tf.Tensor2D;
  readonly b: tf.Tensor1D;
}

/**
 * Seeded He-normal initialisation of a dense layer (`std = sqrt(2 / in)`), zero bias.
 *
 * @example
 * ```ts
 * import { initDense, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(initDense(4, 2, 7).w.shape, [4, 2]);
 * ```
 */
export const initDense = (inFeatures: number, outFeatures: number, seed: number): DenseParams => ({
  w: normalTensor([inFeatures, outFeatures], Math.sqrt(2 / inFeatures), seed) as tf.Tensor2D,
  b: tf.zeros([outFeatures]),
});

/**
 * `x w + b` for `x` of shape `[B, in]`.
 *
 * @example
 * ```ts
 * import { applyDense, initDense, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(applyDense(initDense(4, 2, 7), tf.zeros([3, 4])).shape, [3, 2]);
 * ```
 */
export const applyDense = (params: DenseParams, x: tf.Tensor): tf.Tensor2D =>
  tf.tidy(() => tf.add(tf.matMul(x as tf.Tensor2D, params.w), params.b));

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

/**
 * Leaky ReLU, `x` for `x > 0` and `alpha x` otherwise (default slope 0.2, as in HGN's decoder).
 *
 * @example
 * ```ts
 * import { leakyRelu, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(Array.from(await leakyRelu(tf.tensor1d([-1, 2])).data()), [Math.fround(-0.2), 2]);
 * ```
 */
export const leakyRelu = (x: tf.Tensor, alpha = 0.2): tf.Tensor => tf.leakyRelu(x, alpha);

/**
 * Softplus `log(1 + e^x)`: smooth, so Hamiltonian networks built with it have the second
 * derivatives that training through their gradients needs (never ReLU there).
 *
 * @example
 * ```ts
 * import { softplus, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * ok(Math.abs((await softplus(tf.scalar(0)).data())[0] - Math.log(2)) < 1e-6);
 * ```
 */
export const softplus = (x: tf.Tensor): tf.Tensor => tf.softplus(x);
