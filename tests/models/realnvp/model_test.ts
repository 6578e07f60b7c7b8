// RealNVP: exact inverse, the carried log-det against a finite-difference Jacobian, the
// likelihood normalised, and training through the shared stack (short run, resume bit for bit).
import {
  coupling,
  initRealNvp,
  realNvp,
  REALNVP_2D,
  realNvpFlow,
  realNvpLogLikelihood,
} from "@hamiltonian/hgn/models/realnvp";
import { targets } from "@hamiltonian/hgn/data";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { disposeState, fit, initState, targetBatches } from "@hamiltonian/hgn/train";
import { ok } from "node:assert/strict";

await useBackend("cpu");

const SMALL = { ...REALNVP_2D, hidden: 16 };

Deno.test("realnvp: forward then inverse returns the input; inverse log-det is minus forward's", async () => {
  for (const layers of [2, 3]) {
    const config = { ...SMALL, layers };
    const f = realNvpFlow(config, initRealNvp(config, 2));
    const x = tf.randomNormal([64, 2], 0, 2, "float32", 4);
    const out = f.forward(x);
    const back = f.inverse(out.value);
    const err = (await tf.max(tf.abs(tf.sub(back.value, x))).data())[0];
    ok(err < 1e-4, `${layers} layers: ${err}`);
    const sum = await tf.max(tf.abs(tf.add(out.logDet as tf.Tensor, back.logDet as tf.Tensor)))
      .data();
    ok(sum[0] < 1e-5);
  }
});

Deno.test("realnvp: a coupling's carried log-det matches its finite-difference Jacobian", async () => {
  const params = initRealNvp(SMALL, 6);
  for (const layer of [0, 1]) {
    const c = coupling(SMALL, params, layer);
    for (const point of [[0.3, -0.8], [-1.2, 1.7], [2, 0.1]]) {
      const at = (x: number[]) => Array.from(c.forward(tf.tensor2d([x])).value.dataSync());
      const h = 1e-2;
      const J = [0, 1].map((j) => {
        const plus = point.slice();
        const minus = point.slice();
        plus[j] += h;
        minus[j] -= h;
        const a = at(plus);
        const b = at(minus);
        return [0, 1].map((i) => (a[i] - b[i]) / (2 * h));
      });
      const fd = Math.log(Math.abs(J[0][0] * J[1][1] - J[0][1] * J[1][0]));
      const carried = (await (c.forward(tf.tensor2d([point])).logDet as tf.Tensor).data())[0];
      ok(Math.abs(fd - carried) < 2e-3, `layer ${layer} at ${point}: ${fd} vs ${carried}`);
    }
  }
});

Deno.test("realnvp: the likelihood integrates to 1 on a grid", async () => {
  const params = initRealNvp(SMALL, 8);
  const h = 0.05;
  const xs: number[] = [];
  for (let a = -8 + h / 2; a < 8; a += h) for (let b = -8 + h / 2; b < 8; b += h) xs.push(a, b);
  const ll = await realNvpLogLikelihood(SMALL, params, tf.tensor2d(xs, [xs.length / 2, 2])).data();
  const total = Array.from(ll).reduce((s, v) => s + Math.exp(v) * h * h, 0);
  ok(Math.abs(total - 1) < 5e-3, `${total}`);
});

// (resume bit for bit: tests/models/records_test.ts, for every record)
Deno.test("realnvp: a short run raises the likelihood", async () => {
  const options = { learningRate: 3e-3, seed: 1 };
  const source = targetBatches(targets.moons, { seed: 2, batchSize: 64 });
  const straight = initState(realNvp, SMALL, options);
  const ll: number[] = [];
  await fit(straight, source, { steps: 40, onStep: (m) => void ll.push(m.logLikelihood) });
  ok(ll.slice(-5).reduce((a, b) => a + b) > ll.slice(0, 5).reduce((a, b) => a + b), `${ll}`);
  disposeState(straight);
});
