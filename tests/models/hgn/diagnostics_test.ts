// Latent diagnostics and the long-unroll evaluation, against float64 arithmetic done here from
// the model's own pieces (encoder windows, latent rollouts, decoder) on a tiny HGN.
import {
  decode,
  encode,
  evaluate,
  type HgnConfig,
  hgnHamiltonian,
  initHgn,
  initialState,
  latentBatch,
  latentRollout,
} from "@hamiltonian/hgn/models/hgn";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { TINY } from "./_tiny.ts";
import { ok, strictEqual } from "node:assert/strict";

await useBackend("cpu");

const CONFIG: HgnConfig = { ...TINY, inputFrames: 3 };
const B = 2, STEPS = 6, T = STEPS + 1, S = CONFIG.size, P = S * S * 3;

/** float32 relative agreement (both sides from the same float32 tensors) */
const close = (got: number, want: number, what: string) =>
  ok(Math.abs(got - want) <= 2e-4 * Math.abs(want) + 1e-7, `${what}: ${got} vs ${want}`);

/** A square that moves right, one sequence per row, as float32 frames [B, T, S, S, 3]. */
const movingSquare = (): Float32Array => {
  const px = new Float32Array(B * T * P);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let y = 8 + b; y < 14 + b; y++) {
        for (let x = 2 + 3 * t; x < 8 + 3 * t; x++) {
          for (let c = 0; c < 3; c++) px[((b * T + t) * S * S + y * S + x) * 3 + c] = 0.8;
        }
      }
    }
  }
  return px;
};

const PARAMS = initHgn(CONFIG, 3);

Deno.test("latentBatch: distances, energies and the backward rollout as computed by hand", async () => {
  const px = movingSquare();
  const frames = tf.tensor5d(px, [B, T, S, S, 3]);
  const F = CONFIG.inputFrames, W = STEPS + 2 - F;
  // By hand: encode each window from its own frames, roll out from window 0, roll back from W-1.
  const windowFrames = (t: number) => {
    const out = new Float32Array(B * F * P);
    for (let b = 0; b < B; b++) {
      out.set(px.subarray((b * T + t) * P, (b * T + t + F) * P), b * F * P);
    }
    return tf.tensor5d(out, [B, F, S, S, 3]);
  };
  const h = hgnHamiltonian(CONFIG, PARAMS);
  const encoded = Array.from(
    { length: W },
    (_, t) => initialState(CONFIG, PARAMS, encode(CONFIG, PARAMS, windowFrames(t)).mean),
  );
  const fwd = latentRollout(CONFIG, PARAMS, encoded[0], CONFIG.dt, STEPS);
  const back = latentRollout(CONFIG, PARAMS, encoded[W - 1], -CONFIG.dt, W - 1);
  const arr = async (x: tf.Tensor) => Array.from(await x.data() as Float32Array);
  const D = 4 * 4 * CONFIG.stateChannels;
  const before = tf.memory().numTensors;
  const s = await latentBatch(CONFIG, PARAMS, frames, STEPS);
  strictEqual(tf.memory().numTensors, before, "latentBatch leaves no tensors behind");
  strictEqual(s.qDistance[0].length, W);
  strictEqual(s.backwardMse[0].length, W);
  for (let b = 0; b < B; b++) {
    for (const key of ["q", "p"] as const) {
      const e = await Promise.all(encoded.map((x) => arr(x[key])));
      const x = await Promise.all(fwd.states.map((st) => arr(st[key])));
      const mean = new Float64Array(D);
      for (let t = 0; t < W; t++) for (let i = 0; i < D; i++) mean[i] += e[t][b * D + i] / W;
      let spread = 0;
      for (let t = 0; t < W; t++) {
        for (let i = 0; i < D; i++) spread += (e[t][b * D + i] - mean[i]) ** 2 / W;
      }
      for (let t = 0; t < W; t++) {
        let d = 0;
        for (let i = 0; i < D; i++) d += (x[t][b * D + i] - e[t][b * D + i]) ** 2;
        const want = Math.sqrt(d) / Math.sqrt(spread);
        const got = (key === "q" ? s.qDistance : s.pDistance)[b][t];
        close(got, want, `${key} distance [${b}][${t}]`);
      }
      strictEqual((key === "q" ? s.qDistance : s.pDistance)[b][0], 0, "window 0 is the start");
    }
    const he = await Promise.all(encoded.map((x) => arr(h.energy(x))));
    const hr = await arr(fwd.energies);
    for (let t = 0; t < W; t++) close(s.encodedEnergy[b][t], he[t][b], `encoded H [${b}][${t}]`);
    for (let t = 0; t <= STEPS; t++) close(s.rolloutEnergy[b][t], hr[b * T + t], `H [${b}][${t}]`);
    for (let t = 0; t < W; t++) {
      // frame t is backward state W - 1 - t
      const img = await arr(decode(CONFIG, PARAMS, back.states[W - 1 - t].q));
      let se = 0;
      for (let i = 0; i < P; i++) se += (img[b * P + i] - px[(b * T + t) * P + i]) ** 2;
      close(s.backwardMse[b][t], se / P, `backward MSE [${b}][${t}]`);
    }
  }
  frames.dispose();
});

Deno.test("evaluate: per-step static MSE, the steps beating it and the latent report's shapes", async () => {
  const px = movingSquare();
  const bytes = Array.from({ length: B }, (_, b) => {
    const out = new Uint8Array(T * P);
    for (let i = 0; i < T * P; i++) out[i] = Math.round(px[b * T * P + i] * 255);
    return out;
  });
  const r = await evaluate(CONFIG, PARAMS, (i) => bytes[i], B, { steps: STEPS, batchSize: 1 });
  strictEqual(r.staticPerStepMse.length, T);
  for (let t = 0; t < T; t++) {
    // static: each sequence's mean frame, squared error at frame t, averaged over sequences
    let want = 0;
    for (let b = 0; b < B; b++) {
      let se = 0;
      for (let i = 0; i < P; i++) {
        let m = 0;
        for (let u = 0; u < T; u++) m += bytes[b][u * P + i] / 255 / T;
        se += (bytes[b][t * P + i] / 255 - m) ** 2;
      }
      want += se / P / B;
    }
    close(r.staticPerStepMse[t], want, `static MSE at step ${t}`);
  }
  const mean = r.staticPerStepMse.reduce((a, x) => a + x, 0) / T;
  close(r.staticMse, mean, "staticMse is the mean of the per-step static MSE");
  strictEqual(
    r.stepsBeatingStatic,
    r.perStepMse.filter((x, t) => t >= 1 && x < r.staticPerStepMse[t]).length,
  );
  const W = STEPS + 2 - CONFIG.inputFrames;
  strictEqual(r.latent.qDistance.length, W);
  strictEqual(r.latent.energyDrift.length, T);
  strictEqual(r.latent.energyDrift[0], 0, "no drift at the start");
  strictEqual(r.latent.backwardMse.length, W);
  ok(r.latent.energySpread > 0);
});
