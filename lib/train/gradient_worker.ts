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
import {
  fromWire,
  type ModelRef,
  type WireTree,
  type WorkerReply,
  type WorkerRequest,
} from "./parallel.ts";

let model: Model<unknown, Params, unknown> | undefined;
let config: unknown;
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
    const params = mapParams(fresh, (t, path) => tf.variable(t, true, `worker/${path}`));
    tf.dispose(paramLeaves(fresh));
    variables = flattenWithPaths(params) as [string, tf.Variable][];
    (globalThis as { params?: Params }).params = params;
    return { type: "ready", backend: tf.getBackend() };
  }
  if (!model) throw new TypeError("a step before the worker was initialised");
  const params = (globalThis as { params?: Params }).params!;
  request.params.forEach((values, i) => {
    const [, v] = variables[i];
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  });
  const batch = fromWire(request.batch as WireTree);
  let names: string[] = [];
  let kept: tf.Scalar[] = [];
  const m = model;
  const { value, grads } = tf.variableGrads(() => {
    const out = m.loss(config, params, batch, request.context);
    names = Object.keys(out.metrics);
    kept = names.map((k) => tf.keep(out.metrics[k]));
    return out.loss;
  }, variables.map(([, v]) => v));
  const [loss, ...values] = await Promise.all(
    [value, ...kept].map(async (t) => (await t.data())[0]),
  );
  const metrics: Record<string, number> = {};
  names.forEach((k, i) => (metrics[k] = values[i]));
  const out: (Float32Array | null)[] = [];
  for (const [, v] of variables) {
    out.push(grads[v.name] ? (await grads[v.name].data()) as Float32Array : null);
  }
  tf.dispose([value, ...kept, ...Object.values(grads)]);
  tf.dispose(batch instanceof tf.Tensor ? [batch] : Object.values(batch ?? {}) as tf.Tensor[]);
  return { type: "result", loss, metrics, grads: out };
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
