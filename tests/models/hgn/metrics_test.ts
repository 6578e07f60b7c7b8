// Evaluation metrics: the paper's VPT error (per-frame MSE over the ground-truth frame's mean
// squared pixel, as in the co-authors' reference code) and the static-baseline ratio, both
// checked against float64 arithmetic done here from the same frames and the model's output.
import {
  applyHgn,
  evaluateBatch,
  type HgnConfig,
  initHgn,
  validPredictionFrames,
} from "@hamiltonian/hgn/models/hgn";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { TINY } from "./_tiny.ts";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";

await useBackend("cpu");

const CONFIG: HgnConfig = { ...TINY, rolloutSteps: 2 };

/** float32 relative agreement (both sides start from the same float32 pixels) */
const close = (got: number, want: number, what: string) =>
  ok(Math.abs(got - want) <= 1e-4 * Math.abs(want) + 1e-9, `${what}: ${got} vs ${want}`);

Deno.test("metrics: vptNormalisedMse is mean((x - x̂)^2) / mean(x^2) per frame", async () => {
  const B = 2, T = CONFIG.rolloutSteps + 1, S = CONFIG.size, P = S * S * 3;
  // Hand-made frames: dark background with a bright square that moves, different per sequence;
  // sequence 1's last frame is twice as bright, so the two normalisations differ.
  const px = new Float32Array(B * T * P);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const inside = x >= 4 + 3 * t + b && x < 10 + 3 * t + b && y >= 8 && y < 14 + b;
          const v = inside ? (b === 1 && t === T - 1 ? 1 : 0.5) : 0.0625 * (1 + ((x + y) % 2));
          for (let c = 0; c < 3; c++) {
            px[((b * T + t) * S * S + y * S + x) * 3 + c] = v * (c + 1) / 3;
          }
        }
      }
    }
  }
  const frames = tf.tensor5d(px, [B, T, S, S, 3]);
  const params = initHgn(CONFIG, 0);
  const predicted = tf.tidy(() =>
    applyHgn(CONFIG, params, frames, { seed: 0, sample: false, steps: CONFIG.rolloutSteps }).frames
  );
  const xHat = await predicted.data() as Float32Array;
  predicted.dispose();

  const before = tf.memory().numTensors;
  const m = await evaluateBatch(CONFIG, params, frames);
  strictEqual(tf.memory().numTensors, before, "evaluateBatch leaves no tensors behind");
  frames.dispose();

  strictEqual(m.vptNormalisedMse.length, B);
  strictEqual(m.staticNormalisedMse.length, B);
  ok(!("normalisedMse" in m), "the ambiguous old field is gone");
  for (let b = 0; b < B; b++) {
    // static baseline: the sequence's mean frame, in float64
    const meanFrame = new Float64Array(P);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < P; i++) meanFrame[i] += px[(b * T + t) * P + i] / T;
    }
    let staticMse = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < P; i++) staticMse += (px[(b * T + t) * P + i] - meanFrame[i]) ** 2;
    }
    staticMse /= T * P;
    close(m.staticMse[b], staticMse, `staticMse[${b}]`);
    strictEqual(m.vptNormalisedMse[b].length, T);
    for (let t = 0; t < T; t++) {
      let se = 0, power = 0;
      for (let i = 0; i < P; i++) {
        const x = px[(b * T + t) * P + i];
        se += (x - xHat[(b * T + t) * P + i]) ** 2;
        power += x * x;
      }
      const mse = se / P;
      close(m.perStepMse[b][t], mse, `perStepMse[${b}][${t}]`);
      close(m.vptNormalisedMse[b][t], mse / (power / P), `vptNormalisedMse[${b}][${t}]`);
      close(m.staticNormalisedMse[b][t], mse / staticMse, `staticNormalisedMse[${b}][${t}]`);
    }
  }
  // the two are different quantities on this case (different denominators)
  ok(Math.abs(m.vptNormalisedMse[1][T - 1] - m.staticNormalisedMse[1][T - 1]) > 1e-3);
});

Deno.test("metrics: VPT counts frames before the first error above 0.025", () => {
  strictEqual(validPredictionFrames([0, 0.025, 0.0251, 0]), 2);
  strictEqual(validPredictionFrames([0.03, 0, 0]), 0);
  strictEqual(validPredictionFrames([0.01, 0.02]), 2);
  strictEqual(validPredictionFrames([0.01, 0.2], 0.5), 2);
  deepStrictEqual([validPredictionFrames([])], [0]);
});
