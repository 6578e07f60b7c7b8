/**
 * Adam (Kingma & Ba 2015) with its whole state in plain view: first and second moment slots per
 * parameter and the step count, so checkpoints save and restore it exactly. Bias corrections are
 * computed in float64 on the host, so a resumed run takes bit-identical steps.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";

/** Settings of {@link adam}. */
export interface AdamConfig {
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

/** The optimiser's state: moments by parameter name, and the updates done. */
export interface AdamState {
  readonly config: Required<AdamConfig>;
  readonly m: Map<string, tf.Variable>;
  readonly v: Map<string, tf.Variable>;
  step: number;
}

/**
 * A fresh Adam state (defaults beta1 0.9, beta2 0.999, epsilon 1e-8).
 *
 * @example
 * ```ts
 * import { adam } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * await useBackend("cpu");
 * strictEqual(adam({ learningRate: 1e-3 }).config.beta2, 0.999);
 * ```
 */
export const adam = (config: AdamConfig): AdamState => ({
  config: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...config },
  m: new Map(),
  v: new Map(),
  step: 0,
});

/**
 * One Adam step: `params[name] -= scale * lr * mhat / (sqrt(vhat) + eps)` for every gradient
 * given (`direction = -1` ascends instead; `scale` is a learning-rate schedule's factor). Slots are created at zero on first use. Disposes its
 * intermediates, never the gradients.
 *
 * @example
 * ```ts
 * import { adam, adamStep } from "@hamiltonian/hgn/train";
 * import { useBackend, tf } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const x = tf.variable(tf.scalar(1));
 * const opt = adam({ learningRate: 0.1 });
 * adamStep(opt, new Map([["x", x]]), new Map([["x", tf.scalar(2)]]));
 * ok(Math.abs((await x.data())[0] - 0.9) < 1e-6); // the first step moves by lr
 * ```
 */
export const adamStep = (
  state: AdamState,
  params: ReadonlyMap<string, tf.Variable>,
  grads: ReadonlyMap<string, tf.Tensor>,
  direction: 1 | -1 = 1,
  scale = 1,
): void => {
  const { learningRate, beta1, beta2, epsilon } = state.config;
  state.step += 1;
  const c1 = 1 - Math.pow(beta1, state.step);
  const c2 = 1 - Math.pow(beta2, state.step);
  const rate = (direction * learningRate * scale * Math.sqrt(c2)) / c1;
  tf.tidy(() => {
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new RangeError(`adam: gradient for unknown parameter '${name}'`);
      let m = state.m.get(name);
      let v = state.v.get(name);
      if (!m || !v) {
        m = tf.variable(tf.zerosLike(p), false);
        v = tf.variable(tf.zerosLike(p), false);
        state.m.set(name, m);
        state.v.set(name, v);
      }
      m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
      v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
      p.assign(tf.sub(p, tf.div(tf.mul(m, rate), tf.add(tf.sqrt(v), epsilon * Math.sqrt(c2)))));
    }
  });
};

/**
 * Frees the moment slots.
 *
 * @example
 * ```ts
 * import { adam, adamStep, disposeAdam } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const opt = adam({ learningRate: 0.1 });
 * adamStep(opt, new Map([["x", tf.variable(tf.scalar(1))]]), new Map([["x", tf.scalar(1)]]));
 * disposeAdam(opt);
 * strictEqual(opt.m.size, 0);
 * ```
 */
export const disposeAdam = (state: AdamState): void => {
  for (const t of [...state.m.values(), ...state.v.values()]) t.dispose();
  state.m.clear();
  state.v.clear();
};
