// HGN through the generic training stack: initState, trainStep, the GECO wrapper, checkpoints.
import {
  constrained,
  disposeState,
  initState,
  NonFiniteLossError,
  restoreState,
  stateRecord,
  trainStep,
} from "@hamiltonian/hgn/train";
import { hgn, hgnLoss, type HgnObjectiveConfig } from "@hamiltonian/hgn/models/hgn";
import { decodeCheckpoint, encodeCheckpoint } from "@hamiltonian/hgn/io";
import { flattenWithPaths, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { deepStrictEqual, ok, rejects } from "node:assert/strict";
import { TINY } from "../models/hgn/_tiny.ts";

await useBackend("cpu");

const OPTIONS = { learningRate: 3e-3, seed: 4 };
const CONFIG: HgnObjectiveConfig = { model: TINY };
const GECO = { tolerance: 1e-3, init: 1, learningRate: 1e-2 };

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

const snapshot = (params: object) =>
  Promise.all(
    flattenWithPaths(params).map(async ([n, v]) => [n, Array.from(await v.data())] as const),
  );

/** Encodes and decodes a state's checkpoint record, as a resume does. */
const roundTrip = async <C, P extends object, B>(
  model: Parameters<typeof restoreState<C, P, B>>[0],
  state: Parameters<typeof stateRecord<C, P, B>>[0],
) =>
  restoreState(model, decodeCheckpoint("mem", encodeCheckpoint(await stateRecord(state))) as never);

Deno.test("train: 20 updates on a fixed batch lower the loss; the tensor count stays flat", async () => {
  const state = initState(hgn, CONFIG, OPTIONS);
  const b = batch();
  const first = await trainStep(state, b);
  const count = tf.memory().numTensors;
  let last = first;
  for (let i = 1; i < 20; i++) last = await trainStep(state, b);
  deepStrictEqual(tf.memory().numTensors, count);
  ok(last.mse < 0.5 * first.mse, `mse ${first.mse} -> ${last.mse}`);
  ok(Number.isFinite(last.gradNorm) && last.gradNorm > 0);
  b.dispose();
  disposeState(state);
});

Deno.test("train: a curriculum trains on rollouts growing to the full length, and checkpoints keep it", async () => {
  const config = { ...CONFIG, curriculum: { from: 1, hold: 1, grow: 2 } };
  const b = batch();
  const fresh = initState(hgn, config, OPTIONS);
  const expected = tf.tidy(() =>
    hgnLoss({ model: { ...TINY, rolloutSteps: 1 } }, fresh.params, b, { seed: 0, step: 0 }).metrics
      .mse.dataSync()[0]
  );
  const withSeed = tf.tidy(() =>
    hgnLoss(config, fresh.params, b, { seed: 0, step: 0 }).metrics.mse.dataSync()[0]
  );
  ok(Math.abs(withSeed - expected) <= 1e-6 * expected, `${withSeed} vs ${expected}`);
  const first = await trainStep(fresh, b);
  deepStrictEqual(first.rolloutSteps, 1);
  const resumed = await roundTrip(hgn, fresh);
  deepStrictEqual(resumed.config.curriculum, config.curriculum);
  const lengths = [];
  for (let i = 0; i < 3; i++) lengths.push((await trainStep(resumed, b)).rolloutSteps);
  deepStrictEqual(lengths, [1, 2, 3]);
  b.dispose();
  disposeState(fresh);
  disposeState(resumed);
});

Deno.test("train: a KL warm-up weighs the stochastic variant's KL 0, then linearly up to 1, and checkpoints keep it", async () => {
  const model = { ...TINY, deterministic: false };
  const config = { model, klWarmup: { hold: 2, grow: 4 }, geco: GECO };
  const b = batch();
  const fresh = initState(constrained(hgn), config, OPTIONS);
  // the same seed draws the same posterior sample at every step, so only the weight differs
  const at = (step: number) =>
    tf.tidy(() => {
      const out = hgnLoss(config, fresh.params, b, { seed: 0, step });
      return [out.loss.dataSync()[0], out.metrics.kl.dataSync()[0]];
    });
  const weights = [0, 1, 2, 3, 4, 6, 9].map((step) => {
    const [loss, kl] = at(step);
    ok(kl > 0, `kl ${kl} at ${step}`);
    return loss / kl;
  });
  const expected = [0, 0, 0, 0.25, 0.5, 1, 1];
  ok(weights.every((w, i) => Math.abs(w - expected[i]) < 1e-6), `${weights}`);
  const resumed = await roundTrip(constrained(hgn), fresh);
  deepStrictEqual(resumed.config.klWarmup, config.klWarmup);
  b.dispose();
  disposeState(fresh);
  disposeState(resumed);
});

Deno.test("train: the variants (stochastic with GECO, no f_psi, Euler, general H) each take a finite step", async () => {
  const b = batch();
  for (
    const model of [
      { ...TINY, fpsi: false },
      { ...TINY, integrator: "euler" },
      { ...TINY, hamiltonian: "general" as const, integrator: "paperLeapfrog" },
    ]
  ) {
    const state = initState(hgn, { model }, OPTIONS);
    const m = await trainStep(state, b);
    ok(Number.isFinite(m.loss) && m.mse > 0, JSON.stringify(model));
    disposeState(state);
  }
  const geco = constrained(hgn);
  const state = initState(geco, { model: { ...TINY, deterministic: false }, geco: GECO }, OPTIONS);
  const m = await trainStep(state, b);
  ok(Number.isFinite(m.loss) && m.kl > 0 && m.lambda > 0, JSON.stringify(m));
  // lambda ascends while the MSE misses its tolerance
  const u0 = (await state.params.geco.u.data())[0];
  await trainStep(state, b);
  ok((await state.params.geco.u.data())[0] > u0);
  b.dispose();
  disposeState(state);
});

Deno.test("train: resuming from a checkpoint continues bit for bit (with the GECO multiplier)", async () => {
  const model = constrained(hgn);
  const config = { model: { ...TINY, deterministic: false }, geco: GECO };
  const b = batch();
  const straight = initState(model, config, OPTIONS);
  for (let i = 0; i < 4; i++) await trainStep(straight, b);
  const split = initState(model, config, OPTIONS);
  for (let i = 0; i < 2; i++) await trainStep(split, b);
  const resumed = await roundTrip(model, split);
  disposeState(split);
  deepStrictEqual(resumed.step, 2);
  for (let i = 0; i < 2; i++) await trainStep(resumed, b);
  deepStrictEqual(await snapshot(resumed.params), await snapshot(straight.params));
  b.dispose();
  disposeState(straight);
  disposeState(resumed);
});

Deno.test("train: a NaN loss stops the update and leaves the weights as they were", async () => {
  const state = initState(hgn, CONFIG, OPTIONS);
  const b = batch();
  await trainStep(state, b);
  const before = await snapshot(state.params);
  const poisoned = tf.mul(b, NaN) as tf.Tensor5D;
  await rejects(() => trainStep(state, poisoned), NonFiniteLossError);
  deepStrictEqual(await snapshot(state.params), before);
  deepStrictEqual(state.step, 1);
  tf.dispose([b, poisoned]);
  disposeState(state);
});
