// A training state and its update: each group steps with its own Adam (the base group at the
// decayed rate, an ascending group up), a NaN loss or gradient leaves the state untouched,
// update seeds depend on (seed, step) only, and the schedule is the cosine it says.
import { deepStrictEqual, notStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  initState,
  isFiniteState,
  learningRateFactor,
  type Model,
  NonFiniteLossError,
  stepSeed,
  trainStep,
} from "@hamiltonian/hgn/train";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { paramValues } from "../_params.ts";

await useBackend("cpu");

type P = { a: tf.Scalar; up: { b: tf.Scalar } };
/** loss = a^2 + b: a descends to 0, b (in the ascending group "up/") climbs. */
const twoGroups = (poison = false): Model<object, P, null> => ({
  name: "two",
  init: () => ({ a: tf.scalar(1), up: { b: tf.scalar(0) } }),
  loss: (_, p, __, ctx) => ({
    loss: tf.add(tf.square(p.a), poison && ctx.step === 2 ? tf.scalar(NaN) : p.up.b) as tf.Scalar,
    metrics: { twice: tf.mul(p.a, 2) as tf.Scalar },
  }),
  groups: () => [{ prefix: "up/", learningRate: 0.5, ascend: true }],
});
const value = async (t: tf.Tensor) => (await t.data())[0];

Deno.test("state: each group its own Adam: the base descends, an ascending group climbs", async () => {
  const s = initState(twoGroups(), {}, { learningRate: 0.1, seed: 0 });
  deepStrictEqual([...s.optimizers.keys()], ["up/", ""]);
  const m = await trainStep(s, null);
  strictEqual(m.step, 1);
  strictEqual(m.loss, 1);
  strictEqual(m.twice, 2);
  ok(Math.abs(m.gradNorm - Math.sqrt(4 + 1)) < 1e-6, `${m.gradNorm}`);
  // Adam's first step moves each parameter by its group's rate
  ok(Math.abs(await value(s.params.a) - 0.9) < 1e-6);
  ok(Math.abs(await value(s.params.up.b) - 0.5) < 1e-6);
  strictEqual(s.optimizers.get("")!.step, 1);
  strictEqual(s.optimizers.get("up/")!.step, 1);
});

Deno.test("state: the decay scales the base group only", async () => {
  const decay = { steps: 10, final: 0.1 };
  const s = initState(twoGroups(), {}, { learningRate: 0.1, seed: 0, decay });
  for (let i = 0; i < 10; i++) await trainStep(s, null);
  const plain = initState(twoGroups(), {}, { learningRate: 0.1, seed: 0 });
  for (let i = 0; i < 10; i++) await trainStep(plain, null);
  strictEqual(await value(s.params.up.b), await value(plain.params.up.b));
  notStrictEqual(await value(s.params.a), await value(plain.params.a));
});

Deno.test("state: a NaN loss is a NonFiniteLossError and the update is not applied", async () => {
  const s = initState(twoGroups(true), {}, { learningRate: 0.1, seed: 0 });
  await trainStep(s, null);
  await trainStep(s, null);
  const before = await paramValues(s.params);
  const tensors = tf.memory().numTensors;
  await rejects(
    trainStep(s, null),
    (e: Error) => e instanceof NonFiniteLossError && /loss became NaN at step 3/.test(e.message),
  );
  strictEqual(s.step, 2);
  deepStrictEqual(await paramValues(s.params), before);
  strictEqual(tf.memory().numTensors, tensors, "the gradients of the refused update are freed");
  strictEqual(await isFiniteState(s), true);
});

Deno.test("state: update seeds and the cosine schedule", () => {
  strictEqual(stepSeed(3, 10), stepSeed(3, 10));
  notStrictEqual(stepSeed(3, 10), stepSeed(3, 11));
  notStrictEqual(stepSeed(3, 10), stepSeed(4, 10));
  const decay = { steps: 8, final: 0.2 };
  for (const t of [0, 1, 3, 4, 7, 8, 20]) {
    const want = 0.2 + 0.8 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t / 8)));
    ok(Math.abs(learningRateFactor({ decay }, t) - want) < 1e-15, `${t}`);
  }
  strictEqual(learningRateFactor({}, 100), 1);
});
