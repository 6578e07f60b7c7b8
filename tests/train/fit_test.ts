// Two different model records through the one loop: fit, checkpoint to a file, resume, bit for bit.
import {
  type BatchSource,
  disposeState,
  fit,
  initState,
  type Model,
  NonFiniteLossError,
  restoreState,
  stateRecord,
  type TrainState,
} from "@hamiltonian/hgn/train";
import { hgn, type HgnObjectiveConfig, type HgnParams } from "@hamiltonian/hgn/models/hgn";
import { loadLatestCheckpoint, saveCheckpoint } from "@hamiltonian/hgn/io";
import { initDense, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { TINY } from "../models/hgn/_tiny.ts";
import { paramValues } from "../_params.ts";

await useBackend("cpu");

/** Linear regression as a model record: y = x w + b, mean squared error. */
interface LinearConfig {
  readonly inputs: number;
}
type LinearBatch = { readonly x: tf.Tensor2D; readonly y: tf.Tensor2D };
const linear: Model<
  LinearConfig,
  { readonly layer: { w: tf.Tensor2D; b: tf.Tensor1D } },
  LinearBatch
> = {
  name: "linear",
  init: (config, seed) => ({ layer: initDense(seed, "layer", config.inputs, 1) }),
  loss: (_, params, batch) => {
    const mse = tf.mean(
      tf.squaredDifference(tf.add(tf.matMul(batch.x, params.layer.w), params.layer.b), batch.y),
    ) as tf.Scalar;
    return { loss: mse, metrics: { mse } };
  },
};

/** Seeded regression batches: y = x . (1, -2, 3) + 0.5 + noise; batch k a function of k. */
const linearSource: BatchSource<LinearBatch> = {
  batchAt: (step) =>
    tf.tidy(() => {
      const x = tf.randomNormal([16, 3], 0, 1, "float32", 1000 + step) as tf.Tensor2D;
      const y = tf.add(
        tf.add(tf.matMul(x, tf.tensor2d([[1], [-2], [3]])), 0.5),
        tf.randomNormal([16, 1], 0, 0.01, "float32", 5000 + step),
      ) as tf.Tensor2D;
      return { x, y };
    }),
  release: (b) => tf.dispose([b.x, b.y]),
};

const hgnSource: BatchSource<tf.Tensor5D> = {
  batchAt: (step) => tf.randomUniform([2, 4, 32, 32, 3], 0, 1, "float32", step) as tf.Tensor5D,
  release: (b) => b.dispose(),
};

/** Trains 6 updates straight, and 3 + checkpoint file + resume + 3: the same bits. */
const checkResume = async <C, P extends object, B>(
  model: Model<C, P, B>,
  config: C,
  source: BatchSource<B>,
) => {
  const options = { learningRate: 1e-2, seed: 3 };
  const straight = initState(model, config, options);
  const losses: number[] = [];
  await fit(straight, source, { steps: 6, onStep: (m) => void losses.push(m.loss) });
  const dir = await Deno.makeTempDir();
  const first = initState(model, config, options);
  const resumedLosses: number[] = [];
  await fit(first, source, {
    steps: 6,
    shouldStop: (s) => (s.step === 3 ? "half" : undefined),
    onStep: (m) => void resumedLosses.push(m.loss),
  });
  strictEqual(first.step, 3);
  await saveCheckpoint(dir, await stateRecord(first));
  disposeState(first);
  const resumed: TrainState<C, P, B> = restoreState(
    model,
    await loadLatestCheckpoint(dir) as never,
    {
      config,
      options,
    },
  );
  const result = await fit(resumed, source, {
    steps: 6,
    onStep: (m) => void resumedLosses.push(m.loss),
  });
  strictEqual(result.reason, "steps");
  deepStrictEqual(resumedLosses, losses);
  deepStrictEqual(await paramValues(resumed.params), await paramValues(straight.params));
  disposeState(straight);
  disposeState(resumed);
  await Deno.remove(dir, { recursive: true });
  return losses;
};

Deno.test("fit: a linear regression and HGN train through the same loop, and resume from a file bit for bit", async () => {
  const linLosses = await checkResume(linear, { inputs: 3 }, linearSource);
  ok(linLosses[5] < linLosses[0], `${linLosses}`);
  const hgnConfig: HgnObjectiveConfig = { model: TINY, framesPerUpdate: 2 };
  await checkResume<HgnObjectiveConfig, HgnParams, tf.Tensor5D>(hgn, hgnConfig, hgnSource);
});

Deno.test("fit: a non-finite gradient (finite loss) is refused and applies nothing", async () => {
  // sqrt(x) at x = 0: the loss is 0, its gradient infinite
  const root: Model<object, { x: tf.Tensor }, null> = {
    name: "root",
    init: () => ({ x: tf.scalar(0) }),
    loss: (_, p) => ({ loss: tf.sqrt(p.x) as tf.Scalar, metrics: {} }),
  };
  const state = initState(root, {}, { learningRate: 0.1, seed: 0 });
  await rejects(
    () => fit(state, { batchAt: () => null }, { steps: 1 }),
    (e: Error) => e instanceof NonFiniteLossError && /gradient became/.test(e.message),
  );
  strictEqual(state.step, 0);
  deepStrictEqual(Array.from(await state.params.x.data()), [0]);
  disposeState(state);
});

Deno.test("fit: a stop requested from a timer (as a signal listener does) is heard at the next update", async () => {
  // the updates run on this thread and resolve only microtasks: fit must let the timer run
  const state = initState(linear, { inputs: 3 }, { learningRate: 1e-2, seed: 3 });
  let stop = false;
  const timer = setTimeout(() => (stop = true), 200);
  const started = performance.now();
  const result = await fit(state, linearSource, {
    steps: 5000,
    shouldStop: () => (stop ? "asked" : undefined),
  });
  clearTimeout(timer);
  strictEqual(result.reason, "asked");
  ok(state.step > 0 && state.step < 5000, `step ${state.step}`);
  ok(performance.now() - started < 5000, `${performance.now() - started} ms`);
  disposeState(state);
});
