import {
  applyHgn,
  disposeHgn,
  hgn,
  initHgn,
  PAPER_HGN,
  unroll,
  validateHgnConfig,
} from "@hamiltonian/hgn/models/hgn";
import * as E from "npm:fp-ts@2.16.11/lib/Either.js";
import { flattenWithPaths, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { constrained, initState } from "@hamiltonian/hgn/train";
import { deepStrictEqual, ok } from "node:assert/strict";
import { checkGradients, TINY } from "./_tiny.ts";

await useBackend("cpu");

Deno.test("hgn: shapes of the forward pass (paper layout: 4x4x(2x16) state at 32 px)", () => {
  tf.tidy(() => {
    const config = {
      ...PAPER_HGN,
      inputFrames: 3,
      rolloutSteps: 2,
      encoderWidth: 4,
      transformerWidth: 4,
      hamiltonianWidth: 4,
      decoderWidth: 4,
    };
    const params = initHgn(config, 0);
    const out = applyHgn(config, params, tf.zeros([2, 3, 32, 32, 3]) as tf.Tensor5D, { seed: 0 });
    deepStrictEqual(out.mean.shape, [2, 4, 4, 32]);
    deepStrictEqual(out.states[0].q.shape, [2, 4, 4, 16]);
    deepStrictEqual(out.states.length, 3);
    deepStrictEqual(out.frames.shape, [2, 3, 32, 32, 3]);
    deepStrictEqual(out.energies.shape, [2, 3]);
    disposeHgn(params);
  });
  const c64 = { ...TINY, size: 64, encoderLayers: 6 };
  tf.tidy(() => {
    const params = initHgn(c64, 0);
    deepStrictEqual(
      applyHgn(c64, params, tf.zeros([1, 4, 64, 64, 3]) as tf.Tensor5D, { seed: 0 }).frames.shape,
      [1, 4, 64, 64, 3],
    );
    disposeHgn(params);
  });
});

Deno.test("hgn: the config validator names every problem", () => {
  const r = validateHgnConfig({ ...TINY, size: 48, integrator: "verlet", inputFrames: 9 });
  ok(E.isLeft(r));
  for (
    const want of [
      /size must be 32 or 64/,
      /unknown integrator 'verlet'/,
      /input frames must be an integer in \[1, rollout steps \+ 1 = 4\]/,
    ]
  ) {
    ok(r.left.some((m) => want.test(m)), `${want} not in ${r.left.join(" | ")}`);
  }
  const g = validateHgnConfig({ ...TINY, hamiltonian: "general", integrator: "leapfrog" });
  ok(E.isLeft(g) && /needs a separable Hamiltonian/.test(g.left[0]));
});

Deno.test("hgn: a rollout run forward then backward (-dt) returns to its start (float32)", () => {
  for (
    const config of [TINY, {
      ...TINY,
      hamiltonian: "general" as const,
      integrator: "implicitLeapfrog",
    }]
  ) {
    tf.tidy(() => {
      const params = initHgn(config, 3);
      const q = tf.randomNormal([2, 4, 4, 2], 0, 1, "float32", 1) as tf.Tensor4D;
      const p = tf.randomNormal([2, 4, 4, 2], 0, 1, "float32", 2) as tf.Tensor4D;
      const fwd = unroll(config, params, { q, p }, 0.125, 10);
      const back = unroll(config, params, fwd.states[10], -0.125, 10);
      const err = tf.max(tf.abs(tf.sub(back.states[10].q, q))).dataSync()[0];
      const moved = tf.max(tf.abs(tf.sub(fwd.states[10].q, q))).dataSync()[0];
      ok(moved > 1e-3, `the rollout should move, moved ${moved}`);
      ok(err < 1e-4, `${config.integrator}: returned within ${err}`);
      disposeHgn(params);
    });
  }
});

Deno.test("hgn: gradients of the full loss (through the rollout's second derivatives) match finite differences", async () => {
  const model = constrained(hgn);
  const config = {
    model: { ...TINY, deterministic: false },
    geco: { tolerance: 1e-3, init: 0.97, learningRate: 1e-2 },
  };
  const state = initState(model, config, { learningRate: 1e-3, seed: 5 });
  const frames = tf.randomUniform([2, 4, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor5D;
  const loss = () => model.loss(config, state.params, frames, { seed: 11, step: 0 }).loss;
  // One weight from every network, the Hamiltonian's first of all, and the multiplier.
  await checkGradients(loss, state.params, [
    "hamiltonian/0/0/w",
    "hamiltonian/1/0/w",
    "hamiltonian/1/1/w",
    "encoder/0/w",
    "transformer/0/w",
    "decoder/1/w",
    "decoderInput",
    "geco/u",
  ]);
  tf.dispose(paramLeavesOf(state.params));
  frames.dispose();
});

const paramLeavesOf = (p: object) => flattenWithPaths(p).map(([, t]) => t);
