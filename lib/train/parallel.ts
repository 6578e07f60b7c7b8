/**
 * Data-parallel updates on every CPU core: a pool of module workers, each with its own tfjs
 * backend (wasm runs one thread per process) and its own copy of the model, computes the
 * gradient of a contiguous slice of each batch; the pool sums them, weighted by slice size, in a
 * fixed order, and the update is applied once, where the training state lives. The model code
 * does not change.
 *
 * Laws: for a fixed number of workers the result is a pure function of the state and the batch
 * (bit for bit; the slices and the summation order never depend on timing). For a loss that is
 * a mean over the batch's examples, any number of workers gives the single-process update up to
 * float32 rounding (the slices' means, weighted by their sizes, are the batch mean). A model that
 * draws random numbers for the whole batch at once (the stochastic HGN's posterior samples)
 * draws them per slice instead: the same distribution, other draws.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import type { Params } from "../tensor/params.ts";
import { flattenWithPaths } from "../tensor/params.ts";
import type { Gradients, TrainState } from "./state.ts";
import type { ModelRef } from "../models/model.ts";

/** Where a worker finds the model record (defined beside `Model`; each record names its own). */
export type { ModelRef };

/** A tensor on the wire: shape and float32 values. */
export interface WireTensor {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** A batch on the wire: a tensor, a record of tensors, or nothing. */
export type WireTree = WireTensor | { readonly [key: string]: WireTensor } | null;

/** A message to a worker. */
export type WorkerRequest =
  | {
    readonly type: "init";
    readonly model: ModelRef;
    readonly config: unknown;
    readonly backend: string;
  }
  | {
    readonly type: "step";
    readonly params: readonly Float32Array[];
    readonly batch: WireTree;
    readonly context: { readonly seed: number; readonly step: number };
  };

/** A worker's answer. */
export type WorkerReply =
  | { readonly type: "ready"; readonly backend: string }
  | {
    readonly type: "result";
    readonly loss: number;
    readonly metrics: Readonly<Record<string, number>>;
    readonly grads: readonly (Float32Array | null)[];
  }
  | { readonly type: "error"; readonly message: string };

const isTensor = (x: unknown): x is tf.Tensor => x instanceof tf.Tensor;

const wireOf = async (t: tf.Tensor): Promise<WireTensor> => ({
  shape: t.shape,
  values: (await t.data()) as Float32Array,
});

/**
 * A batch (a tensor `[B, ...]`, a record of such tensors, or `null`) read back as float32
 * arrays, and the number of examples in it.
 */
const toWire = async (batch: unknown): Promise<{ tree: WireTree; rows: number }> => {
  if (batch === null || batch === undefined) return { tree: null, rows: 0 };
  if (isTensor(batch)) return { tree: await wireOf(batch), rows: batch.shape[0] ?? 0 };
  const entries = Object.entries(batch as Record<string, unknown>);
  if (entries.length === 0 || !entries.every(([, v]) => isTensor(v))) {
    throw new TypeError("a parallel batch is a tensor, a record of tensors, or null");
  }
  const tree: Record<string, WireTensor> = {};
  const rows = new Set<number>();
  for (const [k, v] of entries) {
    tree[k] = await wireOf(v as tf.Tensor);
    rows.add((v as tf.Tensor).shape[0] ?? 0);
  }
  if (rows.size !== 1) throw new RangeError("the batch's tensors disagree on their first axis");
  return { tree, rows: [...rows][0] };
};

/** Rows `[from, from + n)` of a wire tensor. */
const rowsOf = (t: WireTensor, from: number, n: number): WireTensor => {
  const per = t.values.length / t.shape[0];
  return { shape: [n, ...t.shape.slice(1)], values: t.values.slice(from * per, (from + n) * per) };
};

/** `f` of the batch's tensor, or of each tensor of its record (`null` stays `null`). */
const mapWire = <T>(tree: WireTree, f: (t: WireTensor) => T): T | Record<string, T> | null => {
  if (tree === null) return null;
  if ("shape" in tree && "values" in tree) return f(tree as WireTensor);
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(tree)) out[k] = f(v);
  return out;
};

const sliceTree = (tree: WireTree, from: number, n: number): WireTree =>
  mapWire(tree, (t) => rowsOf(t, from, n));

/**
 * A wire batch as tensors again.
 *
 * @example
 * ```ts
 * import { fromWire } from "@hamiltonian/hgn/train";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const t = fromWire({ shape: [2, 1], values: Float32Array.of(1, 2) }) as { shape: number[] };
 * deepStrictEqual(t.shape, [2, 1]);
 * ```
 */
export const fromWire = (tree: WireTree): unknown =>
  mapWire(tree, (t) => tf.tensor(t.values, [...t.shape]));

/**
 * How `rows` examples split over `workers`: contiguous slices, the first `rows mod workers` one
 * longer; never an empty slice (fewer slices when there are fewer rows than workers).
 *
 * @example
 * ```ts
 * import { sliceSizes } from "@hamiltonian/hgn/train";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(sliceSizes(10, 4), [3, 3, 2, 2]);
 * deepStrictEqual(sliceSizes(2, 4), [1, 1]);
 * ```
 */
export const sliceSizes = (rows: number, workers: number): number[] => {
  const n = Math.max(1, Math.min(workers, rows));
  return Array.from({ length: n }, (_, i) => Math.floor(rows / n) + (i < rows % n ? 1 : 0));
};

