/**
 * An HGN run end to end, for the CLI's `train`, `eval`, `rollout` and `table` and for scripts:
 * the model record and config its settings describe, its data (generated from the seed or read
 * from a dataset directory), its batches, and the closing work of a run (evaluation on the 30-step
 * unroll and past it, rollout GIFs, the report). Lines worth showing go to a caller's `log`.
 *
 * @module
 */
import { join } from "node:path";
import { E } from "../deps/fp.ts";
import type { tf } from "../deps/tf.ts";
import { datasetSpec, generator } from "../data/dataset.ts";
import { type ExampleReader, generatedReader } from "../data/reader.ts";
import { writeFileAtomic, writeTextAtomic } from "../io/atomic.ts";
import { datasetReader, openDataset } from "../io/dataset.ts";
import { encodeGif, encodePng, labelRows, tileFrames } from "../io/image.ts";
import { lineChart, reportHtml } from "../io/report.ts";
import { readMetrics, writeRunConfig } from "../io/run.ts";
import type { Model } from "../models/model.ts";
import type { HgnObjectiveConfig } from "../models/hgn/config.ts";
import { hgn } from "../models/hgn/model.ts";
import type { HgnParams } from "../models/hgn/network.ts";
import { frameBatches, sequenceBytes } from "../train/sources.ts";
import { constrained } from "../train/constrained.ts";
import type { BatchSource } from "../train/fit.ts";
import { disposeState, initState, type TrainOptions, type TrainState } from "../train/state.ts";
import {
  type EvalReport,
  evaluate,
  priorSamples,
  sequenceRollouts,
} from "../models/hgn/evaluate.ts";
import { type RunSettings, SETTINGS_VERSION, validateSettings } from "./hgn_settings.ts";
import {
  type FitCallbacks,
  fitRun,
  type FitRunResult,
  type FitWorkers,
  readRunJson,
  resumeState,
  RunFolderError,
  type RunLog,
} from "./fit.ts";

/** The HGN model record of a run (the GECO-constrained one for the stochastic variant). */
export type HgnRunModel = Model<HgnObjectiveConfig, HgnParams, tf.Tensor5D>;

/** The training state of an HGN run. */
export type HgnRunState = TrainState<HgnObjectiveConfig, HgnParams, tf.Tensor5D>;

/** The model record a run trains. */
export const runModel = (settings: RunSettings): HgnRunModel =>
  (settings.geco ? constrained(hgn) : hgn) as unknown as HgnRunModel;

/** The model config of a run (with its GECO settings when stochastic). */
export const runConfig = (settings: RunSettings): HgnObjectiveConfig =>
  settings.geco
    ? { ...settings.objective, geco: settings.geco } as HgnObjectiveConfig
    : settings.objective;

/** The gradient workers of a run for `runFit`: `run.threads` of them building its model (from the record's origin). */
export const runWorkers = (settings: RunSettings): FitWorkers => ({
  threads: settings.run.threads ?? 1,
  batchSize: settings.train.batchSize,
});

/** The training options of a run: the optimiser, the seed and, fingerprinted, data and batch. */
export const runOptions = (settings: RunSettings): TrainOptions => ({
  learningRate: settings.train.learningRate,
  seed: settings.train.seed,
  ...(settings.train.decay ? { decay: settings.train.decay } : {}),
  context: {
    batchSize: settings.train.batchSize,
    trainSize: settings.train.trainSize,
    data: settings.data,
  },
});

/** Reads and validates `DIR/config.json`. */
export const readSettings = async (dir: string): Promise<RunSettings> => {
  const file = join(dir, "config.json");
  const settings = await readRunJson(dir) as RunSettings;
  if (settings?.version !== SETTINGS_VERSION) {
    throw new RunFolderError(
      `${file}: run config version ${settings?.version}; this version reads ${SETTINGS_VERSION}`,
    );
  }
  const valid = validateSettings(settings);
  if (E.isLeft(valid)) throw new RunFolderError(`${file}: ${valid.left.join("; ")}`);
  return settings;
};

/** Frames each sequence of the run's data has: enough for training and a `steps`-step unroll. */
const framesNeeded = (settings: RunSettings, steps: number) =>
  Math.max(settings.objective.model.rolloutSteps, steps) + 1;

/** A dataset directory that does not hold what the run's settings ask for. */
export class DatasetMismatchError extends RangeError {
  override name = "DatasetMismatchError";
}

