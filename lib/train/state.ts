/**
 * The training state of any model record and its one update: parameters as variables, one Adam
 * per parameter group, the step count. Nothing here knows which model it trains.
 *
 * Randomness is stateless: update `k` draws from `deriveSeed(seed, 0x5e9, k)`, so the step count
 * is the whole RNG state and a resumed run takes exactly the updates it would have taken.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { deriveSeed } from "../core/random.ts";
import {
  flattenWithPaths,
  isFiniteTree,
  mapParams,
  paramLeaves,
  type Params,
} from "../tensor/params.ts";
import type { Model, ParamGroup } from "../models/model.ts";
import { adam, type AdamState, adamStep, disposeAdam } from "./adam.ts";

/** Settings of training that are not the model's: the optimiser and the seed. */
export interface TrainOptions {
  /** Adam learning rate of every parameter outside the model's groups */
  readonly learningRate: number;
  /** seed of the weights and of every update's randomness */
  readonly seed: number;
  /**
   * cosine decay of the descending groups' learning rates, from 1x to `final`x over `steps`
   * updates, then constant (absent: constant rates)
   */
  readonly decay?: { readonly steps: number; readonly final: number };
  /**
   * settings outside the model that shape training (the data, the batch size): saved with
   * checkpoints and part of their fingerprint, never read by the loop
   */
  readonly context?: Readonly<Record<string, unknown>>;
}

/** The evolving state of a run. Variables and optimiser slots live on the tfjs backend. */
export interface TrainState<C, P extends Params, B> {
  readonly model: Model<C, P, B>;
  readonly config: C;
  readonly options: TrainOptions;
  /** the parameter tree, every leaf a `tf.Variable` */
  readonly params: P;
  /** one Adam per group prefix (`""`: the parameters outside every group) */
  readonly optimizers: ReadonlyMap<string, AdamState>;
  /** updates done */
  step: number;
}

/** What one update reports: the loss, the model's metrics and the gradient norm. */
export interface StepMetrics {
  /** updates done after this one */
  readonly step: number;
  readonly loss: number;
  /** the global L2 norm of the gradient */
  readonly gradNorm: number;
  readonly [metric: string]: number;
}

/**
 * The loss or the gradient was NaN or infinite: the update was not applied, the weights are
 * the last good ones.
 *
 * @example
 * ```ts
 * import { NonFiniteLossError } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new NonFiniteLossError("loss became NaN").name, "NonFiniteLossError");
 * ```
 */
export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

/** The model's groups, the base group `""` last (it takes what no prefix claims). */
const groupsOf = <C>(
  model: { readonly groups?: (config: C) => readonly ParamGroup[] },
  config: C,
  options: TrainOptions,
) => [
  ...(model.groups?.(config) ?? []),
  { prefix: "", learningRate: options.learningRate, ascend: false } as ParamGroup,
];

const groupOf = (groups: readonly ParamGroup[], path: string): ParamGroup =>
  groups.find((g) => path.startsWith(g.prefix))!;

/**
 * The learning-rate factor of update `step` (0-based) under `options.decay`: cosine from 1 to
 * `final` over `steps` updates, then `final`.
 *
 * @example
 * ```ts
 * import { learningRateFactor } from "@hamiltonian/hgn/train";
 * import { deepStrictEqual } from "node:assert/strict";
 * const decay = { steps: 100, final: 0.1 };
 * deepStrictEqual([0, 50, 100, 500].map((s) => learningRateFactor({ decay }, s)), [1, 0.55, 0.1, 0.1]);
 * deepStrictEqual(learningRateFactor({}, 7), 1);
 * ```
 */
export const learningRateFactor = (options: Pick<TrainOptions, "decay">, step: number): number => {
  const d = options.decay;
  if (!d) return 1;
  const t = Math.min(1, step / d.steps);
  return d.final + (1 - d.final) * 0.5 * (1 + Math.cos(Math.PI * t));
};

/** The seed of update `step` (0-based) of a run seeded with `seed`. */
export const stepSeed = (seed: number, step: number): number => deriveSeed(seed, 0x5e9, step);

/**
 * A fresh training state: `model.init(config, options.seed)` as variables, fresh optimisers.
 *
 * @example
 * ```ts
 * import { initState } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const line = { name: "line", init: () => ({ w: tf.zeros([1]) }), loss: () => ({ loss: tf.scalar(0), metrics: {} }) };
 * const s = initState(line, {}, { learningRate: 0.1, seed: 0 });
 * strictEqual(s.step, 0);
 * ```
 */
export const initState = <C, P extends Params, B>(
  model: Model<C, P, B>,
  config: C,
  options: TrainOptions,
): TrainState<C, P, B> => {
  const fresh = model.init(config, options.seed);
  const params = mapParams(fresh, (t, path) => tf.variable(t, true, uniqueName(path)));
  tf.dispose(paramLeaves(fresh));
  const optimizers = new Map(
    groupsOf(model, config, options).map((g) => [
      g.prefix,
      adam({ learningRate: g.learningRate }),
    ]),
  );
  return { model, config, options, params, optimizers, step: 0 };
};

