/**
 * The convolutional building blocks of HGN as pure `init`/`apply` pairs over records of tfjs
 * variables, initialised from an explicit seed (Glorot-uniform weights, zero biases).
 *
 * @module
 */
import { tf } from "../../deps/tf.ts";
import { type Random } from "../../core/random.ts";
import { applyConv2d } from "../../tensor/nn.ts";

/** A 2-D convolution: `[kh, kw, cin, cout]` weights and `[cout]` biases. */
export interface ConvParams {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
}

/**
 * A seeded Glorot-uniform `k x k` convolution from `cin` to `cout` channels.
 *
 * @example
 * ```ts
 * import { initConv } from "@hamiltonian/hgn/models/hgn";
 * import { random } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * await useBackend("cpu");
 * const c = initConv(random(0), 3, 2, 4);
 * deepStrictEqual(c.w.shape, [3, 3, 2, 4]);
 * ```
 */
export const initConv = (rng: Random, k: number, cin: number, cout: number): ConvParams => {
  const n = k * k * cin * cout;
  const limit = Math.sqrt(6 / (k * k * cin + k * k * cout));
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = rng.uniform(-limit, limit);
  return {
    w: tf.variable(tf.tensor4d(w, [k, k, cin, cout])),
    b: tf.variable(tf.zeros([cout])),
  };
};

/**
 * Applies a convolution with "same" padding and the given stride.
 *
 * @example
 * ```ts
 * import { conv, initConv } from "@hamiltonian/hgn/models/hgn";
 * import { random } from "@hamiltonian/hgn/core";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const y = conv(initConv(random(0), 3, 2, 4), tf.zeros([1, 8, 8, 2]), 2);
 * deepStrictEqual(y.shape, [1, 4, 4, 4]);
 * ```
 */
export const conv = (p: ConvParams, x: tf.Tensor4D, stride = 1): tf.Tensor4D =>
  applyConv2d({ w: p.w as tf.Tensor4D, b: p.b as tf.Tensor1D }, x, { stride });

/** An activation between layers. */
export type Activation = "leakyRelu" | "softplus" | "linear" | "sigmoid";

/**
 * Applies an activation (`leakyRelu` with slope `leak`).
 *
 * @example
 * ```ts
 * import { activate } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const y = await activate(tf.tensor1d([-1, 1]), "leakyRelu", 0.2).data();
 * ok(Math.abs(y[0] + 0.2) < 1e-7 && y[1] === 1);
 * ```
 */
export const activate = <T extends tf.Tensor>(x: T, a: Activation, leak = 0.2): T => {
  switch (a) {
    case "leakyRelu":
      return tf.leakyRelu(x, leak);
    case "softplus":
      return tf.softplus(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "linear":
      return x;
  }
};

/** One layer of a {@link ConvStack}: its parameters, stride and activation. */
export interface ConvLayer {
  readonly params: ConvParams;
  readonly stride: number;
  readonly activation: Activation;
}

/** A chain of convolutions. */
export type ConvStack = readonly ConvLayer[];

/**
 * Runs a {@link ConvStack}.
 *
 * @example
 * ```ts
 * import { applyStack, initConv } from "@hamiltonian/hgn/models/hgn";
 * import { random } from "@hamiltonian/hgn/core";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const rng = random(1);
 * const stack = [
 *   { params: initConv(rng, 3, 1, 2), stride: 2, activation: "leakyRelu" as const },
 *   { params: initConv(rng, 3, 2, 1), stride: 1, activation: "linear" as const },
 * ];
 * deepStrictEqual(applyStack(stack, tf.zeros([1, 8, 8, 1])).shape, [1, 4, 4, 1]);
 * ```
 */
export const applyStack = (stack: ConvStack, x: tf.Tensor4D, leak = 0.2): tf.Tensor4D =>
  stack.reduce((h, l) => activate(conv(l.params, h, l.stride), l.activation, leak), x);

/**
 * Builds a stack from a list of `[cout, stride, activation]` after an input of `cin` channels.
 *
 * @example
 * ```ts
 * import { initStack } from "@hamiltonian/hgn/models/hgn";
 * import { random } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * await useBackend("cpu");
 * const s = initStack(random(0), 3, [[8, 2, "leakyRelu"], [1, 1, "linear"]]);
 * deepStrictEqual(s.map((l) => l.params.w.shape[3]), [8, 1]);
 * ```
 */
export const initStack = (
  rng: Random,
  cin: number,
  layers: readonly (readonly [number, number, Activation])[],
  k = 3,
): ConvStack => {
  let c = cin;
  return layers.map(([cout, stride, activation]) => {
    const params = initConv(rng, k, c, cout);
    c = cout;
    return { params, stride, activation };
  });
};
