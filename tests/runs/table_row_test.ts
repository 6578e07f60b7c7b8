// A script's own model in the paper's table: a toy frame predictor defined here (it learns one
// image and predicts it at every step) trains as a table row beside the paper's rows, resumes
// like them, and is scored by the table's one scorer, checked against float64 by hand.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  assembleTable,
  cellFile,
  claimTable,
  frameModelRow,
  runTableCell,
  TABLE_MODELS,
  type TableRow,
  type TableSettings,
} from "@hamiltonian/hgn/runs";
import type { FramePredictorModel } from "@hamiltonian/hgn/train";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { datasetSpec, generator } from "../../lib/data/dataset.ts";
import { generatedReader } from "../../lib/data/reader.ts";

interface ToyConfig {
  readonly size: number;
}
interface ToyParams {
  readonly [key: string]: tf.Tensor;
  readonly image: tf.Tensor;
}

/** Learns one image (the data's mean frame) and predicts it at every step; no energy. */
const toy: FramePredictorModel<ToyConfig, ToyParams, tf.Tensor5D> = {
  name: "toy-mean-frame",
  init: (config) => ({ image: tf.fill([config.size, config.size, 3], 0.5) }),
  loss: (_config, params, frames) => {
    // (tf.sub reduces its gradient over broadcast axes; tfjs 4.22 squaredDifference does not)
    const loss = tf.mean(tf.square(tf.sub(frames, params.image))) as tf.Scalar;
    return { loss, metrics: { mse: loss } };
  },
  observedFrames: () => 1,
  predictFrames: (config, params, frames, steps) =>
    tf.tidy(() => {
      const [B] = frames.shape;
      const image = tf.reshape(params.image, [1, 1, config.size, config.size, 3]);
      return {
        frames: tf.tile(image, [B, steps + 1, 1, 1, 1]) as tf.Tensor5D,
        energies: tf.zeros([B, steps + 1]) as tf.Tensor2D,
      };
    }),
};

const settings: TableSettings = {
  version: 1,
  kind: "table",
  protocol: "5-frame",
  recipe: "30-step",
  budget: 6,
  evalSize: 3,
  trainSize: 64,
  dataSeed: 0,
  seed: 0,
  noiseMode: "initial",
  threads: 1,
  klWarmup: 1 / 3,
};

/** float64, by hand: the mean over test sequences of the MSE of predicting `image` at every step */
const constantImageMse = async (image: Float32Array): Promise<number> => {
  const reader = generatedReader(
    generator(
      datasetSpec({ system: "mass-spring", seed: 0, steps: 30, size: 32, noiseMode: "initial" }),
    ),
    { train: settings.trainSize, test: settings.evalSize },
  );
  const frame = 32 * 32 * 3;
  let total = 0;
  for (let i = 0; i < settings.evalSize; i++) {
    const px = (await reader.batch("test", [i])).pixels;
    let sq = 0;
    for (let t = 0; t < 31; t++) {
      for (let p = 0; p < frame; p++) sq += (px[t * frame + p] / 255 - image[p]) ** 2;
    }
    total += sq / (31 * frame) / settings.evalSize;
  }
  return total;
};

Deno.test("a script's own frame model is a table row: trained, resumed and scored by the table's scorer", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir({ prefix: "table_row_" });
  try {
    await claimTable(settings, out);
    const inner = frameModelRow({
      label: "Toy mean frame",
      model: toy,
      config: () => ({ size: 32 }),
      frames: 2,
      batchSize: 8,
      learningRate: 0.05,
    });
    // the trained image, read from the row's own predictor before the table scores it
    let learned: Float32Array | undefined;
    const row: TableRow = {
      ...inner,
      train: async (cell) => {
        const trained = await inner.train(cell);
        const probe = trained.predict(tf.zeros([1, 1, 32, 32, 3]) as tf.Tensor5D);
        learned = (await probe.frames.data() as Float32Array).slice(0, 32 * 32 * 3);
        tf.dispose([probe.frames, probe.energies]);
        return trained;
      },
    };
    const cell = {
      settings,
      out,
      system: "mass-spring",
      model: "toy",
      row,
      backend: "wasm",
    } as const;
    let updates = 0;
    const stopped = await runTableCell({
      ...cell,
      shouldStop: () => (updates === 3 ? "enough" : undefined),
      onProgress: () => void updates++,
    });
    deepStrictEqual(stopped.fit.stop, { kind: "caller", why: "enough" });
    strictEqual(stopped.result, undefined);
    const messages: string[] = [];
    const done = await runTableCell({ ...cell, onMessage: (m) => void messages.push(m) });
    ok(messages.some((m) => /resuming .* at step 3/.test(m)), messages.join("\n"));
    strictEqual(done.fit.step, 6);
    deepStrictEqual(
      JSON.parse(await Deno.readTextFile(cellFile(out, "mass-spring", "toy"))),
      done.result,
    );
    // it learned: the image moved from 0.5 towards the data
    ok(learned!.some((x) => Math.abs(x - 0.5) > 0.05));
    const expected = await constantImageMse(learned!);
    const got = done.result!.splits.test.mse.mean;
    ok(Math.abs(got - expected) <= 1e-5 * expected, `${got} vs ${expected}`);
    deepStrictEqual(done.result!.splits.test.perStepMse.length, 31);
    // the table: the toy's row beside the paper's, without paper numbers of its own
    const md = await assembleTable(settings, out, { ...TABLE_MODELS, toy: row });
    ok(/1 of 28 cells present/.test(md), md);
    ok(/\| Toy mean frame \(ours\) \| \d+\.\d\d ± \d+\.\d\d \/ \d+\.\d\d ± /.test(md), md);
    ok(!/Toy mean frame \(paper\)/.test(md), md);
    ok(/\| Toy mean frame \| \d+\.\d\dx \|/.test(md), md);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a table row without a name the table knows is refused in one line; a record without an origin cannot use workers", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir({ prefix: "table_row_" });
  try {
    await claimTable(settings, out);
    await rejects(
      runTableCell({ settings, out, system: "mass-spring", model: "toy", backend: "wasm" }),
      /unknown table row 'toy'; accepted: hnn, hnn-conv, hgn-euler/,
    );
    const row = frameModelRow({
      label: "Toy",
      model: toy,
      config: () => ({ size: 32 }),
      frames: 2,
      batchSize: 8,
      learningRate: 0.05,
    });
    await rejects(
      runTableCell({
        settings: { ...settings, threads: 2 },
        out,
        system: "mass-spring",
        model: "toy",
        row,
        backend: "wasm",
      }),
      /model toy-mean-frame names no origin .*: train it with threads 1, or give it an origin/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
