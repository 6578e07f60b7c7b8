// Checkpoint records: a state read back and rebuilt is the same state (weights, every group's
// Adam moments and counts, the step), so the next update is bit for bit the one the original
// takes; the fingerprint ignores key order and nothing else; a record that does not fit the
// model or the configuration is refused with a message that says why.
import { deepStrictEqual, notStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  CheckpointMismatchError,
  constrained,
  fingerprint,
  initState,
  type Model,
  restoreState,
  stateRecord,
  trainStep,
} from "@hamiltonian/hgn/train";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { paramValues } from "../_params.ts";

await useBackend("cpu");

type P = { w: tf.Tensor1D; unused: tf.Tensor1D };
const line: Model<{ width: number }, P, null> = {
  name: "line",
  init: (c, seed) => ({
    w: tf.randomNormal([c.width], 0, 1, "float32", seed) as tf.Tensor1D,
    unused: tf.zeros([1]) as tf.Tensor1D,
  }),
  loss: (_, p) => ({
    loss: tf.sum(tf.square(tf.sub(p.w, 1))) as tf.Scalar,
    constraint: tf.mean(tf.square(p.w)) as tf.Scalar,
    metrics: {},
  }),
};
const config = { width: 3, geco: { tolerance: 0.5, init: 1, learningRate: 0.1 } };
const options = { learningRate: 0.05, seed: 7 };
const model = constrained(line);

Deno.test("checkpoint: a restored state takes the very update the original takes", async () => {
  const s = initState(model, config, options);
  for (let i = 0; i < 3; i++) await trainStep(s, null);
  const record = await stateRecord(s);
  strictEqual(record.meta.step, 3);
  deepStrictEqual(record.meta.optimizers, { "geco/": 3, "": 3 });
  // the slot of a parameter that never had a gradient is not saved
  strictEqual(
    record.tensors.some((t) => t.name.startsWith("adam/") && t.name.endsWith("/unused")),
    false,
  );
  const r = restoreState(model, record, { config, options });
  strictEqual(r.step, 3);
  deepStrictEqual(await paramValues(r.params), await paramValues(s.params));
  const [a, b] = [await trainStep(s, null), await trainStep(r, null)];
  deepStrictEqual(a, b);
  deepStrictEqual(await paramValues(r.params), await paramValues(s.params));
});

Deno.test("checkpoint: the fingerprint sees every value, never the key order", () => {
  strictEqual(
    fingerprint("m", { a: 1, b: [1, { c: 2, d: 3 }] }, options),
    fingerprint("m", { b: [1, { d: 3, c: 2 }], a: 1 }, options),
  );
  notStrictEqual(fingerprint("m", { a: 1 }, options), fingerprint("n", { a: 1 }, options));
  notStrictEqual(
    fingerprint("m", { a: 1 }, options),
    fingerprint("m", { a: 1 }, { ...options, seed: 8 }),
  );
  notStrictEqual(
    fingerprint("m", { a: [1, 2] }, options),
    fingerprint("m", { a: [2, 1] }, options),
  );
  strictEqual(fingerprint("m", {}, options).length, 16);
});

Deno.test("checkpoint: another model, another config, an edited record, a missing or misshapen tensor", async () => {
  const record = await stateRecord(initState(model, config, options));
  throws(() => restoreState(line as never, record), /holds a 'line\+geco' model, not 'line'/);
  throws(
    () => restoreState(model, record, { config: { ...config, width: 4 }, options }),
    /another configuration/,
  );
  throws(
    () => restoreState(model, record, { config, options: { ...options, seed: 8 } }),
    /another configuration/,
  );
  const edited = { ...record, meta: { ...record.meta, config: { ...config, width: 4 } } };
  throws(() => restoreState(model, edited), /does not match its own config/);
  const missing = { ...record, tensors: record.tensors.filter((t) => t.name !== "param/w") };
  throws(() => restoreState(model, missing), /missing tensor 'param\/w'/);
  const misshapen = {
    ...record,
    tensors: record.tensors.map((t) => t.name === "param/w" ? { ...t, shape: [1, 3] } : t),
  };
  throws(
    () => restoreState(model, misshapen),
    (e: Error) =>
      e instanceof CheckpointMismatchError &&
      /shape \[1,3\], the model needs \[3\]/.test(e.message),
  );
});