let variableCount = 0;
/** tfjs variable names must be unique in the engine. */
const uniqueName = (path: string) => `${path}#${variableCount++}`;

/**
 * Frees the state's variables and optimiser slots.
 *
 * @example
 * ```ts
 * import { disposeState, initState } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const line = { name: "line", init: () => ({ w: tf.zeros([1]) }), loss: () => ({ loss: tf.scalar(0), metrics: {} }) };
 * const s = initState(line, {}, { learningRate: 0.1, seed: 0 });
 * disposeState(s);
 * ok(s.params.w.isDisposed);
 * ```
 */
export const disposeState = <C, P extends Params, B>(state: TrainState<C, P, B>): void => {
  tf.dispose(paramLeaves(state.params));
  for (const opt of state.optimizers.values()) disposeAdam(opt);
};

/** What one update's gradient computation gives: the loss, the model's metrics, the gradients. */
export interface Gradients {
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** by parameter path; a parameter the loss does not reach has none (tensors owned here) */
  readonly grads: ReadonlyMap<string, tf.Tensor>;
}

/** Computes an update's gradients, e.g. on several workers (see `gradientPool`). */
export type GradientSource = <C, P extends Params, B>(
  state: TrainState<C, P, B>,
  batch: B,
  context: { readonly seed: number; readonly step: number },
) => Promise<Gradients>;

/** The randomness of update `state.step`. */
const contextOf = <C, P extends Params, B>(state: TrainState<C, P, B>) => ({
  seed: stepSeed(state.options.seed, state.step),
  step: state.step,
});

/**
 * The gradients of the model's loss on `batch` with respect to every parameter, here, on the
 * current backend. Disposes every intermediate; never the batch.
 *
 * @example
 * ```ts
 * import { initState, localGradients } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const quad = {
 *   name: "quad",
 *   init: () => ({ x: tf.scalar(3) }),
 *   loss: (_: unknown, p: { x: tf.Tensor }) => ({ loss: tf.square(p.x) as tf.Scalar, metrics: {} }),
 * };
 * const s = initState(quad, {}, { learningRate: 0.1, seed: 0 });
 * const g = await localGradients(s, null, { seed: 0, step: 0 });
 * strictEqual((await g.grads.get("x")!.data())[0], 6);
 * ```
 */
export const localGradients = <C, P extends Params, B>(
  state: TrainState<C, P, B>,
  batch: B,
  context: { readonly seed: number; readonly step: number },
): Promise<Gradients> => modelGradients(state.model, state.config, state.params, batch, context);

/**
 * The gradients of `model`'s loss on `batch` at `params` (a tree of variables), on the current
 * backend: what {@link localGradients} computes for a training state, and a gradient worker for
 * its slice. Disposes every intermediate; never the batch.
 */
export const modelGradients = async <C, P extends Params, B>(
  model: Model<C, P, B>,
  config: C,
  params: P,
  batch: B,
  context: { readonly seed: number; readonly step: number },
): Promise<Gradients> => {
  const tape = tapeGradients(model, config, params, batch, context);
  const [loss, ...values] = await readScalars([tape.value, ...tape.metricValues]);
  return { loss, metrics: namedMetrics(tape.metricNames, values), grads: tape.grads };
};

/** The loss, metrics and gradients of one batch, every scalar still on the backend. */
const tapeGradients = <C, P extends Params, B>(
  model: Model<C, P, B>,
  config: C,
  params: P,
  batch: B,
  context: { readonly seed: number; readonly step: number },
) => {
  const named = flattenWithPaths(params) as [string, tf.Variable][];
  let metricNames: string[] = [];
  let metricValues: tf.Scalar[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const out = model.loss(config, params, batch, context);
    metricNames = Object.keys(out.metrics);
    metricValues = metricNames.map((k) => tf.keep(out.metrics[k]));
    return out.loss;
  }, named.map(([, v]) => v));
  const byPath = new Map<string, tf.Tensor>();
  for (const [path, v] of named) if (grads[v.name]) byPath.set(path, grads[v.name]);
  return { value, metricNames, metricValues, grads: byPath as ReadonlyMap<string, tf.Tensor> };
};

/**
 * Reads scalars in one transfer (on a GPU backend each `data()` is a round trip), disposing them.
 * The values are the scalars' own: concatenating copies float32 values unchanged.
 */
const readScalars = async (scalars: readonly tf.Scalar[]): Promise<number[]> => {
  // each one's first value, as `(await t.data())[0]` would give
  const all = tf.tidy(() => tf.concat(scalars.map((t) => tf.slice(tf.reshape(t, [-1]), 0, 1))));
  const values = Array.from(await all.data());
  tf.dispose([all, ...scalars]);
  return values;
};

