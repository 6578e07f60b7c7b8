/**
 * Your own model in the paper's table: a model record with the frame-predictor capability becomes
 * a table row in one call (`frameModelRow`), trains like the paper's rows (checkpoints, resume,
 * workers) and is scored by the same scorer beside them. The model here is a persistence
 * baseline: it predicts the first frame blended with a learned background, at every step.
 *
 *   deno run --allow-read --allow-write=runs examples/custom_table_row.ts [updates] [dir]
 *
 * @module
 */
import {
  assembleTable,
  cellFile,
  claimTable,
  frameModelRow,
  runTableCell,
  TABLE_MODELS,
  type TableSettings,
} from "@hamiltonian/hgn/runs";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import type { FramePredictorModel } from "@hamiltonian/hgn/train";

type Params = {
  readonly [key: string]: tf.Tensor;
  readonly background: tf.Tensor;
  readonly w: tf.Tensor;
};

/** The one frame the model predicts for each sequence, `[B, 1, S, S, 3]`. */
const still = (params: Params, frames: tf.Tensor5D): tf.Tensor5D => {
  const [B, , S] = frames.shape;
  const first = tf.slice(frames, [0, 0, 0, 0, 0], [B, 1, S, S, 3]);
  const a = tf.sigmoid(params.w);
  return tf.add(tf.mul(a, first), tf.mul(tf.sub(1, a), params.background)) as tf.Tensor5D;
};

/** Predicts `sigmoid(w) * first frame + (1 - sigmoid(w)) * background` at every step. */
export const persistence: FramePredictorModel<{ size: number }, Params, tf.Tensor5D> = {
  name: "persistence",
  // where gradient workers import this record from (threads > 1)
  origin: { module: import.meta.url, name: "persistence" },
  init: ({ size }) => ({ background: tf.fill([size, size, 3], 0.5), w: tf.scalar(0) }),
  loss: (_config, params, frames) => {
    // the error at every frame of the window (tf.sub broadcasts the still over time)
    const loss = tf.mean(tf.square(tf.sub(frames, still(params, frames)))) as tf.Scalar;
    return { loss, metrics: { mse: loss } };
  },
  observedFrames: () => 1,
  predictFrames: (_config, params, frames, steps) =>
    tf.tidy(() => ({
      frames: tf.tile(still(params, frames), [1, steps + 1, 1, 1, 1]) as tf.Tensor5D,
      energies: tf.zeros([frames.shape[0], steps + 1]) as tf.Tensor2D,
    })),
};

if (import.meta.main) {
  const updates = Number(Deno.args[0] ?? 200);
  const out = Deno.args[1] ?? "runs/custom-table";
  await useBackend("wasm");
  const settings: TableSettings = {
    version: 1,
    kind: "table",
    protocol: "5-frame",
    recipe: "30-step",
    budget: updates,
    evalSize: 16,
    trainSize: 1000,
    dataSeed: 0,
    seed: 0,
    noiseMode: "initial",
    threads: 1,
    klWarmup: 1 / 3,
  };
  const row = frameModelRow({
    label: "Persistence",
    model: persistence,
    config: () => ({ size: 32 }),
    frames: 11,
    batchSize: 16,
    learningRate: 0.01,
  });
  await claimTable(settings, out);
  const { result } = await runTableCell({
    settings,
    out,
    system: "mass-spring",
    model: "persistence",
    row,
    backend: "wasm",
    onMessage: console.log,
  });
  const test = result!.splits.test.mse;
  console.log(
    `persistence on mass-spring: test MSE x1e4 ${(test.mean * 1e4).toFixed(2)} (${
      cellFile(out, "mass-spring", "persistence")
    })`,
  );
  // the table beside the paper's rows (those not trained here show as –)
  const md = await assembleTable(settings, out, { ...TABLE_MODELS, persistence: row });
  console.log(md.split("\n").filter((l) => /^\| (Persistence|static)/.test(l)).join("\n"));
}
