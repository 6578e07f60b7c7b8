import {
  batchIndices,
  disposeTrainState,
  type HgnTrainConfig,
  initTrainState,
  NonFiniteLossError,
  trainStep,
} from "@hamiltonian/hgn/train";
import { hgnLoss, hgnVariables } from "@hamiltonian/hgn/models/hgn";
import { decodeCheckpoint, encodeCheckpoint } from "@hamiltonian/hgn/io";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { TINY } from "../models/hgn/_tiny.ts";

await useBackend("cpu");

const CONFIG: HgnTrainConfig = {
  model: TINY,
  objective: { tolerance: 1e-3 },
  batchSize: 2,
  learningRate: 3e-3,
  multiplierInit: 1,
  multiplierLearningRate: 1e-2,
  seed: 4,
  trainSize: 8,
};

/** A fixed synthetic batch: a bright square drifting right. */
const batch = () =>
  tf.tidy(() => {
    const frames = Array.from({ length: 4 }, (_, t) => {
      const img = tf.buffer([32, 32, 3]);
      for (let y = 10; y < 16; y++) {
        for (let x = 4 + 3 * t; x < 10 + 3 * t; x++) {
          for (let c = 0; c < 3; c++) img.set(0.9, y, x, c);
        }
      }
      return tf.add(img.toTensor(), 0.1);
    });
    const seq = tf.stack(frames);
    return tf.stack([seq, tf.reverse(seq, 2)]) as tf.Tensor5D;
  });

const snapshot = (state: ReturnType<typeof initTrainState>) =>
  Promise.all(
    hgnVariables(state.params).map(async ([n, v]) => [n, Array.from(await v.data())] as const),
  );

Deno.test("train: 20 updates on a fixed batch lower the loss; the tensor count stays flat", async () => {
  const state = initTrainState(CONFIG);
  const b = batch();
  const first = await trainStep(state, b);
  const count = tf.memory().numTensors;
  let last = first;
  for (let i = 1; i < 20; i++) last = await trainStep(state, b);
  deepStrictEqual(tf.memory().numTensors, count);
  ok(last.mse < 0.5 * first.mse, `mse ${first.mse} -> ${last.mse}`);
  b.dispose();
  disposeTrainState(state);
});

Deno.test("train: a curriculum trains on rollouts growing to the full length, and checkpoints keep it", async () => {
  const config = { ...CONFIG, curriculum: { from: 1, hold: 1, grow: 2 } };
  const b = batch();
  const fresh = initTrainState(config);
  const short = hgnLoss(TINY, config.objective, fresh.params, fresh.multiplier, b, {
    seed: 0,
    steps: 1,
  });
  const expected = (await short.mse.data())[0];
  tf.dispose([short.loss, short.mse, short.kl, short.lambda, short.output.frames]);
  const first = await trainStep(fresh, b);
  deepStrictEqual(first.rolloutSteps, 1);
  ok(Math.abs(first.mse - expected) <= 1e-6 * expected, `${first.mse} vs ${expected}`);
  const resumed = decodeCheckpoint("mem", await encodeCheckpoint(fresh));
  deepStrictEqual(resumed.config.curriculum, config.curriculum);
  const lengths = [];
  for (let i = 0; i < 3; i++) lengths.push((await trainStep(resumed, b)).rolloutSteps);
  deepStrictEqual(lengths, [1, 2, 3]);
  b.dispose();
  disposeTrainState(fresh);
  disposeTrainState(resumed);
});

Deno.test("train: the variants (deterministic, no f_psi, Euler, general H) each take a finite step", async () => {
  const b = batch();
  for (
    const model of [
      { ...TINY, deterministic: true },
      { ...TINY, fpsi: false },
      { ...TINY, integrator: "euler" },
      { ...TINY, hamiltonian: "general" as const, integrator: "paperLeapfrog" },
    ]
  ) {
    const state = initTrainState({ ...CONFIG, model });
    const m = await trainStep(state, b);
    ok(Number.isFinite(m.loss) && m.mse > 0, JSON.stringify(model));
    disposeTrainState(state);
  }
  b.dispose();
});

Deno.test("train: resuming from a checkpoint continues bit for bit", async () => {
  const b = batch();
  const straight = initTrainState(CONFIG);
  for (let i = 0; i < 4; i++) await trainStep(straight, b);
  const split = initTrainState(CONFIG);
  for (let i = 0; i < 2; i++) await trainStep(split, b);
  const resumed = decodeCheckpoint("mem", await encodeCheckpoint(split));
  disposeTrainState(split);
  deepStrictEqual(resumed.step, 2);
  for (let i = 0; i < 2; i++) await trainStep(resumed, b);
  deepStrictEqual(await snapshot(resumed), await snapshot(straight));
  deepStrictEqual(await resumed.multiplier.data(), await straight.multiplier.data());
  b.dispose();
  disposeTrainState(straight);
  disposeTrainState(resumed);
});

Deno.test("train: a NaN loss stops the update and leaves the weights as they were", async () => {
  const state = initTrainState(CONFIG);
  const b = batch();
  await trainStep(state, b);
  const [, w] = hgnVariables(state.params).find(([n]) => n === "decoder/0/w")!;
  const before = await snapshot(state);
  const poisoned = tf.mul(b, NaN) as tf.Tensor5D;
  await rejects(() => trainStep(state, poisoned), NonFiniteLossError);
  deepStrictEqual(await snapshot(state), before);
  ok((await w.data()).every(Number.isFinite));
  deepStrictEqual(state.step, 1);
  tf.dispose([b, poisoned]);
  disposeTrainState(state);
});

Deno.test("train: batch order is a seeded shuffle per epoch, covering every index once per epoch", () => {
  const seen = [0, 1, 2, 3].flatMap((step) => batchIndices(9, 8, 2, step));
  deepStrictEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  deepStrictEqual(batchIndices(9, 8, 2, 5), batchIndices(9, 8, 2, 5));
});