/**
 * The run's data: a dataset directory (checked against the settings) or the generator of the
 * settings' spec (at least 31 frames, and enough for a `steps`-step unroll, default the run's
 * evaluation: longer generated sequences start as the shorter ones do, so a 60-step evaluation
 * extends the 30-step one; laid out as `cli.ts generate` would write it).
 */
export const openReader = async (
  settings: RunSettings,
  steps = settings.run.evalSteps,
): Promise<ExampleReader> => {
  const d = settings.data;
  const model = settings.objective.model;
  if (d.dir === undefined) {
    return generatedReader(
      generator(datasetSpec({
        system: d.system,
        seed: d.seed,
        steps: Math.max(30, framesNeeded(settings, steps) - 1),
        size: model.size,
        noiseMode: d.noiseMode,
        ...(d.noiseStd !== undefined ? { noiseStd: d.noiseStd } : {}),
      })),
      { train: settings.train.trainSize, test: settings.run.testSize },
    );
  }
  const ds = await openDataset(d.dir, { system: d.system, size: model.size, seed: d.seed });
  const m = ds.manifest;
  const problems = [
    m.spec.noise.mode !== d.noiseMode &&
    `it has noise mode ${m.spec.noise.mode}, the run ${d.noiseMode}`,
    d.noiseStd !== undefined && m.spec.noise.std !== d.noiseStd &&
    `it has noise std ${m.spec.noise.std}, the run ${d.noiseStd}`,
    m.spec.frames < framesNeeded(settings, steps) &&
    `its sequences have ${m.spec.frames} frames, the run needs ${
      framesNeeded(settings, steps)
    } (rollout and evaluation steps + 1)`,
    m.splits.train.count !== settings.train.trainSize &&
    `it has ${m.splits.train.count} training sequences, the run ${settings.train.trainSize}`,
    m.splits.test.count < settings.run.testSize &&
    `it has ${m.splits.test.count} test sequences, the run evaluates ${settings.run.testSize}`,
  ].filter((x): x is string => typeof x === "string");
  if (problems.length > 0) {
    throw new DatasetMismatchError(`dataset ${d.dir} does not fit: ${problems.join("; ")}`);
  }
  return datasetReader(ds);
};

/** The batches a run trains on: the seeded training order over the reader's shards, as tensors. */
export const trainingSource = (
  settings: RunSettings,
  reader: ExampleReader,
): BatchSource<tf.Tensor5D> => {
  const model = settings.objective.model;
  return frameBatches(reader, {
    seed: settings.train.seed,
    batchSize: settings.train.batchSize,
    frames: Math.max(model.rolloutSteps + 1, model.inputFrames),
  });
};

/** The file an evaluation of `steps` steps goes to: `eval.json` for the run's own length. */
export const evalFile = (settings: RunSettings, steps: number): string =>
  steps === settings.run.evalSteps ? "eval.json" : `eval-${steps}.json`;

/** The evaluation of a run over one unroll length: both splits. */
export interface RunEval {
  readonly train: EvalReport;
  readonly test: EvalReport;
}

/**
 * Evaluates train and test splits over a `steps`-step unroll (the reader's sequences must have
 * `steps + 1` frames) and writes `eval.json` (`eval-STEPS.json` for another length than the
 * run's evaluation); returns both reports.
 */
export const evaluateRun = async (
  settings: RunSettings,
  dir: string,
  params: HgnParams,
  reader: ExampleReader,
  steps = settings.run.evalSteps,
): Promise<RunEval> => {
  const model = settings.objective.model;
  const options = { steps, batchSize: 16 };
  const count = settings.run.testSize;
  const on = (split: "train" | "test") =>
    evaluate(model, params, sequenceBytes(reader, split), count, options);
  const report = { train: await on("train"), test: await on("test") };
  const file = evalFile(settings, steps);
  await writeTextAtomic(join(dir, file), JSON.stringify(report, null, 2) + "\n");
  return report;
};

