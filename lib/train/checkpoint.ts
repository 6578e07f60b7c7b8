/**
 * A training state as named tensors plus a JSON meta block, and back: the one checkpoint record
 * of every model (files are `lib/io`'s, which stores such records without knowing any model).
 *
 * Tensor names: `param/<path>` for the parameters, `adam/<group>/m/<path>` and
 * `adam/<group>/v/<path>` for the optimiser's moments (group `base` for the parameters outside
 * every group). The meta block holds the model's name, its config, the training options, their
 * fingerprint, the step, each optimiser's step count and the RNG scheme (stateless: seeds derive
 * from `(seed, step)`, so the step is the whole RNG state).
 *
 * @module
 */
import { sha256Digest } from "../core/sha256.ts";
import { tf } from "../deps/tf.ts";
import { flattenWithPaths, type Params } from "../tensor/params.ts";
import type { Model } from "../models/model.ts";
import { initState, type TrainOptions, type TrainState } from "./state.ts";

/** A tensor by name, its values read back from the backend. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The meta block of a checkpoint. */
export interface CheckpointMeta {
  /** the model record's name, e.g. `"hgn+geco"` */
  readonly model: string;
  readonly config: unknown;
  readonly options: TrainOptions;
  /** {@link fingerprint} of model, config and options */
  readonly fingerprint: string;
  readonly step: number;
  /** updates each optimiser group has counted, by group prefix */
  readonly optimizers: Readonly<Record<string, number>>;
  readonly rng: { readonly scheme: "deriveSeed(seed, 0x5e9, step)"; readonly seed: number };
}

/** A checkpoint record: what `lib/io` writes and reads. */
export interface CheckpointRecord {
  readonly meta: CheckpointMeta;
  readonly tensors: readonly NamedTensor[];
}

/** JSON with every object's keys sorted: the same text for the same value. */
const canonical = (x: unknown): string =>
  JSON.stringify(
    x,
    (_, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );

/**
 * The fingerprint of a run's configuration: the first 16 hex digits of the SHA-256 of the
 * canonical JSON of `{ model, config, options }`. Key order does not matter; any value does.
 *
 * @example
 * ```ts
 * import { fingerprint } from "@hamiltonian/hgn/train";
 * import { notStrictEqual, strictEqual } from "node:assert/strict";
 * const options = { learningRate: 0.1, seed: 0 };
 * strictEqual(fingerprint("m", { a: 1, b: 2 }, options), fingerprint("m", { b: 2, a: 1 }, options));
 * notStrictEqual(fingerprint("m", { a: 1 }, options), fingerprint("m", { a: 2 }, options));
 * ```
 */
export const fingerprint = (model: string, config: unknown, options: TrainOptions): string =>
  [...sha256Digest(new TextEncoder().encode(canonical({ model, config, options })))]
    .map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);

const groupName = (prefix: string) => (prefix === "" ? "base" : prefix.replace(/\/$/, ""));

/**
 * Reads a state back from the backend into a checkpoint record.
 *
 * @example
 * ```ts
 * import { initState, stateRecord } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const m = { name: "m", init: () => ({ w: tf.ones([2]) }), loss: () => ({ loss: tf.scalar(0), metrics: {} }) };
 * const r = await stateRecord(initState(m, {}, { learningRate: 0.1, seed: 0 }));
 * strictEqual(r.meta.model, "m");
 * deepStrictEqual(r.tensors.map((t) => t.name), ["param/w"]);
 * ```
 */
export const stateRecord = async <C, P extends Params, B>(
  state: TrainState<C, P, B>,
): Promise<CheckpointRecord> => {
  const named: [string, tf.Tensor][] = flattenWithPaths(state.params).map((
    [path, t],
  ) => [`param/${path}`, t]);
  const optimizers: Record<string, number> = {};
  for (const [prefix, opt] of state.optimizers) {
    const g = groupName(prefix);
    optimizers[prefix] = opt.step;
    for (const which of ["m", "v"] as const) {
      for (const [path, t] of [...opt[which]].sort(([a], [b]) => (a < b ? -1 : 1))) {
        named.push([`adam/${g}/${which}/${path}`, t]);
      }
    }
  }
  const values = await Promise.all(named.map(([, t]) => t.data() as Promise<Float32Array>));
  return {
    meta: {
      model: state.model.name,
      config: state.config,
      options: state.options,
      fingerprint: fingerprint(state.model.name, state.config, state.options),
      step: state.step,
      optimizers,
      rng: { scheme: "deriveSeed(seed, 0x5e9, step)", seed: state.options.seed },
    },
    tensors: named.map(([name, t], i) => ({ name, shape: t.shape, values: values[i] })),
  };
};

