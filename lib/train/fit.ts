/**
 * The one training loop, for any model record: batches from a seekable source, one update each,
 * callbacks for everything with side effects (logs, checkpoints, progress). No `Deno.*` here:
 * the CLI and scripts bring files and signals through the callbacks.
 *
 * @module
 */
import type { Params } from "../tensor/params.ts";
import { type GradientSource, type StepMetrics, type TrainState, trainStep } from "./state.ts";

/**
 * Where batches come from: the batch of update `step` is a pure function of the step (a seeded
 * epoch plan), so a resumed run sees exactly the batches it would have seen.
 */
export interface BatchSource<B> {
  readonly batchAt: (step: number) => B | Promise<B>;
  /** frees a batch after its update (e.g. disposes its tensors) */
  readonly release?: (batch: B) => void;
}

/** What {@link fit} does besides updating. */
export interface FitOptions<C, P extends Params, B> {
  /** stop once the state has made this many updates in all */
  readonly steps: number;
  /** checked before every update: a reason to stop (e.g. "interrupted"), or undefined */
  readonly shouldStop?: (state: TrainState<C, P, B>) => string | undefined;
  /** after every update, with its metrics (awaited: a checkpoint written here is complete) */
  readonly onStep?: (metrics: StepMetrics, state: TrainState<C, P, B>) => void | Promise<void>;
  /** where each update's gradients come from (default: here; e.g. a `gradientPool`'s) */
  readonly gradients?: GradientSource;
}

/** How long {@link fit} runs updates before letting timers and signal listeners run. */
const YIELD_MS = 100;

/** Why {@link fit} returned, and the last update's metrics. */
export interface FitResult {
  /** `"steps"` when it reached `options.steps`, else the reason `shouldStop` gave */
  readonly reason: string;
  readonly last?: StepMetrics;
}

/**
 * Trains `state` in place until `options.steps` updates or `shouldStop` says so. A non-finite
 * loss or gradient rejects with `NonFiniteLossError` (the state keeps its last good weights).
 *
 * @example
 * ```ts
 * import { fit, initState } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * // least squares y = 2x through the same loop HGN trains with
 * const line = {
 *   name: "line",
 *   init: () => ({ w: tf.scalar(0) }),
 *   loss: (_: unknown, p: { w: tf.Tensor }, b: { x: tf.Tensor; y: tf.Tensor }) => ({
 *     loss: tf.mean(tf.squaredDifference(tf.mul(p.w, b.x), b.y)) as tf.Scalar,
 *     metrics: {},
 *   }),
 * };
 * const state = initState(line, {}, { learningRate: 0.1, seed: 0 });
 * const x = tf.tensor1d([1, 2, 3]);
 * const result = await fit(state, { batchAt: () => ({ x, y: tf.mul(x, 2) }) }, { steps: 200 });
 * strictEqual(result.reason, "steps");
 * ok(Math.abs((await state.params.w.data())[0] - 2) < 1e-2);
 * ```
 */
export const fit = async <C, P extends Params, B>(
  state: TrainState<C, P, B>,
  source: BatchSource<B>,
  options: FitOptions<C, P, B>,
): Promise<FitResult> => {
  let last: StepMetrics | undefined;
  let yielded = performance.now();
  while (state.step < options.steps) {
    // An update on the main thread resolves only microtasks, so timers and signal listeners (which
    // set what shouldStop reads) would wait for the loop to end: give them a turn every 100 ms.
    if (options.shouldStop && performance.now() - yielded > YIELD_MS) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      yielded = performance.now();
    }
    const reason = options.shouldStop?.(state);
    if (reason !== undefined) return { reason, last };
    const batch = await source.batchAt(state.step);
    try {
      last = await trainStep(state, batch, options.gradients);
    } finally {
      source.release?.(batch);
    }
    await options.onStep?.(last, state);
  }
  return { reason: "steps", last };
};
