/**
 * What the HGN commands share about a run directory: its settings, its data, and the closing work
 * of a run (evaluation, rollout GIFs, report).
 *
 * @module
 */
import { join } from "node:path";
import { E } from "../lib/deps/fp.ts";
import { datasetSpec, type Generator, generator } from "../lib/data/dataset.ts";
import { writeFileAtomic, writeTextAtomic } from "../lib/io/atomic.ts";
import { encodeGif, encodePng, tileFrames } from "../lib/io/image.ts";
import { lineChart, reportHtml } from "../lib/io/report.ts";
import type { HgnTrainState } from "../lib/train/hgn.ts";
import {
  type EvalReport,
  evaluate,
  priorSamples,
  sequenceRollouts,
} from "../lib/train/evaluate.ts";
import type { HgnConfig } from "../lib/models/hgn/config.ts";
import type { HgnParams } from "../lib/models/hgn/model.ts";
import { type RunSettings, validateSettings } from "./hgn_settings.ts";
import { UsageError } from "./usage.ts";
import { type BackendRequest, backendRequests, useBackend } from "../lib/tensor/backend.ts";
import { loadLatestCheckpoint } from "../lib/io/checkpoint.ts";

/** Reads and validates `DIR/config.json`. */
export const readSettings = async (dir: string): Promise<RunSettings> => {
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`${file} not found: '${dir}' is not a run directory`);
    }
    throw e;
  }
  let settings: RunSettings;
  try {
    settings = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message})`);
  }
  if (settings?.version !== 1) {
    throw new UsageError(`${file}: unsupported run config version ${settings?.version}`);
  }
  const valid = validateSettings(settings);
  if (E.isLeft(valid)) throw new UsageError(`${file}: ${valid.left.join("; ")}`);
  return settings;
};

/** The run's data: the dataset generator its settings describe (31 frames or more). */
export const dataFor = (settings: RunSettings): Generator =>
  generator(datasetSpec({
    system: settings.data.system,
    seed: settings.data.seed,
    steps: Math.max(30, settings.train.model.rolloutSteps, settings.run.evalSteps),
    size: settings.train.model.size,
    noiseMode: settings.data.noiseMode,
    ...(settings.data.noiseStd !== undefined ? { noiseStd: settings.data.noiseStd } : {}),
  }));

/** Evaluates train and test splits over a `steps`-step unroll and writes `eval.json` (`eval-STEPS.json` for another length); returns both reports. */
export const evaluateRun = async (
  settings: RunSettings,
  dir: string,
  model: HgnConfig,
  params: HgnParams,
  steps = settings.run.evalSteps,
): Promise<{ train: EvalReport; test: EvalReport }> => {
  const gen = dataFor(settings);
  const options = { steps, batchSize: 16 };
  const count = settings.run.testSize;
  const on = (split: "train" | "test") =>
    evaluate(model, params, (i) => gen.example(split, i).pixels, count, options);
  const report = { train: await on("train"), test: await on("test") };
  const file = steps === settings.run.evalSteps ? "eval.json" : `eval-${steps}.json`;
  await writeTextAtomic(join(dir, file), JSON.stringify(report, null, 2) + "\n");
  return report;
};

/** A readable table of the paper's metrics. */
export const evalTable = (r: { train: EvalReport; test: EvalReport }): string => {
  const row = (name: string, f: (x: EvalReport) => string) =>
    `${name.padEnd(34)}${f(r.train).padStart(12)}${f(r.test).padStart(12)}`;
  return [
    `${"metric".padEnd(34)}${"train".padStart(12)}${"test".padStart(12)}`,
    row(`pixel MSE x1e4 (${r.test.steps}-step unroll)`, (x) => (x.mse * 1e4).toFixed(2)),
    row("static predictor MSE x1e4", (x) => (x.staticMse * 1e4).toFixed(2)),
    row("improvement over static", (x) => `${x.improvementOverStatic.toFixed(2)}x`),
    row("variance of learned H x1e4", (x) => (x.energyVariance * 1e4).toFixed(3)),
    row("valid prediction time (frames)", (x) => x.validPredictionFrames.toFixed(1)),
    row("sequences", (x) => String(x.sequences)),
  ].join("\n");
};

/** Writes the rollout GIFs and the PNG strip of one test sequence and of prior samples. */
export const writeRollouts = async (
  settings: RunSettings,
  dir: string,
  model: HgnConfig,
  params: HgnParams,
  index = 0,
): Promise<{ images: [string, string][]; retraceError: number }> => {
  const gen = dataFor(settings);
  const steps = settings.run.evalSteps;
  const r = await sequenceRollouts(model, params, gen.example("test", index).pixels, steps);
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
  const prior = await priorSamples(model, params, 4, steps, settings.train.seed + 1);
  for (let i = 0; i < prior.length; i++) {
    await gif(`prior-${i}.gif`, prior[i], `sample from the prior ${i}`);
  }
  const every = Math.max(1, Math.floor(steps / 10));
  const pick = (f: Uint8Array[]) => f.filter((_, t) => t % every === 0);
  const rows = [r.truth, r.forward, [...r.backward].reverse(), r.faster, r.slower, ...prior].map(
    pick,
  );
  const strip = tileFrames(rows.flat(), rows.length, rows[0].length, S);
  await writeFileAtomic(join(out, "strip.png"), encodePng(strip.rgb, strip.width, strip.height));
  images.push([
    "rollouts/strip.png",
    `rows: truth, forward, backward (reversed), dt x2, dt x0.5, 4 prior samples; every ${every} steps`,
  ]);
  return { images, retraceError: r.retraceError };
};

/** Reads `metrics.jsonl` (skipping nothing: a damaged line is an error naming the file). */
const readMetrics = async (dir: string): Promise<Record<string, number>[]> => {
  const file = join(dir, "metrics.jsonl");
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split("\n").filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l);
    } catch {
      throw new UsageError(`${file}: line ${i + 1} is not valid JSON`);
    }
  });
};

/** Writes `report.html` from the metrics, the evaluation and the rollout images. */
export const writeReport = async (
  settings: RunSettings,
  dir: string,
  summary: [string, string][],
  evalReport: { train: EvalReport; test: EvalReport } | undefined,
  images: [string, string][],
): Promise<string> => {
  const metrics = await readMetrics(dir);
  const series = (key: string) => ({
    name: key,
    points: metrics.map((m) => [m.step, m[key]] as [number, number]),
  });
  const charts = [
    lineChart("pixel MSE (log10)", [series("mse")], { log: true }),
    lineChart("KL per latent entry (log10)", [series("kl")], { log: true }),
    lineChart("GECO multiplier lambda", [series("lambda")]),
    lineChart("loss", [series("loss")]),
  ];
  if (evalReport) {
    charts.push(lineChart(
      "per-step MSE of the unroll (log10)",
      [
        { name: "test", points: evalReport.test.perStepMse.map((y, t) => [t, y]) },
        { name: "train", points: evalReport.train.perStepMse.map((y, t) => [t, y]) },
        {
          name: "static (test)",
          points: evalReport.test.perStepMse.map((_, t) => [t, evalReport.test.staticMse]),
        },
      ],
      { log: true, xLabel: "rollout step" },
    ));
  }
  const file = join(dir, "report.html");
  await writeTextAtomic(
    file,
    reportHtml({ title: `HGN on ${settings.data.system}`, summary, charts, images }),
  );
  return file;
};

/** The end of a training run: evaluation, rollouts, report, and a summary on stdout. */
export const finishRun = async (
  settings: RunSettings,
  dir: string,
  state: HgnTrainState,
  backendReport: string,
  backend: string,
): Promise<void> => {
  const model = settings.train.model;
  console.log(
    `train: evaluating ${settings.run.testSize} train and test sequences (${settings.run.evalSteps}-step unroll)`,
  );
  const evalReport = await evaluateRun(settings, dir, model, state.params);
  console.log(evalTable(evalReport));
  if (model.rolloutSteps < settings.run.evalSteps) {
    // Also on the horizon the model was trained on (the paper trains and scores 30 steps alike).
    console.log(
      evalTable(await evaluateRun(settings, dir, model, state.params, model.rolloutSteps)),
    );
  }
  const { images, retraceError } = await writeRollouts(settings, dir, model, state.params);
  console.log(
    `backward rollout retraces the forward one within ${
      retraceError.toExponential(2)
    } (max |state difference|)`,
  );
  const report = await writeReport(
    settings,
    dir,
    [
      ["system", settings.data.system],
      ["steps", String(state.step)],
      ["backend", `${backend} (${backendReport})`],
      ["model", JSON.stringify(model)],
      ["test MSE x1e4", (evalReport.test.mse * 1e4).toFixed(2)],
      ["test static-predictor MSE x1e4", (evalReport.test.staticMse * 1e4).toFixed(2)],
      ["backward retrace error", retraceError.toExponential(2)],
    ],
    evalReport,
    images,
  );
  console.log(
    `outputs: ${dir} (config.json, metrics.jsonl, checkpoints/, rollouts/, eval.json, ${report})`,
  );
};

/**
 * Opens a trained run for `eval` and `rollout`: its settings, the backend (the run's unless
 * `backend` overrides it; its report line printed with `label`), and its newest checkpoint.
 */
export const openRun = async (
  label: string,
  dir: string | undefined,
  backend: string | undefined,
): Promise<{ dir: string; settings: RunSettings; state: HgnTrainState }> => {
  if (!dir) throw new UsageError("--run DIR is required (a directory written by 'cli.ts train')");
  const settings = await readSettings(dir);
  const request = (backend ?? settings.run.backend) as BackendRequest;
  if (!backendRequests.includes(request)) {
    throw new UsageError(
      `--backend must be one of ${backendRequests.join(", ")}, got '${request}'`,
    );
  }
  console.log(`${label}: ${(await useBackend(request)).report}`);
  return { dir, settings, state: await loadLatestCheckpoint(join(dir, "checkpoints")) };
};