/**
 * A checkpoint record does not fit the model or configuration it is loaded for.
 *
 * @example
 * ```ts
 * import { CheckpointMismatchError } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new CheckpointMismatchError("x").name, "CheckpointMismatchError");
 * ```
 */
export class CheckpointMismatchError extends RangeError {
  override name = "CheckpointMismatchError";
}

/**
 * Rebuilds a training state from a record, for `model` (its name must match). With `expected`,
 * the record's fingerprint must equal that of the expected config and options (e.g. the run's
 * `config.json`): a checkpoint from another configuration is a {@link CheckpointMismatchError}.
 * A missing or misshapen tensor is one too.
 *
 * @example
 * ```ts
 * import { initState, restoreState, stateRecord } from "@hamiltonian/hgn/train";
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual, throws } from "node:assert/strict";
 * await useBackend("cpu");
 * const m = { name: "m", init: () => ({ w: tf.ones([2]) }), loss: () => ({ loss: tf.scalar(0), metrics: {} }) };
 * const options = { learningRate: 0.1, seed: 0 };
 * const record = await stateRecord(initState(m, { width: 2 }, options));
 * deepStrictEqual(Array.from(await restoreState(m, record).params.w.data()), [1, 1]);
 * throws(() => restoreState(m, record, { config: { width: 3 }, options }), /another configuration/);
 * ```
 */
export const restoreState = <C, P extends Params, B>(
  model: Model<C, P, B>,
  record: CheckpointRecord,
  expected?: { readonly config: C; readonly options: TrainOptions },
): TrainState<C, P, B> => {
  const { meta } = record;
  if (meta.model !== model.name) {
    throw new CheckpointMismatchError(
      `the checkpoint holds a '${meta.model}' model, not '${model.name}'`,
    );
  }
  const own = fingerprint(meta.model, meta.config, meta.options);
  if (own !== meta.fingerprint) {
    throw new CheckpointMismatchError(
      `the checkpoint's fingerprint ${meta.fingerprint} does not match its own config (${own})`,
    );
  }
  if (expected) {
    const want = fingerprint(model.name, expected.config, expected.options);
    if (want !== meta.fingerprint) {
      throw new CheckpointMismatchError(
        `the checkpoint was written for another configuration (fingerprint ${meta.fingerprint}, the run's config.json gives ${want}): config.json was edited, or the checkpoint belongs to another run`,
      );
    }
  }
  const state = initState(model, meta.config as C, meta.options);
  const byName = new Map(record.tensors.map((t) => [t.name, t]));
  const take = (name: string, target: tf.Variable) => {
    const t = byName.get(name);
    if (!t) throw new CheckpointMismatchError(`missing tensor '${name}'`);
    if (t.shape.join("x") !== target.shape.join("x")) {
      throw new CheckpointMismatchError(
        `tensor '${name}' has shape [${t.shape}], the model needs [${target.shape}]`,
      );
    }
    target.assign(tf.tensor(t.values, target.shape));
  };
  const params = flattenWithPaths(state.params) as [string, tf.Variable][];
  for (const [path, v] of params) take(`param/${path}`, v);
  for (const [prefix, opt] of state.optimizers) {
    const g = groupName(prefix);
    for (const [path, p] of params) {
      for (const which of ["m", "v"] as const) {
        const name = `adam/${g}/${which}/${path}`;
        if (!byName.has(name)) continue; // a slot never created (its parameter had no gradient)
        const slot = tf.variable(tf.zerosLike(p), false);
        take(name, slot);
        opt[which].set(path, slot);
      }
    }
    opt.step = meta.optimizers[prefix] ?? 0;
  }
  state.step = meta.step;
  return state;
};
