// Data-parallel updates: a pool of workers gives the single-process update up to float32 rounding
// for any number of workers, bit for bit for a fixed number (also across a resume), and the
// stochastic HGN under GECO trains on it.
import {
  disposeState,
  gradientPool,
  initState,
  restoreState,
  sliceSizes,
  stateRecord,
  trainStep,
} from "@hamiltonian/hgn/train";
import type { HgnObjectiveConfig } from "@hamiltonian/hgn/models/hgn";
import { hgn } from "@hamiltonian/hgn/models/hgn";
import { decodeCheckpoint, encodeCheckpoint } from "@hamiltonian/hgn/io";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { TINY } from "../models/hgn/_tiny.ts";
import { paramValues } from "../_params.ts";

await useBackend("cpu");

const HGN = { module: import.meta.resolve("@hamiltonian/hgn/models/hgn"), name: "hgn" };
const CONFIG: HgnObjectiveConfig = { model: TINY };
const OPTIONS = { learningRate: 3e-3, seed: 4 };

/** Five sequences of a square drifting right at its own speed: `[5, 4, 32, 32, 3]`. */
const batch = () =>
  tf.tidy(() =>
    tf.stack(Array.from({ length: 5 }, (_, b) =>
      tf.stack(Array.from({ length: 4 }, (_, t) => {
        const img = tf.buffer([32, 32, 3]);
        for (let y = 10; y < 16; y++) {
          for (let x = 2 + (b + 1) * t; x < 8 + (b + 1) * t; x++) {
            for (let c = 0; c < 3; c++) img.set(0.9 - 0.1 * c, y, x, c);
          }
        }
        return tf.add(img.toTensor(), 0.1);
      })))) as tf.Tensor5D
  );

/** `steps` updates from a fresh state, with `workers` workers (0: here, no pool). */
const run = async (workers: number, steps: number) => {
  const state = initState(hgn, CONFIG, OPTIONS);
  const pool = workers > 0 ? await gradientPool(HGN, CONFIG, workers, "cpu") : undefined;
  const losses: number[] = [];
  const b = batch();
  try {
    for (let i = 0; i < steps; i++) losses.push((await trainStep(state, b, pool?.gradients)).loss);
    return { losses, params: await paramValues(state.params) };
  } finally {
    pool?.close();
    b.dispose();
    disposeState(state);
  }
};

Deno.test("parallel: slices are contiguous, as equal as can be, never empty", () => {
  deepStrictEqual(sliceSizes(16, 2), [8, 8]);
  deepStrictEqual(sliceSizes(5, 3), [2, 2, 1]);
  deepStrictEqual(sliceSizes(1, 16), [1]);
});

Deno.test("parallel: one worker is the single-process update bit for bit; two or three agree to float32 rounding", async () => {
  const here = await run(0, 3);
  const one = await run(1, 3);
  deepStrictEqual(one.losses, here.losses);
  deepStrictEqual(one.params, here.params);
  for (const workers of [2, 3]) {
    const many = await run(workers, 3);
    many.losses.forEach((l, i) => {
      const rel = Math.abs(l - here.losses[i]) / Math.abs(here.losses[i]);
      ok(rel < 1e-5, `${workers} workers, step ${i + 1}: ${l} vs ${here.losses[i]} (rel ${rel})`);
    });
    // weights after three Adam steps: within float32 rounding of the single-process ones
    let worst = 0;
    many.params.forEach(([, v], j) =>
      (v as number[]).forEach((x, k) =>
        worst = Math.max(worst, Math.abs(x - (here.params[j][1] as number[])[k]))
      )
    );
    ok(worst < 1e-5, `${workers} workers: largest weight difference ${worst}`);
  }
});

Deno.test("parallel: a fixed number of workers is bit for bit, also across a resume", async () => {
  const straight = await run(2, 4);
  deepStrictEqual((await run(2, 4)).losses, straight.losses);
  const state = initState(hgn, CONFIG, OPTIONS);
  const pool = await gradientPool(HGN, CONFIG, 2, "cpu");
  const b = batch();
  try {
    for (let i = 0; i < 2; i++) await trainStep(state, b, pool.gradients);
    const bytes = encodeCheckpoint(await stateRecord(state));
    disposeState(state);
    const resumed = restoreState(hgn, decodeCheckpoint("mem", bytes) as never, {
      config: CONFIG,
      options: OPTIONS,
    });
    strictEqual(resumed.step, 2);
    const losses = [];
    for (let i = 0; i < 2; i++) losses.push((await trainStep(resumed, b, pool.gradients)).loss);
    deepStrictEqual(losses, straight.losses.slice(2));
    deepStrictEqual(await paramValues(resumed.params), straight.params);
    disposeState(resumed);
  } finally {
    pool.close();
    b.dispose();
  }
});
