// HNN on states: shapes, the loss of eq. 1 falls, it recovers the mass-spring Hamiltonian up to
// scale and offset from clean states, and rollouts follow the truth (resume: tests/models/records_test.ts).
import {
  hnn,
  type HnnConfig,
  hnnConfig,
  hnnEnergy,
  hnnField,
  hnnRollout,
  initHnn,
} from "@hamiltonian/hgn/models/hnn";
import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
import { phase, random } from "@hamiltonian/hgn/core";
import { massSpring } from "@hamiltonian/hgn/systems";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { disposeState, fit, initState, stateRates } from "@hamiltonian/hgn/train";
import { deepStrictEqual, ok } from "node:assert/strict";

await useBackend("cpu");

const SMALL: HnnConfig = { ...hnnConfig(1), hidden: 32 };
const reader = generatedReader(
  generator(datasetSpec({ system: "mass-spring", steps: 30, size: 8, noiseMode: "none" })),
  { train: 64, test: 0 },
);
const batches = () => stateRates(reader, { seed: 3, batchSize: 64 });

Deno.test("hnn: the field is (dH/dp, -dH/dq) of the network's energy", () => {
  const c = { ...hnnConfig(2), hidden: 8 };
  const params = initHnn(c, 1);
  const s = tf.randomNormal([5, 4], 0, 1, "float32", 2);
  const field = hnnField(c, params, s);
  const grad = tf.grad((x: tf.Tensor) => tf.sum(hnnEnergy(c, params, x)))(s);
  const [dq, dp] = tf.split(grad, 2, 1);
  const expected = tf.concat([dp, tf.neg(dq)], 1);
  ok(tf.max(tf.abs(tf.sub(field, expected))).arraySync() as number < 1e-6);
  deepStrictEqual(hnnRollout(c, params, s as tf.Tensor2D, { dt: 0.1, steps: 2 }).shape, [5, 3, 4]);
  tf.dispose([s, field, grad, dq, dp, expected]);
});

Deno.test("hnn: recovers the mass-spring Hamiltonian up to scale and offset, and rolls out near the truth", async () => {
  const state = initState(hnn, SMALL, { learningRate: 1e-2, seed: 0 });
  const losses: number[] = [];
  await fit(state, batches(), { steps: 400, onStep: (m) => void losses.push(m.loss) });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
  ok(
    mean(losses.slice(-20)) < 0.02 * mean(losses.slice(0, 20)),
    `${losses[0]} -> ${losses.at(-1)}`,
  );
  // the learned energy against the true one on fresh states of the training range
  const system = massSpring();
  const rng = random(11);
  const n = 200;
  const xs = new Float32Array(2 * n);
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = system.sample(rng);
    xs[2 * i] = s.q[0];
    xs[2 * i + 1] = s.p[0];
    truth.push(system.hamiltonian.energy(phase(s.q, s.p)));
  }
  const states = tf.tensor2d(xs, [n, 2]);
  const learned = Array.from(await hnnEnergy(SMALL, state.params, states).data());
  // least squares learned = a truth + b, and its R^2
  const [mt, ml] = [mean(truth), mean(learned)];
  const cov = mean(truth.map((t, i) => (t - mt) * (learned[i] - ml)));
  const a = cov / mean(truth.map((t) => (t - mt) ** 2));
  const residual = mean(learned.map((l, i) => (l - ml - a * (truth[i] - mt)) ** 2));
  const r2 = 1 - residual / mean(learned.map((l) => (l - ml) ** 2));
  ok(r2 > 0.99, `R^2 ${r2}, scale ${a}`);
  // the symplectic gradient fixes the scale: dH/dp = dq/dt exactly, so a = 1
  ok(Math.abs(a - 1) < 0.1, `scale ${a}`);
  // a 30-step RK4 rollout from a training start stays near the ground truth
  const example = generator(reader.spec).example("train", 0);
  const s0 = tf.tensor2d(Float32Array.from(example.states.subarray(0, 2)), [1, 2]);
  const path = await hnnRollout(SMALL, state.params, s0, { dt: reader.spec.dt, steps: 30 }).data();
  let worst = 0;
  for (let i = 0; i < path.length; i++) {
    worst = Math.max(worst, Math.abs(path[i] - example.states[i]));
  }
  ok(worst < 0.1, `largest state error over 30 steps ${worst}`);
  tf.dispose([states, s0]);
  disposeState(state);
});
