// Pixels to tensors and the one scorer every pixel model shares: toBatch keeps the first frames of
// each byte sequence as floats in [0, 1]; scorePredictions gives each of its numbers as the
// float64 formulas written out (per-frame MSE, the static predictor, energy variance, the VPT and
// static normalisations), with no NaN for an all-black or constant sequence; bad shapes are one
// RangeError. On cpu and wasm.
import { deepStrictEqual, ok, rejects, throws } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import { scorePredictions, toBatch } from "../../lib/tensor/frames.ts";
import { onBackend, testBackends } from "./_numeric.ts";

const close = (a: number, b: number, rel = 2e-5) =>
  Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-9);

/** Seeded floats in [0, 1), rounded to float32. */
const draws = (n: number, seed: number) => {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return out;
};

for (const backend of testBackends) {
  Deno.test({
    name: `frames [${backend.name}]: toBatch keeps the first frames, each byte / 255`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const size = 3, per = size * size * 3;
      const seqs = [0, 1].map((b) =>
        Uint8Array.from({ length: 4 * per }, (_, i) => (i * 7 + b * 31) % 256)
      );
      const t = toBatch(seqs, 2, size);
      deepStrictEqual(t.shape, [2, 2, size, size, 3]);
      const v = await t.data();
      for (let b = 0; b < 2; b++) {
        for (let i = 0; i < 2 * per; i++) ok(v[b * 2 * per + i] === Math.fround(seqs[b][i] / 255));
      }
      throws(() => toBatch([new Uint8Array(per)], 2, size), /sequence 0 has 27 bytes, needs 54/);
    },
  });

  Deno.test({
    name:
      `frames [${backend.name}]: scorePredictions is each float64 formula; no NaN on black or constant frames`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const [B, T, S] = [3, 5, 3], per = S * S * 3;
      const truth = draws(B * T * per, 1), guess = draws(B * T * per, 2), energy = draws(B * T, 3);
      truth.fill(0, 0, per); // sequence 0's first frame is black
      truth.fill(0.5, T * per, 2 * T * per); // sequence 1 is constant
      const s = await scorePredictions(
        tf.tensor5d(truth, [B, T, S, S, 3]),
        tf.tensor5d(guess, [B, T, S, S, 3]),
        tf.tensor2d(energy, [B, T]),
      );
      for (let b = 0; b < B; b++) {
        const mean = new Float64Array(per);
        for (let t = 0; t < T; t++) {
          for (let i = 0; i < per; i++) mean[i] += truth[(b * T + t) * per + i] / T;
        }
        let staticSum = 0;
        const e = Array.from(energy.subarray(b * T, (b + 1) * T));
        const eMean = e.reduce((p, q) => p + q, 0) / T;
        const stat: number[] = [];
        for (let t = 0; t < T; t++) {
          let mse = 0, st = 0, power = 0;
          for (let i = 0; i < per; i++) {
            const x = truth[(b * T + t) * per + i];
            mse += (guess[(b * T + t) * per + i] - x) ** 2 / per;
            st += (x - mean[i]) ** 2 / per;
            power += (x * x) / per;
          }
          stat.push(st);
          staticSum += st / T;
          ok(close(s.perStepMse[b][t], mse), `mse ${b} ${t}`);
          ok(close(s.staticPerStepMse[b][t], st), `static ${b} ${t}`);
          ok(close(s.vptNormalisedMse[b][t], mse / Math.max(power, 1e-12)), `vpt ${b} ${t}`);
        }
        ok(close(s.staticMse[b], staticSum), `static mean ${b}`);
        const variance = e.reduce((p, q) => p + (q - eMean) ** 2, 0) / T;
        ok(close(s.energyVariance[b], variance, 1e-4), `energy ${b}`);
        for (let t = 0; t < T; t++) {
          ok(
            close(
              s.staticNormalisedMse[b][t],
              s.perStepMse[b][t] / Math.max(s.staticMse[b], 1e-12),
            ),
          );
        }
      }
      ok([s.vptNormalisedMse, s.staticNormalisedMse].flat(2).every(Number.isFinite));
      await rejects(
        () =>
          scorePredictions(
            tf.zeros([1, 2, 2, 2, 3]) as tf.Tensor5D,
            tf.zeros([1, 3, 2, 2, 3]) as tf.Tensor5D,
            tf.zeros([1, 2]) as tf.Tensor2D,
          ),
        /scores need predictions \[1,2,2,2,3\] and energies \[1, 2\]/,
      );
    },
  });
}