/** A pool of gradient workers. */
export interface GradientPool {
  readonly workers: number;
  /** the backend each worker runs */
  readonly backend: string;
  /** the update's gradients, computed on the workers (a `GradientSource` for `trainStep`) */
  readonly gradients: <C, P extends Params, B>(
    state: TrainState<C, P, B>,
    batch: B,
    context: { readonly seed: number; readonly step: number },
  ) => Promise<Gradients>;
  /** stops the workers */
  readonly close: () => void;
}

/** How {@link gradientPool} starts its workers. */
export interface GradientPoolOptions {
  /**
   * The worker module (default `lib/train/gradient_worker.ts`). A bundled program, which cannot
   * import the library's modules by URL, bundles its own worker calling `serveGradients` with the
   * model records it needs, and passes that bundle's URL here.
   */
  readonly worker?: string | URL;
}

/** One worker and a way to ask it something. */
const spawn = (url: string) => {
  const worker = new Worker(url, { type: "module" });
  let pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | undefined;
  worker.onmessage = (e: MessageEvent<WorkerReply>) => {
    const p = pending;
    pending = undefined;
    if (e.data.type === "error") p?.reject(new Error(`gradient worker: ${e.data.message}`));
    else p?.resolve(e.data);
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    const p = pending;
    pending = undefined;
    p?.reject(new Error(`gradient worker failed: ${e.message}`));
  };
  const ask = (request: WorkerRequest, transfer: Transferable[] = []) =>
    new Promise<WorkerReply>((resolve, reject) => {
      pending = { resolve, reject };
      worker.postMessage(request, transfer);
    });
  return { ask, terminate: () => worker.terminate() };
};

/**
 * Starts `workers` module workers on `backend` (default wasm), each building the model `model`
 * names with `config`. Use its `gradients` as `trainStep`'s source; `close` it when done.
 *
 * @example
 * ```ts
 * import { gradientPool, initState, trainStep } from "@hamiltonian/hgn/train";
 * import { hnn, hnnConfig } from "@hamiltonian/hgn/models/hnn";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const config = { ...hnnConfig(1), hidden: 8 };
 * const pool = await gradientPool(
 *   { module: import.meta.resolve("@hamiltonian/hgn/models/hnn"), name: "hnn" },
 *   config,
 *   2,
 *   "cpu",
 * );
 * try {
 *   const s = initState(hnn, config, { learningRate: 1e-2, seed: 0 });
 *   const batch = { states: tf.tensor2d([[1, 0], [0, 1]]), rates: tf.tensor2d([[0, -1], [1, 0]]) };
 *   ok(Number.isFinite((await trainStep(s, batch, pool.gradients)).loss));
 * } finally {
 *   pool.close();
 * }
 * ```
 */
export const gradientPool = async (
  model: ModelRef,
  config: unknown,
  workers: number,
  backend = "wasm",
  options: GradientPoolOptions = {},
): Promise<GradientPool> => {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`a gradient pool needs an integer number of workers >= 1, got ${workers}`);
  }
  const url = `${options.worker ?? new URL("./gradient_worker.ts", import.meta.url)}`;
  const pool = Array.from({ length: workers }, () => spawn(url));
  let ready: WorkerReply[];
  try {
    ready = await Promise.all(
      pool.map((w) => w.ask({ type: "init", model, config, backend })),
    );
  } catch (e) {
    pool.forEach((w) => w.terminate());
    throw e;
  }
  const gradients = async <C, P extends Params, B>(
    state: TrainState<C, P, B>,
    batch: B,
    context: { readonly seed: number; readonly step: number },
  ): Promise<Gradients> => {
    const named = flattenWithPaths(state.params);
    const params = await Promise.all(named.map(async ([, t]) => (await t.data()) as Float32Array));
    const { tree, rows } = await toWire(batch);
    const sizes = tree === null ? [1] : sliceSizes(rows, workers);
    let from = 0;
    const replies = await Promise.all(sizes.map((n, i) => {
      const slice = sliceTree(tree, from, n);
      from += n;
      return pool[i].ask({ type: "step", params, batch: slice, context });
    }));
    // Weighted by slice size, summed in worker order, in float64: a pure function of the slices.
    const total = sizes.reduce((a, b) => a + b, 0);
    const weights = sizes.map((n) => n / total);
    const results = replies as Extract<WorkerReply, { type: "result" }>[];
    const loss = results.reduce((a, r, i) => a + weights[i] * r.loss, 0);
    const metrics: Record<string, number> = {};
    for (const k of Object.keys(results[0].metrics)) {
      metrics[k] = results.reduce((a, r, i) => a + weights[i] * r.metrics[k], 0);
    }
    const grads = new Map<string, tf.Tensor>();
    named.forEach(([path, t], j) => {
      if (results[0].grads[j] === null) return;
      const sum = new Float64Array(t.size);
      results.forEach((r, i) => {
        const g = r.grads[j]!;
        for (let k = 0; k < sum.length; k++) sum[k] += weights[i] * g[k];
      });
      grads.set(path, tf.tensor(Float32Array.from(sum), t.shape));
    });
    return { loss, metrics, grads };
  };
  return {
    workers,
    backend: (ready[0] as { backend: string }).backend,
    gradients,
    close: () => pool.forEach((w) => w.terminate()),
  };
};
