// NHF: an exact inverse by negated dt, volume preserved, the ELBO and its importance-weighted
// bound, the priors, and training through the shared stack (a short run, resume bit for bit).
import {
  initNhf,
  logWeights,
  nhf,
  NHF_2D,
  nhfBound,
  type NhfConfig,
  nhfFlow,
  priorLogDensity,
  sampleNhf,
} from "@hamiltonian/hgn/models/nhf";
import { targets } from "@hamiltonian/hgn/data";
import { flattenWithPaths, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { disposeState, fit, initState, targetBatches, targetTensor } from "@hamiltonian/hgn/train";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";

await useBackend("cpu");

const SMALL: NhfConfig = { ...NHF_2D, hidden: 16 };

Deno.test("nhf: forward then inverse returns the input for every step count", () => {
  for (const flowSteps of [1, 2, 3]) {
    for (const leapfrogSteps of [1, 2, 3]) {
      const config = { ...SMALL, flowSteps, leapfrogSteps };
      const params = initNhf(config, 3);
      const [err, logDet] = tf.tidy(() => {
        const q = tf.randomNormal([32, 2], 0, 1.5, "float32", 1);
        const p = tf.randomNormal([32, 2], 0, 1, "float32", 2);
        const f = nhfFlow(config, params);
        const out = f.forward({ q, p });
        const back = f.inverse(out.value);
        const e = tf.maximum(
          tf.max(tf.abs(tf.sub(back.value.q, q))),
          tf.max(tf.abs(tf.sub(back.value.p, p))),
        );
        return [e.dataSync()[0], out.logDet as number];
      });
      ok(err < 1e-4, `${flowSteps} x ${leapfrogSteps}: ${err}`);
      strictEqual(logDet, 0);
      tf.dispose(flattenWithPaths(params).map(([, t]) => t));
    }
  }
});

Deno.test("nhf: the learned flow preserves volume (|det J| = 1 by autodiff Jacobian)", () => {
  const params = initNhf(SMALL, 5);
  const s = [0.4, -1.1, 0.3, 0.8];
  const J = tf.tidy(() =>
    [0, 1, 2, 3].map((i) =>
      tf.grad((x: tf.Tensor) => {
        const f = nhfFlow(SMALL, params);
        const out = f.forward({
          q: tf.reshape(tf.slice(x, [0], [2]), [1, 2]),
          p: tf.reshape(tf.slice(x, [2], [2]), [1, 2]),
        }).value;
        return tf.reshape(tf.concat([out.q, out.p], 1), [4]).gather([i]).sum();
      })(tf.tensor1d(s)).dataSync()
    )
  );
  // det of a 4x4 by Laplace expansion along row 0 (small, exact enough in float64)
  const det = (m: number[][]): number =>
    m.length === 1 ? m[0][0] : m[0].reduce(
      (a, v, j) =>
        a + (j % 2 ? -1 : 1) * v * det(m.slice(1).map((r) => r.filter((_, k) => k !== j))),
      0,
    );
  const d = det(J.map((r) => Array.from(r)));
  ok(Math.abs(d - 1) < 1e-4, `det J = ${d}`);
});

Deno.test("nhf: the soft-uniform prior integrates to 1; the Normal prior is the Normal", async () => {
  for (const [w, b] of [[6, 4], [2, 10], [4, 1]]) {
    const config = { ...SMALL, priorWidth: w, priorSharpness: b };
    const h = 0.005;
    const xs = Array.from({ length: Math.round(60 / h) }, (_, i) => -30 + (i + 0.5) * h);
    const lp = await priorLogDensity(config, tf.tensor2d(xs, [xs.length, 1])).data();
    const total = Array.from(lp).reduce((a, v) => a + Math.exp(v) * h, 0);
    ok(Math.abs(total - 1) < 1e-4, `w ${w} beta ${b}: ${total}`);
  }
  const n = await priorLogDensity({ ...SMALL, prior: "normal" }, tf.tensor2d([[1, 2]])).data();
  ok(Math.abs(n[0] - (-2.5 - Math.log(2 * Math.PI))) < 1e-5);
});

Deno.test("nhf: with an empty flow the ELBO is its analytic Gaussian value", async () => {
  const config = { ...SMALL, flowSteps: 0, prior: "normal" as const };
  const params = initNhf(config, 7);
  const q = tf.tensor2d([[0.5, -0.25]]);
  const draws = 40000;
  const w = await logWeights(config, params, q, draws, 3).data();
  const elbo = Array.from(w).reduce((a, v) => a + v, 0) / draws;
  const posterior = (net: typeof params.posterior.mu) => {
    let h = q as tf.Tensor;
    net.forEach((l, i) => {
      h = tf.add(tf.matMul(h, l.w), l.b);
      if (i < net.length - 1) h = tf.relu(h);
    });
    return Array.from(h.dataSync());
  };
  const mu = posterior(params.posterior.mu);
  const sigma = posterior(params.posterior.logStd).map(Math.exp);
  const logNq = -0.5 * (0.5 ** 2 + 0.25 ** 2) - Math.log(2 * Math.PI);
  const analytic = logNq - 0.5 * mu.reduce((a, m, i) => a + m * m + sigma[i] ** 2, 0) +
    sigma.reduce((a, s) => a + Math.log(s), 0) + 1;
  ok(Math.abs(elbo - analytic) < 0.02, `Monte Carlo ${elbo} vs analytic ${analytic}`);
});

Deno.test("nhf: the importance-weighted bound is non-decreasing in K on average", async () => {
  const params = initNhf(SMALL, 9);
  const q = targetTensor(targets.mixture, 256, 1);
  const mean = async (k: number) => {
    const b = nhfBound(SMALL, params, q, k, 11);
    const v = Array.from(await b.data()).reduce((a, x) => a + x, 0) / 256;
    b.dispose();
    return v;
  };
  const [b1, b4, b16] = [await mean(1), await mean(4), await mean(16)];
  ok(b1 <= b4 + 1e-3 && b4 <= b16 + 1e-3, `${b1} ${b4} ${b16}`);
  ok(b16 - b1 > 0.01, "the bound tightens");
});

const mixtureBatches = (batchSize: number) =>
  targetBatches(targets.mixture, { seed: 5, batchSize });

// (resume bit for bit: tests/models/records_test.ts, for every record)
Deno.test("nhf: a short run lowers the loss; samples have the data's shape", async () => {
  const options = { learningRate: 3e-3, seed: 1 };
  const straight = initState(nhf, SMALL, options);
  const losses: number[] = [];
  await fit(straight, mixtureBatches(64), { steps: 40, onStep: (m) => void losses.push(m.loss) });
  const early = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const late = losses.slice(-5).reduce((a, b) => a + b) / 5;
  ok(late < early, `loss ${early} -> ${late}`);
  deepStrictEqual(sampleNhf(SMALL, straight.params, 7, 2).shape, [7, 2]);
  disposeState(straight);
});