const namedMetrics = (names: readonly string[], values: readonly number[]) => {
  const metrics: Record<string, number> = {};
  names.forEach((k, i) => (metrics[k] = values[i]));
  return metrics;
};

/** The global squared L2 norm of gradients, on the backend. */
const squaredNorm = (grads: readonly tf.Tensor[]): tf.Scalar =>
  tf.tidy(() =>
    grads.reduce((a: tf.Scalar, g) => tf.add(a, tf.sum(tf.square(g))) as tf.Scalar, tf.scalar(0))
  );

/**
 * One update on `batch`: gradients of the model's loss with respect to every parameter (here,
 * or from `source`, e.g. a pool of workers), then Adam per group (descent, or ascent for groups
 * that ask for it). A parameter the loss does not reach has no gradient and is left untouched; a
 * group with no gradient does not count a step. Throws {@link NonFiniteLossError} and applies
 * nothing when the loss or any gradient is NaN or infinite. Disposes every intermediate; never
 * the batch.
 *
 * @example
 * ```ts
 * import { initState, trainStep } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const quad = {
 *   name: "quad",
 *   init: () => ({ x: tf.scalar(3) }),
 *   loss: (_: unknown, p: { x: tf.Tensor }) => ({ loss: tf.square(p.x) as tf.Scalar, metrics: {} }),
 * };
 * const s = initState(quad, {}, { learningRate: 0.1, seed: 0 });
 * const m = await trainStep(s, null);
 * strictEqual(m.loss, 9);
 * ok((await s.params.x.data())[0] < 3);
 * ```
 */
export const trainStep = async <C, P extends Params, B>(
  state: TrainState<C, P, B>,
  batch: B,
  source: GradientSource = localGradients,
): Promise<StepMetrics> => {
  const named = flattenWithPaths(state.params) as [string, tf.Variable][];
  const withGradOf = (grads: ReadonlyMap<string, tf.Tensor>) =>
    named.flatMap(([path, v]) => grads.has(path) ? [[path, v, grads.get(path)!] as const] : []);
  let loss: number, metrics: Readonly<Record<string, number>>, norm2: number;
  let grads: ReadonlyMap<string, tf.Tensor>;
  if (source === localGradients) {
    // here: the loss, the metrics and the gradient norm come back in one readback
    const tape = tapeGradients(state.model, state.config, state.params, batch, contextOf(state));
    grads = tape.grads;
    const norm = squaredNorm(withGradOf(grads).map(([, , g]) => g));
    const values = await readScalars([tape.value, ...tape.metricValues, norm]);
    loss = values[0];
    metrics = namedMetrics(tape.metricNames, values.slice(1, -1));
    norm2 = values[values.length - 1];
  } else {
    ({ loss, metrics, grads } = await source(state, batch, contextOf(state)));
    norm2 = (await readScalars([squaredNorm(withGradOf(grads).map(([, , g]) => g))]))[0];
  }
  const withGrad = withGradOf(grads);
  if (!Number.isFinite(loss) || !Number.isFinite(norm2)) {
    tf.dispose([...grads.values()]);
    const what = Number.isFinite(loss) ? `the gradient became ${norm2}` : `loss became ${loss}`;
    throw new NonFiniteLossError(
      `${what} at step ${state.step + 1} (${
        Object.entries(metrics).map(([k, v]) => `${k} ${v}`).join(", ")
      }); the update was not applied`,
    );
  }
  const groups = groupsOf(state.model, state.config, state.options);
  for (const g of groups) {
    const mine = withGrad.filter(([path]) => groupOf(groups, path) === g);
    if (mine.length === 0) continue;
    adamStep(
      state.optimizers.get(g.prefix)!,
      new Map(mine.map(([path, v]) => [path, v])),
      new Map(mine.map(([path, , gr]) => [path, gr])),
      g.ascend ? -1 : 1,
      g.ascend ? 1 : learningRateFactor(state.options, state.step),
    );
  }
  tf.dispose([...grads.values()]);
  state.step += 1;
  return { ...metrics, step: state.step, loss, gradNorm: Math.sqrt(norm2) };
};

/**
 * Whether every parameter and optimiser slot of the state is finite (only such states are
 * checkpointed or evaluated).
 *
 * @example
 * ```ts
 * import { initState, isFiniteState } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const m = { name: "m", init: () => ({ w: tf.tensor1d([1, NaN]) }), loss: () => ({ loss: tf.scalar(0), metrics: {} }) };
 * strictEqual(await isFiniteState(initState(m, {}, { learningRate: 1, seed: 0 })), false);
 * ```
 */
export const isFiniteState = <C, P extends Params, B>(
  state: TrainState<C, P, B>,
): Promise<boolean> => isFiniteTree(state.params);
