/**
 * The module worker of a {@link gradientPool}: it loads tfjs with its own backend, builds the model
 * its pool names, and answers each update with the loss, the metrics and the gradients of its
 * slice of the batch, at the parameters the pool sends. {@link serveGradients} is the whole worker;
 * `gradient_worker.ts` calls it with no registry (models come from their module URLs), and a
 * bundled program bundles its own worker that calls it with the records it needs.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { type BackendRequest, useBackend } from "../tensor/backend.ts";
import { flattenWithPaths, mapParams, paramLeaves, type Params } from "../tensor/params.ts";
import type { Model } from "../models/model.ts";
import { constrained } from "./constrained.ts";
import { modelGradients } from "./state.ts";
import {
  fromWire,
  type ModelRef,
  type WireTree,
  type WorkerReply,
  type WorkerRequest,
} from "./parallel.ts";

/** The part of a worker's global scope the worker uses. */
interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

/** Model records by export name, for a worker that cannot import modules by URL (a bundle). */
// deno-lint-ignore no-explicit-any
export type ModelRegistry = Readonly<Record<string, Model<any, any, any>>>;

/**
 * Makes this module worker a gradient worker of a {@link gradientPool}. With `models`, a pool's
 * {@link ModelRef} is looked up there by its `name`; without, its `module` is imported.
 */
export const serveGradients = (models?: ModelRegistry): void => {
  let model: Model<unknown, Params, unknown> | undefined;
  let config: unknown;
  let params: Params | undefined;
  let variables: [string, tf.Variable][] = [];

  const load = async (ref: ModelRef): Promise<Model<unknown, Params, unknown>> => {
    const base = models
      ? models[ref.name] as Model<object, Params, unknown> | undefined
      : (await import(ref.module))[ref.name] as Model<object, Params, unknown> | undefined;
    if (!base || typeof base.loss !== "function") {
      throw new TypeError(
        `${models ? "this worker's registry" : ref.module} has no model record '${ref.name}'`,
      );
    }
    return (ref.constrained ? constrained(base) : base) as Model<unknown, Params, unknown>;
  };

  const handle = async (request: WorkerRequest): Promise<WorkerReply> => {
    if (request.type === "init") {
      await useBackend(request.backend as BackendRequest);
      model = await load(request.model);
      config = request.config;
      const fresh = model.init(config, 0);
      params = mapParams(fresh, (t, path) => tf.variable(t, true, `worker/${path}`));
      tf.dispose(paramLeaves(fresh));
      variables = flattenWithPaths(params) as [string, tf.Variable][];
      return { type: "ready", backend: tf.getBackend() };
    }
    if (!model || !params) throw new TypeError("a step before the worker was initialised");
    request.params.forEach((values, i) => {
      const [, v] = variables[i];
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    });
    const batch = fromWire(request.batch as WireTree);
    const g = await modelGradients(model, config, params, batch, request.context);
    const out: (Float32Array | null)[] = [];
    for (const [path] of variables) {
      const grad = g.grads.get(path);
      out.push(grad ? (await grad.data()) as Float32Array : null);
    }
    tf.dispose([...g.grads.values()]);
    tf.dispose(batch instanceof tf.Tensor ? [batch] : Object.values(batch ?? {}) as tf.Tensor[]);
    return { type: "result", loss: g.loss, metrics: g.metrics, grads: out };
  };

  const scope = globalThis as unknown as WorkerScope;
  scope.onmessage = async (e: MessageEvent<WorkerRequest>) => {
    try {
      const reply = await handle(e.data);
      const transfer = reply.type === "result"
        ? reply.grads.flatMap((g) => (g ? [g.buffer as ArrayBuffer] : []))
        : [];
      scope.postMessage(reply, transfer);
    } catch (err) {
      scope.postMessage({ type: "error", message: (err as Error).message } satisfies WorkerReply);
    }
  };
};