/** A readable table of the paper's metrics. */
export const evalTable = (r: { train: EvalReport; test: EvalReport }): string => {
  const row = (name: string, f: (x: EvalReport) => string) =>
    `${name.padEnd(40)}${f(r.train).padStart(12)}${f(r.test).padStart(12)}`;
  return [
    `${"metric".padEnd(40)}${"train".padStart(12)}${"test".padStart(12)}`,
    row(`pixel MSE x1e4 (${r.test.steps}-step unroll)`, (x) => (x.mse * 1e4).toFixed(2)),
    row("static predictor MSE x1e4", (x) => (x.staticMse * 1e4).toFixed(2)),
    row("improvement over static", (x) => `${x.improvementOverStatic.toFixed(2)}x`),
    row("variance of learned H x1e4", (x) => (x.energyVariance * 1e4).toFixed(3)),
    row("valid prediction time (frames)", (x) => x.validPredictionFrames.toFixed(1)),
    row("VPT, static-normalised (frames)", (x) => x.staticNormalisedVpt.toFixed(1)),
    row(`steps better than static (of ${r.test.steps})`, (x) => String(x.stepsBeatingStatic)),
    row("latent q off the encoder's, last step", (x) => last(x.latent.qDistance).toFixed(2)),
    row("energy drift / spread, last step", (x) => last(x.latent.energyDrift).toFixed(3)),
    row("energy drift on encoded truth, last", (x) => last(x.latent.encodedEnergyDrift).toFixed(3)),
    row("backward from late frame MSE x1e4", (x) => (mean(x.latent.backwardMse) * 1e4).toFixed(2)),
    row("sequences", (x) => String(x.sequences)),
  ].join("\n");
};

const last = (xs: readonly number[]) => xs[xs.length - 1];
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** One line: per-step test MSE against the static predictor's, x1e4. */
export const perStepLine = (r: EvalReport): string =>
  `per-step test MSE x1e4 (static): ${
    r.perStepMse.map((x, t) =>
      `${(x * 1e4).toFixed(1)} (${(r.staticPerStepMse[t] * 1e4).toFixed(1)})`
    )
      .join(" ")
  }`;

/** Writes the rollout GIFs and the labelled PNG strip of one test sequence and of prior samples. */
export const writeRollouts = async (
  settings: RunSettings,
  dir: string,
  params: HgnParams,
  reader: ExampleReader,
  index = 0,
): Promise<{ images: [string, string][]; retraceError: number }> => {
  const model = settings.objective.model;
  const steps = settings.run.evalSteps;
  const sequence = await sequenceBytes(reader, "test")(index);
  const r = await sequenceRollouts(model, params, sequence, steps);
  const out = join(dir, "rollouts");
  const S = model.size;
  const images: [string, string][] = [];
  const gif = async (name: string, frames: Uint8Array[], caption: string) => {
    await writeFileAtomic(join(out, name), encodeGif(frames, S));
    images.push([`rollouts/${name}`, caption]);
  };
  await gif("truth.gif", r.truth, "ground truth");
  await gif("forward.gif", r.forward, "forward rollout");
  await gif("backward.gif", r.backward, "backward (-dt) from the last state");
  await gif("faster.gif", r.faster, "dt x 2");
  await gif("slower.gif", r.slower, "dt x 0.5");
  // Only a stochastic model has a prior to sample (the deterministic one's would be noise).
  const prior = model.deterministic
    ? []
    : await priorSamples(model, params, 4, steps, settings.train.seed + 1);
  for (let i = 0; i < prior.length; i++) {
    await gif(`prior-${i}.gif`, prior[i], `sample from the prior ${i}`);
  }
  const every = Math.max(1, Math.floor(steps / 10));
  const pick = (f: Uint8Array[]) => f.filter((_, t) => t % every === 0);
  const rows = [r.truth, r.forward, [...r.backward].reverse(), r.faster, r.slower, ...prior].map(
    pick,
  );
  const labels = [
    "truth",
    "forward",
    "backward",
    "dt x2",
    "dt x0.5",
    ...prior.map((_, i) => `prior ${i + 1}`),
  ];
  const gap = 1;
  const strip = labelRows(
    tileFrames(rows.flat(), rows.length, rows[0].length, S, gap),
    labels,
    S + gap,
    {
      top: gap,
    },
  );
  await writeFileAtomic(join(out, "strip.png"), encodePng(strip.rgb, strip.width, strip.height));
  images.push([
    "rollouts/strip.png",
    `rows: truth, forward, backward (reversed), dt x2, dt x0.5${
      prior.length ? `, ${prior.length} prior samples` : ""
    }; every ${every} steps`,
  ]);
  return { images, retraceError: r.retraceError };
};

