/**
 * A module worker of a {@link gradientPool}: it loads tfjs with its own backend, builds the model
 * its pool names, and answers each update with the loss, the metrics and the gradients of its
 * slice of the batch, at the parameters the pool sends.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { tf } from "../deps/tf.ts";
import { type BackendRequest, useBackend } from "../tensor/backend.ts";
import { flattenWithPaths, mapParams, paramLeaves, type Params } from "../tensor/nn.ts";
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

let model: Model<unknown, Params, unknown> | undefined;
let config: unknown;
let params: Params | undefined;
let variables: [string, tf.Variable][] = [];

const load = async (ref: ModelRef): Promise<Model<unknown, Params, unknown>> => {
  const module = await import(ref.module);
  const base = module[ref.name] as Model<object, Params, unknown> | undefined;
  if (!base || typeof base.loss !== "function") {
    throw new TypeError(`${ref.module} exports no model record '${ref.name}'`);
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

self.onmessage = async (e: MessageEvent<WorkerRequest>) => {
  try {
    const reply = await handle(e.data);
    const transfer = reply.type === "result"
      ? reply.grads.flatMap((g) => (g ? [g.buffer as ArrayBuffer] : []))
      : [];
    self.postMessage(reply, transfer);
  } catch (err) {
    self.postMessage({ type: "error", message: (err as Error).message } satisfies WorkerReply);
  }
};
