// Fitting into a run folder from a script: checkpoints, metrics, the caller's stop, resume that
// truncates the metrics, the time cap, the NaN stop naming the last good checkpoint, one writer.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  type FitProgress,
  fitRun,
  NonFiniteRunError,
  readRunJson,
  resumedSettings,
  resumeState,
  RunFolderError,
  type RunSchedule,
} from "../../lib/runs/fit.ts";
import { lockRun, RunLockedError } from "../../lib/runs/lock.ts";
import { checkpointName, listCheckpoints, readMetrics } from "@hamiltonian/hgn/io";
import { type BatchSource, initState, type Model } from "@hamiltonian/hgn/train";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";

await useBackend("cpu");

type Batch = { readonly x: tf.Tensor1D; readonly y: tf.Tensor1D };
/** Least squares y = w x: the smallest model a run folder can hold. */
const line: Model<Record<string, never>, { w: tf.Scalar }, Batch> = {
  name: "line",
  init: () => ({ w: tf.scalar(0) }),
  loss: (_, p, b) => {
    const mse = tf.mean(tf.squaredDifference(tf.mul(p.w, b.x), b.y)) as tf.Scalar;
    return { loss: mse, metrics: { mse } };
  },
};
/** Batches of y = 2x; from update `nanAt` on, a NaN target. */
const batches = (nanAt = Infinity): BatchSource<Batch> => ({
  batchAt: (step) => {
    const x = tf.tensor1d([1, 2, 3 + step % 2]);
    return { x, y: step >= nanAt ? tf.fill([3], NaN) as tf.Tensor1D : tf.mul(x, 2) };
  },
  release: (b) => tf.dispose([b.x, b.y]),
});
const options = { learningRate: 0.02, seed: 0 };
const schedule: RunSchedule = { steps: 6, minutes: 0, logEvery: 2, checkpointEvery: 3, keep: 5 };

const inRun = async (f: (dir: string) => Promise<void>) => {
  const dir = await Deno.makeTempDir({ prefix: "fit_run_" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
};
const steps = async (dir: string) =>
  (await listCheckpoints(join(dir, "checkpoints"))).map((f) =>
    Number(/step-(\d+)\.ckpt$/.exec(f)![1])
  );

Deno.test("fitRun: checkpoints every checkpointEvery and at the end, metrics every logEvery, progress every update", () =>
  inRun(async (dir) => {
    const state = initState(line, {}, options);
    const seen: FitProgress[] = [];
    const r = await fitRun({
      dir,
      state,
      source: batches(),
      schedule,
      resumed: false,
      onProgress: (p) => void seen.push(p),
    });
    deepStrictEqual(r.stop, { kind: "steps" });
    strictEqual(r.step, 6);
    deepStrictEqual(await steps(dir), [3, 6]);
    ok(r.checkpoint.endsWith(checkpointName(6)), r.checkpoint);
    deepStrictEqual((await readMetrics(dir)).map((m) => m.step), [2, 4, 6]);
    deepStrictEqual(seen.map((p) => [p.step, p.logged]), [
      [1, false],
      [2, true],
      [3, false],
      [4, true],
      [5, false],
      [6, true],
    ]);
    strictEqual(seen.at(-1)!.etaSeconds, 0);
  }));

Deno.test("fitRun: the caller's stop is saved; a resume truncates the metrics to it and ends where the straight run ends", () =>
  inRun(async (dir) => {
    const straight = initState(line, {}, options);
    await inRun((other) =>
      fitRun({ dir: other, state: straight, source: batches(), schedule, resumed: false })
        .then(() => {})
    );
    const first = initState(line, {}, options);
    const stopped = await fitRun({
      dir,
      state: first,
      source: batches(),
      schedule: { ...schedule, checkpointEvery: 100 },
      resumed: false,
      shouldStop: () => (first.step === 5 ? "signal" : undefined),
    });
    deepStrictEqual(stopped.stop, { kind: "caller", why: "signal" });
    deepStrictEqual(await steps(dir), [5]);
    // a line past the checkpoint, as a run killed between a log and a checkpoint leaves
    await Deno.writeTextFile(join(dir, "metrics.jsonl"), JSON.stringify({ step: 6 }) + "\n", {
      append: true,
    });
    const resumed = await resumeState(line, dir, { config: {}, options });
    strictEqual(resumed.step, 5);
    await fitRun({ dir, state: resumed, source: batches(), schedule, resumed: true });
    deepStrictEqual((await readMetrics(dir)).map((m) => m.step), [2, 4, 6]);
    strictEqual((await resumed.params.w.data())[0], (await straight.params.w.data())[0]);
  }));

Deno.test("fitRun: minutes caps the invocation and says so", () =>
  inRun(async (dir) => {
    const r = await fitRun({
      dir,
      state: initState(line, {}, options),
      source: batches(),
      schedule: { ...schedule, steps: 1_000_000, minutes: 1e-9 },
      resumed: false,
    });
    deepStrictEqual(r.stop, { kind: "minutes", minutes: 1e-9 });
    ok(r.step < 1_000_000);
  }));

Deno.test("fitRun: a NaN loss stops with the last good state saved and named, never a NaN checkpoint", () =>
  inRun(async (dir) => {
    const state = initState(line, {}, options);
    await rejects(
      fitRun({ dir, state, source: batches(4), schedule, resumed: false }),
      (e) =>
        e instanceof NonFiniteRunError && e.checkpoint.endsWith(checkpointName(4)) &&
        e.message.endsWith(`last good checkpoint: ${e.checkpoint}`),
    );
    deepStrictEqual(await steps(dir), [3, 4]);
  }));

Deno.test("fitRun: a folder another writer holds is refused before any update", () =>
  inRun(async (dir) => {
    const held = await lockRun(dir);
    try {
      const state = initState(line, {}, options);
      await rejects(
        fitRun({ dir, state, source: batches(), schedule, resumed: false }),
        RunLockedError,
      );
      strictEqual(state.step, 0);
    } finally {
      await held.release();
    }
  }));

Deno.test("readRunJson: a folder that is not a run, or a config that is not JSON, is one line", () =>
  inRun(async (dir) => {
    await rejects(
      readRunJson(dir),
      (e) => e instanceof RunFolderError && /not a run directory/.test(e.message),
    );
    await Deno.writeTextFile(join(dir, "config.json"), "{");
    await rejects(
      readRunJson(dir),
      (e) => e instanceof RunFolderError && /not valid JSON/.test(e.message),
    );
  }));

Deno.test("resumedSettings: only the run block's given changes; the rest as saved", () => {
  const saved = {
    model: { hidden: 8 },
    run: { steps: 100, minutes: 5, backend: "wasm", threads: 2, keep: 3 },
  };
  const resumed = resumedSettings(saved, { steps: 300, threads: undefined, backend: "cpu" });
  deepStrictEqual(resumed, {
    model: { hidden: 8 },
    run: { steps: 300, minutes: 5, backend: "cpu", threads: 2, keep: 3 },
  });
  deepStrictEqual(resumedSettings(saved, {}), saved);
});