/** Writes `report.html` from the metrics, the evaluation and the rollout images. */
export const writeReport = async (
  settings: RunSettings,
  dir: string,
  summary: [string, string][],
  evals: readonly RunEval[],
  images: [string, string][],
): Promise<string> => {
  const metrics = await readMetrics(dir);
  const series = (key: string) => ({
    name: key,
    points: metrics.filter((m) => typeof m[key] === "number").map((m) =>
      [m.step, m[key] as number] as [number, number]
    ),
  });
  const charts = [
    lineChart("pixel MSE (log10)", [series("mse")], { log: true }),
    lineChart("loss", [series("loss")]),
    lineChart("gradient norm (log10)", [series("gradNorm")], { log: true }),
  ];
  if (settings.objective.consistency) {
    charts.push(
      lineChart("latent consistency penalty (log10)", [series("consistency")], { log: true }),
    );
  }
  if (settings.geco) {
    charts.push(
      lineChart("KL per latent entry (log10)", [series("kl")], { log: true }),
      lineChart("GECO multiplier lambda", [series("lambda")]),
    );
  }
  const curve = (name: string, ys: readonly number[]) => ({
    name,
    points: ys.map((y, t) => [t, y] as [number, number]),
  });
  for (const { train, test } of evals) {
    charts.push(
      lineChart(
        `per-step MSE of the ${test.steps}-step unroll (log10)`,
        [
          curve("test", test.perStepMse),
          curve("train", train.perStepMse),
          curve("static (test)", test.staticPerStepMse),
          curve("backward from the end", test.latent.backwardMse),
        ],
        { log: true, xLabel: "rollout step" },
      ),
      lineChart(
        `learned energy along the ${test.steps}-step unroll: |H(t) - H(0)| / spread of H(0)`,
        [
          curve("rollout (test)", test.latent.energyDrift),
          curve("encoder on true frames", test.latent.encodedEnergyDrift),
        ],
        { xLabel: "rollout step" },
      ),
      lineChart(
        `rollout's distance from the encoder's state of the true frames (${test.steps} steps)`,
        [curve("q", test.latent.qDistance), curve("p", test.latent.pDistance)],
        { xLabel: "rollout step (window start)" },
      ),
    );
  }
  const file = join(dir, "report.html");
  await writeTextAtomic(
    file,
    reportHtml({ title: `HGN on ${settings.data.system}`, summary, charts, images }),
  );
  return file;
};

/** What {@link finishRun} found and wrote. */
export interface FinishedRun {
  /** the run's `evalSteps`-step evaluation */
  readonly eval: RunEval;
  /** on the horizon the model was trained on, when shorter than the evaluation's */
  readonly horizon?: RunEval;
  /** past the evaluation's horizon, when the run asks for it and its data has the frames */
  readonly extrapolation?: RunEval;
  /** the backward rollout's max |state difference| from the forward one */
  readonly retraceError: number;
  /** the report's file name in the run folder */
  readonly report: string;
}

/** The end of a training run: evaluation, rollouts, report; what it does goes to `log`. */
export const finishRun = async (
  settings: RunSettings,
  dir: string,
  state: HgnRunState,
  reader: ExampleReader,
  backendReport: string,
  backend: string,
  log: RunLog = () => {},
): Promise<FinishedRun> => {
  const model = settings.objective.model;
  log(
    `evaluating ${settings.run.testSize} train and test sequences (${settings.run.evalSteps}-step unroll)`,
    "status",
  );
  const evalReport = await evaluateRun(settings, dir, state.params, reader);
  log(evalTable(evalReport), "result");
  log(perStepLine(evalReport.test), "result");
  let horizon: RunEval | undefined;
  if (model.rolloutSteps < settings.run.evalSteps) {
    // Also on the horizon the model was trained on (the paper trains and scores 30 steps alike).
    horizon = await evaluateRun(settings, dir, state.params, reader, model.rolloutSteps);
    log(evalTable(horizon), "result");
  }
  const extrapolation = await extrapolate(settings, dir, state.params, log);
  if (extrapolation) {
    log(evalTable(extrapolation), "result");
    log(perStepLine(extrapolation.test), "result");
  }
  const { images, retraceError } = await writeRollouts(settings, dir, state.params, reader);
  log(
    `backward rollout retraces the forward one within ${
      retraceError.toExponential(2)
    } (max |state difference|)`,
    "result",
  );
  const report = await writeReport(
    settings,
    dir,
    [
      ["system", settings.data.system],
      ["data", settings.data.dir ?? `generated from seed ${settings.data.seed}`],
      ["steps", String(state.step)],
      ["backend", `${backend} (${backendReport})`],
      ["model", JSON.stringify(model)],
      [`test MSE x1e4 (${evalReport.test.steps} steps)`, (evalReport.test.mse * 1e4).toFixed(2)],
      ["test static-predictor MSE x1e4", (evalReport.test.staticMse * 1e4).toFixed(2)],
      ...(horizon
        ? [[
          `test MSE x1e4 (${horizon.test.steps} steps, trained horizon)`,
          `${(horizon.test.mse * 1e4).toFixed(2)} (${
            horizon.test.improvementOverStatic.toFixed(2)
          }x static)`,
        ] as [string, string]]
        : []),
      ...(extrapolation
        ? [[
          `test MSE x1e4 (${extrapolation.test.steps} steps, extrapolated)`,
          `${(extrapolation.test.mse * 1e4).toFixed(2)} (${
            extrapolation.test.improvementOverStatic.toFixed(2)
          }x static; better than static at ${extrapolation.test.stepsBeatingStatic} of ${extrapolation.test.steps} steps)`,
        ] as [string, string]]
        : []),
      ["valid prediction time (test, frames)", evalReport.test.validPredictionFrames.toFixed(1)],
      ["backward retrace error", retraceError.toExponential(2)],
    ],
    [evalReport, ...(extrapolation ? [extrapolation] : [])],
    images,
  );
  log(
    `outputs: ${dir} (config.json, metrics.jsonl, checkpoints/, rollouts/, eval.json, ${report})`,
    "result",
  );
  return { eval: evalReport, horizon, extrapolation, retraceError, report };
};

