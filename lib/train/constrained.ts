/**
 * Constrained objectives for any model (GECO, Rezende & Viola 2018): minimise the model's loss
 * subject to `constraint <= tolerance`, with a Lagrange multiplier `lambda = softplus(u)` trained
 * by gradient ascent on the same Lagrangian, so `lambda` grows while the constraint is violated
 * and shrinks once it holds. HGN (paper eq. 4) and NHF use it; the model knows nothing of it.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import type { Params } from "../tensor/params.ts";
import type { Model } from "../models/model.ts";

/** Settings of the Lagrange multiplier. */
export interface GecoConfig {
  /** the constraint's tolerance (HGN: on the per-pixel MSE, reference 1e-3) */
  readonly tolerance: number;
  /** initial `lambda` (> 0) */
  readonly init: number;
  /** Adam learning rate of `u` (gradient ascent) */
  readonly learningRate: number;
}

/** The parameters a constrained model adds: the raw multiplier `u` at path `geco/u`. */
export interface GecoParams {
  readonly geco: { readonly u: tf.Scalar };
}

/** `x = softplus^-1(y)` for y > 0. */
const inverseSoftplus = (y: number) => (y > 20 ? y : Math.log(Math.expm1(y)));

/**
 * The model under a constraint: config `C & { geco }`, parameters `P & { geco: { u } }` (the
 * group `geco/` ascends at `geco.learningRate`), loss `loss + lambda (constraint - tolerance)`,
 * metrics plus `lambda`. The wrapped model's loss must report a `constraint`.
 *
 * @example
 * ```ts
 * import { constrained, initState, trainStep } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * // minimise x^2 subject to (x - 2)^2 <= 0.01
 * const toy = {
 *   name: "toy",
 *   init: () => ({ x: tf.scalar(0) }),
 *   loss: (_: object, p: { x: tf.Tensor }) => ({
 *     loss: tf.square(p.x) as tf.Scalar,
 *     constraint: tf.square(tf.sub(p.x, 2)) as tf.Scalar,
 *     metrics: {},
 *   }),
 * };
 * const model = constrained(toy);
 * strictEqual(model.name, "toy+geco");
 * const s = initState(model, { geco: { tolerance: 0.01, init: 1, learningRate: 0.5 } }, { learningRate: 0.05, seed: 0 });
 * let lambda = 0;
 * for (let i = 0; i < 1000; i++) lambda = (await trainStep(s, null)).lambda;
 * ok(Math.abs((await s.params.x.data())[0] - 1.9) < 0.02); // the constrained optimum
 * ok(lambda > 10); // towards its optimum x / (2 - x) = 19
 * ```
 */
export const constrained = <C extends object, P extends Params, B>(
  model: Model<C, P, B>,
): Model<C & { readonly geco: GecoConfig }, P & GecoParams, B> => ({
  name: `${model.name}+geco`,
  ...(model.origin ? { origin: { ...model.origin, constrained: true } } : {}),
  init: (config, seed) => {
    const base = model.init(config, seed);
    if ("geco" in base) throw new TypeError(`${model.name} already has parameters named 'geco'`);
    return { ...base, geco: { u: tf.scalar(inverseSoftplus(config.geco.init)) } };
  },
  loss: (config, params, batch, context) => {
    const out = model.loss(config, params, batch, context);
    if (!out.constraint) {
      throw new TypeError(`${model.name} reports no constraint: it cannot be trained under GECO`);
    }
    const lambda = tf.softplus(params.geco.u) as tf.Scalar;
    const loss = tf.add(
      out.loss,
      tf.mul(lambda, tf.sub(out.constraint, config.geco.tolerance)),
    ) as tf.Scalar;
    return { loss, metrics: { ...out.metrics, lambda } };
  },
  groups: (config) => [
    ...(model.groups?.(config) ?? []),
    { prefix: "geco/", learningRate: config.geco.learningRate, ascend: true },
  ],
});