/**
 * The run's extrapolation: its `extrapolateSteps`-step unroll on sequences with as many frames
 * (generated, or a dataset's when it has them), written to `eval-N.json`. Absent when the run
 * asks for none or its dataset's sequences are too short (said to `log`).
 */
export const extrapolate = async (
  settings: RunSettings,
  dir: string,
  params: HgnParams,
  log: RunLog = () => {},
): Promise<RunEval | undefined> => {
  const steps = settings.run.extrapolateSteps ?? 0;
  if (steps === 0) return undefined;
  let reader: ExampleReader;
  try {
    reader = await openReader(settings, steps);
  } catch (e) {
    if (!(e instanceof DatasetMismatchError)) throw e;
    log(`no ${steps}-step extrapolation: ${e.message}`, "status");
    return undefined;
  }
  log(
    `extrapolating ${steps} steps on ${settings.run.testSize} train and test sequences of ${
      steps + 1
    } frames`,
    "status",
  );
  return evaluateRun(settings, dir, params, reader, steps);
};

/** Loads the newest checkpoint of a run, checked against the run's config.json. */
export const loadRunState = (dir: string, settings: RunSettings): Promise<HgnRunState> =>
  resumeState(runModel(settings), dir, {
    config: runConfig(settings),
    options: runOptions(settings),
  });

/** What {@link trainHgn} needs: a run folder, its settings and data, and the caller's callbacks. */
export interface TrainHgnOptions extends FitCallbacks {
  readonly dir: string;
  readonly settings: RunSettings;
  /** the run's data ({@link openReader}) */
  readonly reader: ExampleReader;
  /** continue the run's newest checkpoint (its config.json must be these settings) */
  readonly resumed: boolean;
  /** the caller holds the run folder's lock already (default: the fit takes it) */
  readonly holdsLock?: boolean;
}

/**
 * Trains an HGN run into `dir`: a new run writes its `config.json` and starts from the seed, a
 * resumed one continues its newest checkpoint (said to `onMessage`); then fits to the settings'
 * schedule with their gradient workers. The caller owns the returned state (dispose it), and
 * finishes the run with {@link finishRun} when it wants the evaluation and report.
 */
export const trainHgn = async (
  o: TrainHgnOptions,
): Promise<{ readonly state: HgnRunState; readonly fit: FitRunResult }> => {
  const { settings, dir } = o;
  let state: HgnRunState;
  if (o.resumed) {
    state = await loadRunState(dir, settings);
    o.onMessage?.(`resuming ${dir} at step ${state.step}`);
  } else {
    await writeRunConfig(dir, settings);
    state = initState(runModel(settings), runConfig(settings), runOptions(settings));
  }
  try {
    const fit = await fitRun({
      ...o,
      state,
      source: trainingSource(settings, o.reader),
      workers: runWorkers(settings),
      schedule: settings.run,
    });
    return { state, fit };
  } catch (e) {
    disposeState(state);
    throw e;
  }
};
