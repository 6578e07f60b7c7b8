/**
 * The paper's comparison (Tables 1 and 2, figure 6) as a library: every row of Table 1 (the pixel
 * HNN baselines and the HGN variants) trains on every system with the same data and update budget,
 * is scored by the same code (`scorePredictions`) on the same train and test sequences, and the
 * tables are written in the paper's layout beside its numbers and the published reproduction's.
 *
 * Each cell (`SYSTEM/MODEL`) is an independent, deterministic, resumable job in its own folder of
 * a table folder: a finished cell (its `cell.json`) is never recomputed, an interrupted one resumes
 * from its newest checkpoint. `cli.ts table` is this module behind flags.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../deps/tf.ts";
import { datasetSpec, generator, type NoiseMode, type Split } from "../data/dataset.ts";
import { type ExampleReader, generatedReader } from "../data/reader.ts";
import { pathExists, writeTextAtomic } from "../io/atomic.ts";
import { listCheckpoints } from "../io/checkpoint.ts";
import { lineChart, reportHtml } from "../io/report.ts";
import { claimRunDir, writeRunConfig } from "../io/run.ts";
import type { HgnConfig } from "../models/hgn/config.ts";
import { hgn } from "../models/hgn/model.ts";
import { validPredictionFrames } from "../models/hgn/metrics.ts";
import type { FramePredictorModel } from "../models/model.ts";
import { pixelHnn, pixelHnnConfig } from "../models/pixel_hnn/model.ts";
import type { Params } from "../tensor/params.ts";
import { systemByName } from "../systems/registry.ts";
import type { BackendRequest } from "../tensor/backend.ts";
import { scorePredictions, toBatch } from "../tensor/frames.ts";
import { frameWindows, sequenceBytes } from "../train/sources.ts";
import { disposeState, initState } from "../train/state.ts";
import {
  claimRunFolder,
  type FitCallbacks,
  fitRun,
  type FitRunResult,
  readRunJson,
  resumeState,
  tookOverMessage,
} from "./fit.ts";
import { openReader, readSettings, trainHgn } from "./hgn.ts";
import {
  checkMemory,
  type HgnRunChoices,
  hgnRunSettings,
  type RunSettings,
} from "./hgn_settings.ts";

/** The systems of the paper, in its column order. */
export const TABLE_SYSTEMS = ["mass-spring", "pendulum", "two-body", "three-body"] as const;

/** A column of Table 1. */
export type TableSystem = (typeof TABLE_SYSTEMS)[number];

/** A trained cell: how its fit stopped, and its frame predictor over the trained weights. */
export interface TrainedCell {
  readonly fit: FitRunResult;
  readonly predict: Predictor;
  readonly dispose: () => void;
}

/** What a row's `train` gets: the cell, its run folder and the table's data reader. */
export interface TableCellContext extends FitCallbacks {
  readonly settings: TableSettings;
  readonly system: TableSystem;
  /** the row's name (its folder in the table) */
  readonly model: string;
  readonly backend: BackendRequest;
  /** the cell's run folder: checkpoints, metrics, config */
  readonly runDir: string;
  /** the table's train and test sequences of this system (31 frames of 32 px) */
  readonly reader: ExampleReader;
}

/**
 * A row of a table: how its cell trains (or resumes) to the table's budget, and the frame
 * predictor that the table's one scorer scores. The paper's rows are {@link TABLE_MODELS}; a
 * script adds its own (a {@link frameModelRow} over any frame-predicting model record).
 */
export interface TableRow {
  readonly label: string;
  /** `hgn`: trains as `train` does ({@link hgnRow}); `frame-model`: a record under `fitRun` */
  readonly kind: "hgn" | "frame-model";
  readonly train: (cell: TableCellContext) => Promise<TrainedCell>;
}

/** An HGN row: its variant over the small preset, trained on the table's recipe. */
export interface HgnTableRow extends TableRow {
  readonly kind: "hgn";
  readonly model: Partial<HgnConfig>;
}

/** A row of the HGN variant `model` (over the small preset), trained as `train` trains it. */
export const hgnRow = (label: string, model: Partial<HgnConfig>): HgnTableRow => ({
  label,
  kind: "hgn",
  model,
  train: (cell) => hgnCell(cell, model),
});

/** How a {@link frameModelRow} trains its record. */
export interface FrameModelRowOptions<C, P extends Params> {
  readonly label: string;
  /** the record: trained on windows of `frames` consecutive frames, scored by `predictFrames` */
  readonly model: FramePredictorModel<C, P, tf.Tensor5D>;
  /** the model's config on a system (plain JSON: a resumed cell must have the same) */
  readonly config: (system: TableSystem) => C;
  /** frames per training example (a window of each sequence, at a seeded start) */
  readonly frames: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

/**
 * A row for any frame-predicting model record: Adam at `learningRate` on batches of
 * `batchSize` windows of `frames` frames, `fitRun`'s checkpoints and resume, gradient workers
 * from the record's `origin`; scored through the record's `predictFrames`.
 */
export const frameModelRow = <C, P extends Params>(
  o: FrameModelRowOptions<C, P>,
): TableRow => ({
  label: o.label,
  kind: "frame-model",
  train: (cell) => frameModelCell(cell, o),
});

/** A row of Table 1. */
export type TableModel =
  | "hnn"
  | "hnn-conv"
  | "hgn-euler"
  | "hgn-determ"
  | "hgn-no-fpsi"
  | "hgn-leapfrog";

/** The rows of Table 1, in the paper's order, and how each trains. */
export const TABLE_MODELS: Readonly<Record<TableModel, TableRow>> = {
  "hnn": frameModelRow({
    label: "HNN",
    model: pixelHnn,
    config: (system) => pixelHnnConfig("mlp", 2 * systemByName(system).dim),
    frames: 3,
    batchSize: 64,
    learningRate: 1e-3,
  }),
  "hnn-conv": frameModelRow({
    label: "HNN (conv)",
    model: pixelHnn,
    config: (system) => pixelHnnConfig("conv", 2 * systemByName(system).dim),
    frames: 3,
    batchSize: 64,
    learningRate: 1e-3,
  }),
  "hgn-euler": hgnRow("HGN Euler", { deterministic: false, integrator: "euler" }),
  "hgn-determ": hgnRow("HGN determ", { deterministic: true }),
  "hgn-no-fpsi": hgnRow("HGN no f_psi", { deterministic: false, fpsi: false }),
  "hgn-leapfrog": hgnRow("HGN leapfrog", { deterministic: false }),
};
/** The two protocols: what the encoder sees. */
export const PROTOCOLS = {
  /** the encoder sees all 31 frames and the 30-step unroll is scored on them (hgn_paper_config) */
  "autoencode": { inputFrames: 31 },
  /** the encoder sees the first 5 frames; the rest of the 30-step unroll is prediction */
  "5-frame": { inputFrames: 5 },
} as const;
/** What the encoder sees. */
export type Protocol = keyof typeof PROTOCOLS;

/**
 * How the HGN rows train, in shares of the budget so that any `--budget` keeps the proportions.
 * `30-step` (the default): `train`'s small recipe, 30-step rollouts reached by a curriculum (10
 * steps for 5/12 of the updates, growing to 30 over 1/6), 11 scored frames per update, latent
 * consistency (weight 1e-4, two windows) from the end of the 10-step phase. `10-step`: what the
 * tables measured before it (docs/results.md): 10-step rollouts under the 5-frame protocol, 6
 * scored frames, no consistency. Pinned here, not read from the preset, so that a table folder
 * means one recipe whatever `train`'s default becomes.
 */
export const TABLE_RECIPES = {
  "30-step": {
    rolloutSteps: 30,
    framesPerUpdate: 11,
    curriculum: { from: 10, hold: 5 / 12, grow: 1 / 6 },
    consistency: { weight: 1e-4, windows: 2, start: 5 / 12 },
  },
  "10-step": { rolloutSteps: 10, framesPerUpdate: 6 },
} as const;
/** How the HGN rows train. */
export type Recipe = keyof typeof TABLE_RECIPES;

/** The choices of an HGN cell's recipe: rollout, scored frames, curriculum, consistency. */
export const recipeChoices = (
  recipe: Recipe,
  protocol: Protocol,
  budget: number,
): Pick<HgnRunChoices, "framesPerUpdate" | "curriculum" | "consistency"> & {
  readonly rolloutSteps: number;
} => {
  const r: {
    rolloutSteps: number;
    framesPerUpdate: number;
    curriculum?: { from: number; hold: number; grow: number };
    consistency?: { weight: number; windows: number; start: number };
  } = TABLE_RECIPES[recipe];
  const share = (x: number) => Math.round(x * budget);
  const c = r.curriculum;
  const k = r.consistency;
  return {
    // the autoencoding protocol always rolls out the 30 steps it scores
    rolloutSteps: protocol === "autoencode" ? 30 : r.rolloutSteps,
    framesPerUpdate: r.framesPerUpdate,
    curriculum: c
      ? { from: c.from, hold: share(c.hold), grow: share(c.grow) }
      : { hold: 0, grow: 0 },
    consistency: k
      ? { weight: k.weight, windows: k.windows, start: share(k.start) }
      : { weight: 0 },
  };
};
/** The paper's Table 1 (pixel MSE x1e4 over a 30-step unroll, train / test). */
export const PAPER_TABLE1: Readonly<Record<TableModel, readonly (readonly [number, number])[]>> = {
  "hnn": [[50.38, 104.37], [69.39, 64.62], [80.52, 78.9], [61.63, 57.54]],
  "hnn-conv": [[18.97, 119.09], [13.14, 106.07], [7.3, 120.71], [15.22, 62.77]],
  "hgn-euler": [[3.67, 6.2], [5.43, 10.93], [6.62, 15.06], [7.51, 9.4]],
  "hgn-determ": [[0.23, 3.07], [0.79, 10.68], [2.34, 14.47], [4.1, 5.17]],
  "hgn-no-fpsi": [[4.95, 7.04], [6.83, 13.98], [6.35, 16.49], [8.37, 10.41]],
  "hgn-leapfrog": [[3.84, 6.23], [4.9, 11.72], [6.36, 16.47], [7.88, 9.8]],
};

/** The paper's Table 2 (variance of the learned energy x1e4, train / test); null: not given. */
export const PAPER_TABLE2: Readonly<
  Partial<Record<TableModel, readonly (readonly [number, number] | null)[]>>
> = {
  "hgn-euler": [[157.28, 120.16], [135.53, 19.53], [405.83, 682.02], null],
  "hgn-leapfrog": [[1.38, 0.68], [3.15, 7.13], [0.15, 0.45], [0.31, 1.65]],
};

/** "[Re] Hamiltonian Generative Networks" (ReScience C 2021), HGN leapfrog, test x1e4. */
export const RESCIENCE_HGN_LEAPFROG: Readonly<Record<Protocol, readonly number[]>> = {
  "autoencode": [7.12, 14.97, 3.36, 8.81],
  "5-frame": [12.21, 44.12, 6.33, 3.35],
};

/**
 * The stochastic HGN rows' default KL warm-up, a fraction of the budget held at weight 0 and as
 * much again to reach 1. Measured (900 updates, mass-spring, small preset): with a third each the
 * stochastic variant leaves posterior collapse; with full weight from the start it does not.
 */
export const DEFAULT_KL_WARMUP = 1 / 3;

/** Everything a table run needs; every cell of a table folder shares it (`table.json` config). */
export interface TableSettings {
  readonly version: 1;
  readonly kind: "table";
  readonly protocol: Protocol;
  /** how the HGN rows train; a table folder written before the setting existed used `10-step` */
  readonly recipe: Recipe;
  readonly budget: number;
  readonly evalSize: number;
  readonly trainSize: number;
  readonly dataSeed: number;
  readonly seed: number;
  readonly noiseMode: NoiseMode;
  /** gradient workers per update (a different count changes results by float32 rounding) */
  readonly threads: number;
  /**
   * the stochastic HGN rows' KL warm-up as a fraction of the budget: weight 0 for that share of
   * the updates, then growing to 1 over as many more (`--kl-hold`/`--kl-grow` of `train`). A
   * table folder written before the setting existed had none (0).
   */
  readonly klWarmup: number;
}

/** The reader of a system's data for a table: generated from the seed, 31 frames of 32 px. */
const readerFor = (s: TableSettings, system: string): ExampleReader =>
  generatedReader(
    generator(datasetSpec({
      system,
      seed: s.dataSeed,
      steps: 30,
      size: 32,
      noiseMode: s.noiseMode,
    })),
    { train: s.trainSize, test: s.evalSize },
  );

/** A frame predictor as the table scores it: the observed frames in, predicted frames and the energy at each step out. */
export type Predictor = (frames: tf.Tensor5D) => { frames: tf.Tensor5D; energies: tf.Tensor2D };

/** Per-sequence numbers of one split. */
interface SplitScores {
  readonly mse: number[];
  readonly energyVariance: number[];
  readonly vpt: number[];
  readonly perStepMse: number[];
}

const scoreSplit = async (
  reader: ExampleReader,
  split: Split,
  count: number,
  predict: Predictor,
): Promise<SplitScores> => {
  const bytes = sequenceBytes(reader, split);
  const mse: number[] = [];
  const energyVariance: number[] = [];
  const vpt: number[] = [];
  const perStep = new Array(31).fill(0);
  for (let start = 0; start < count; start += 16) {
    const n = Math.min(16, count - start);
    const seqs = await Promise.all(Array.from({ length: n }, (_, i) => bytes(start + i)));
    const truth = toBatch(seqs, 31, 32);
    const out = predict(truth);
    const s = await scorePredictions(truth, out.frames, out.energies);
    tf.dispose([truth, out.frames, out.energies]);
    s.perStepMse.forEach((row) => {
      mse.push(row.reduce((a, b) => a + b, 0) / row.length);
      row.forEach((x, t) => (perStep[t] += x / count));
    });
    energyVariance.push(...s.energyVariance);
    vpt.push(...s.vptNormalisedMse.map((r) => validPredictionFrames(r)));
  }
  return { mse, energyVariance, vpt, perStepMse: perStep };
};

const meanStd = (xs: readonly number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance) };
};

/** What a finished cell writes to `cell.json`: a pure function of the settings and the cell. */
export interface CellResult {
  readonly system: string;
  readonly model: string;
  readonly protocol: Protocol;
  readonly budget: number;
  readonly sequences: number;
  readonly splits: Readonly<
    Record<Split, {
      /** pixel MSE over the 31 frames of the unroll, per sequence: mean and std */
      readonly mse: { readonly mean: number; readonly std: number };
      /** variance of the learned energy along each rollout: mean and std */
      readonly energyVariance: { readonly mean: number; readonly std: number };
      /** valid prediction time (reference definition), frames */
      readonly vpt: number;
      /** figure 6: MSE per step, averaged over sequences */
      readonly perStepMse: readonly number[];
    }>
  >;
}

const summarise = (s: SplitScores) => ({
  mse: meanStd(s.mse),
  energyVariance: meanStd(s.energyVariance),
  vpt: meanStd(s.vpt).mean,
  perStepMse: s.perStepMse,
});

/** The updates a stochastic HGN row holds its KL at weight 0, and then takes to reach 1. */
const warmupUpdates = (s: TableSettings): number => Math.floor(s.klWarmup * s.budget);

/**
 * The settings of an HGN cell: its row's model over the small preset, on the table's recipe,
 * budget, data and seeds.
 */
export const hgnCellSettings = (
  s: TableSettings,
  system: TableSystem,
  model: TableModel | Partial<HgnConfig>,
  backend: BackendRequest,
): RunSettings => {
  const named: TableRow | undefined = typeof model === "string" ? TABLE_MODELS[model] : undefined;
  if (named && named.kind !== "hgn") throw new RangeError(`${model} is not an HGN row`);
  const row: Partial<HgnConfig> = named
    ? (named as HgnTableRow).model
    : model as Partial<HgnConfig>;
  const { rolloutSteps, ...recipe } = recipeChoices(s.recipe, s.protocol, s.budget);
  const warmup = warmupUpdates(s);
  return hgnRunSettings({
    steps: s.budget,
    model: { ...row, inputFrames: PROTOCOLS[s.protocol].inputFrames, rolloutSteps },
    ...recipe,
    // explicit even when 0: the small preset has a warm-up of its own
    ...(row.deterministic === false ? { klWarmup: { hold: warmup, grow: warmup } } : {}),
    train: { seed: s.seed, trainSize: s.trainSize },
    data: { system, seed: s.dataSeed, noiseMode: s.noiseMode },
    // the table scores its own unroll; a cell needs no extrapolation of train's
    run: { testSize: s.evalSize, extrapolateSteps: 0, backend, threads: s.threads },
  });
};

/** A run folder's `config.json` that does not describe the cell it sits in. */
export class TableFolderError extends RangeError {
  override name = "TableFolderError";
}

/** Trains (or resumes) an HGN cell, as `train` would, and returns its predictor. */
const hgnCell = async (
  o: TableCellContext,
  model: Partial<HgnConfig>,
): Promise<TrainedCell> => {
  const { settings: s, system, runDir } = o;
  const resumed = await startedRun(runDir);
  let settings: RunSettings;
  if (resumed) {
    // the run's own settings, on this invocation's backend and workers
    const saved = await readSettings(runDir);
    settings = { ...saved, run: { ...saved.run, backend: o.backend, threads: s.threads } };
  } else {
    settings = hgnCellSettings(s, system, model, o.backend);
  }
  checkMemory(settings, Deno.systemMemoryInfo().total);
  const reader = await openReader(settings);
  if (!resumed) await claimRunDir({ dir: runDir });
  const lock = await claimRunFolder(runDir);
  const took = tookOverMessage(lock);
  if (took) o.onMessage?.(took);
  let trained;
  try {
    trained = await trainHgn({ ...o, dir: runDir, settings, reader, resumed, holdsLock: true });
  } finally {
    await lock.release();
  }
  const { state, fit } = trained;
  return {
    fit,
    predict: (frames) => hgn.predictFrames(settings.objective, state.params, frames, 30),
    dispose: () => disposeState(state),
  };
};

/** Trains (or resumes) a frame-model cell and returns its predictor. */
const frameModelCell = async <C, P extends Params>(
  o: TableCellContext,
  row: FrameModelRowOptions<C, P>,
): Promise<TrainedCell> => {
  const { settings: s, system, model, runDir } = o;
  const config = row.config(system);
  const options = {
    learningRate: row.learningRate,
    seed: s.seed,
    context: {
      batchSize: row.batchSize,
      data: { system, seed: s.dataSeed, noiseMode: s.noiseMode },
    },
  };
  const resumed = await startedRun(runDir);
  let state;
  if (resumed) {
    const saved = await readRunJson(runDir) as { config?: unknown };
    if (JSON.stringify(saved.config) !== JSON.stringify(config)) {
      throw new TableFolderError(`${runDir}/config.json does not describe this cell's model`);
    }
    state = await resumeState(row.model, runDir, { config, options });
    o.onMessage?.(`resuming ${runDir} at step ${state.step}`);
  } else {
    await Deno.mkdir(runDir, { recursive: true });
    await writeRunConfig(runDir, { kind: "table-cell", model, config, options });
    state = initState(row.model, config, options);
  }
  let fit;
  try {
    fit = await fitRun({
      ...o,
      dir: runDir,
      state,
      source: frameWindows(o.reader, { seed: s.seed, batchSize: row.batchSize }, row.frames),
      workers: { threads: s.threads, batchSize: row.batchSize },
      schedule: { steps: s.budget, minutes: 0, logEvery: 10, checkpointEvery: 200, keep: 2 },
      resumed,
    });
  } catch (e) {
    disposeState(state);
    throw e;
  }
  const params = state.params;
  return {
    fit,
    predict: (frames) => row.model.predictFrames(config, params, frames, 30),
    dispose: () => disposeState(state),
  };
};

/** One cell of a table folder, and how the caller follows it. */
export interface TableCellOptions extends FitCallbacks {
  readonly settings: TableSettings;
  /** the table folder */
  readonly out: string;
  readonly system: TableSystem;
  /** the row's name: its folder, and its key in `cell.json` */
  readonly model: string;
  /** how the row trains (default: the paper's row of that name, {@link TABLE_MODELS}) */
  readonly row?: TableRow;
  readonly backend: BackendRequest;
}

/** The row of a cell: the caller's, else the paper's row of that name. */
const rowOf = (o: { readonly model: string; readonly row?: TableRow }): TableRow => {
  if (o.row) return o.row;
  if (!Object.hasOwn(TABLE_MODELS, o.model)) {
    throw new RangeError(
      `unknown table row '${o.model}'; accepted: ${
        Object.keys(TABLE_MODELS).join(", ")
      } (or pass the row)`,
    );
  }
  return TABLE_MODELS[o.model as TableModel];
};

/** A finished cell's file in the table folder `out`. */
export const cellFile = (out: string, system: TableSystem, model: string): string =>
  join(out, system, model, "cell.json");

/** A trained (or stopped) cell: its fit, and its scores once it ran to the end. */
export interface TableCellRun {
  readonly fit: FitRunResult;
  /** absent when the fit stopped before the budget (e.g. the caller's signal) */
  readonly result?: CellResult;
}

/**
 * Trains (or resumes) one cell to its budget and scores it on the table's train and test
 * sequences with the table's one scorer, writing `cell.json`; a cell stopped early (the caller's
 * `shouldStop`) keeps its checkpoint and writes no scores. Check {@link cellFile} first: a
 * finished cell is never recomputed.
 */
export const runTableCell = async (o: TableCellOptions): Promise<TableCellRun> => {
  const { settings: s, system, model } = o;
  const dir = join(o.out, system, model);
  await Deno.mkdir(dir, { recursive: true });
  const reader = readerFor(s, system);
  const runDir = join(dir, "run");
  const cell = await rowOf(o).train({ ...o, runDir, reader });
  try {
    if (cell.fit.stop.kind !== "steps") return { fit: cell.fit };
    const result: CellResult = {
      system,
      model,
      protocol: s.protocol,
      budget: s.budget,
      sequences: s.evalSize,
      splits: {
        train: summarise(await scoreSplit(reader, "train", s.evalSize, cell.predict)),
        test: summarise(await scoreSplit(reader, "test", s.evalSize, cell.predict)),
      },
    };
    await writeTextAtomic(cellFile(o.out, system, model), JSON.stringify(result, null, 2) + "\n");
    return { fit: cell.fit, result };
  } finally {
    cell.dispose();
  }
};
/**
 * Whether a cell's run folder holds a checkpoint to resume from. A folder stopped before its
 * first checkpoint holds nothing worth keeping (a config and a few metric lines): it is removed,
 * and the cell starts over, as it would have.
 */
const startedRun = async (runDir: string): Promise<boolean> => {
  if (!await pathExists(runDir)) return false;
  if ((await listCheckpoints(join(runDir, "checkpoints"))).length > 0) return true;
  await Deno.remove(runDir, { recursive: true });
  return false;
};

/**
 * The static predictor of a split: each sequence's own mean frame at every step, scored by the
 * same scorer as the cells. A model that does not beat it has not learned the dynamics.
 */
export const staticPredictor = (
  frames: tf.Tensor5D,
): { frames: tf.Tensor5D; energies: tf.Tensor2D } =>
  tf.tidy(() => ({
    frames: tf.mul(tf.mean(frames, 1, true), tf.onesLike(frames)) as tf.Tensor5D,
    energies: tf.zeros([frames.shape[0], frames.shape[1]]) as tf.Tensor2D,
  }));

/** The static predictor's scores on a system's table splits (a pure function of the data). */
export interface StaticScores {
  readonly system: string;
  readonly splits: Readonly<
    Record<
      Split,
      {
        readonly mse: { readonly mean: number; readonly std: number };
        readonly perStepMse: readonly number[];
      }
    >
  >;
}

const staticScores = async (s: TableSettings, system: string): Promise<StaticScores> => {
  const reader = readerFor(s, system);
  const split = async (name: Split) => {
    const { mse, perStepMse } = summarise(
      await scoreSplit(reader, name, s.evalSize, staticPredictor),
    );
    return { mse, perStepMse };
  };
  return { system, splits: { train: await split("train"), test: await split("test") } };
};

const x1e4 = (v: { mean: number; std: number }) =>
  `${(v.mean * 1e4).toFixed(2)} ± ${(v.std * 1e4).toFixed(2)}`;

/**
 * Writes `table.md`, `table.json` and `report.html` from the cells present under `out`, one row
 * per entry of `rows` (default: the paper's; a script passes its own beside them). The paper's
 * numbers stand under each of its rows.
 */
export const assembleTable = async (
  s: TableSettings,
  out: string,
  rows: Readonly<Record<string, TableRow>> = TABLE_MODELS,
): Promise<string> => {
  const names = Object.keys(rows);
  const paperRow = (m: string): m is TableModel => Object.hasOwn(PAPER_TABLE1, m);
  const cells: CellResult[] = [];
  for (const system of TABLE_SYSTEMS) {
    for (const model of names) {
      try {
        cells.push(JSON.parse(await Deno.readTextFile(join(out, system, model, "cell.json"))));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  }
  const find = (system: string, model: string) =>
    cells.find((c) => c.system === system && c.model === model);
  const statics: StaticScores[] = [];
  for (const system of TABLE_SYSTEMS) {
    if (cells.some((c) => c.system === system)) statics.push(await staticScores(s, system));
  }
  const still = (system: string) => statics.find((x) => x.system === system);
  const header = `| model | ${TABLE_SYSTEMS.join(" | ")} |\n|---|${
    "---|".repeat(TABLE_SYSTEMS.length)
  }`;
  const lines = (value: (c: CellResult) => string, paper: (m: TableModel, i: number) => string) =>
    names.flatMap((m) => [
      `| ${rows[m].label} (ours) | ${
        TABLE_SYSTEMS.map((sys) => {
          const c = find(sys, m);
          return c ? value(c) : "–";
        }).join(" | ")
      } |`,
      ...(paperRow(m)
        ? [`| ${rows[m].label} (paper) | ${TABLE_SYSTEMS.map((_, i) => paper(m, i)).join(" | ")} |`]
        : []),
    ]).join("\n");
  const md = `# Tables 1 and 2, protocol "${s.protocol}", ${s.budget} updates per cell

Generated by \`cli.ts table\` (${cells.length} of ${
    TABLE_SYSTEMS.length * names.length
  } cells present). Data: generated from seed ${s.dataSeed}, noise mode ${s.noiseMode}, 32 px, 31
frames; scores over the first ${s.evalSize} train and test sequences, a 30-step unroll (31
frames), mean ± std over sequences. The encoder sees ${
    s.protocol === "autoencode" ? "all 31 frames" : "the first 5 frames (HNNs: the first pair)"
  }. The HGN rows trained on ${
    s.recipe === "30-step"
      ? "30-step rollouts (10 steps for 5/12 of the updates, then growing to 30 over 1/6; 11 scored frames per update; latent consistency 1e-4 from the end of the 10-step phase)"
      : `${s.protocol === "autoencode" ? 30 : 10}-step rollouts scoring 6 frames per update`
  }. The paper trained 15,000 updates per row; these rows had ${s.budget}${
    s.klWarmup > 0
      ? `; the stochastic HGN rows' KL weight was 0 for the first ${
        warmupUpdates(s)
      } and reached 1 over as many more`
      : ""
  }.

## Table 1: pixel MSE x1e4 (train / test)

${header}
${
    lines(
      (c) => `${x1e4(c.splits.train.mse)} / ${x1e4(c.splits.test.mse)}`,
      (m, i) => `${PAPER_TABLE1[m][i][0]} / ${PAPER_TABLE1[m][i][1]}`,
    )
  }
| static (mean frame) | ${
    TABLE_SYSTEMS.map((sys) => {
      const x = still(sys);
      return x ? `${x1e4(x.splits.train.mse)} / ${x1e4(x.splits.test.mse)}` : "–";
    }).join(" | ")
  } |

The static row predicts each sequence's own mean frame at every step (it sees the whole
sequence): a model that does not beat it has not learned the dynamics.

Published reproduction ([Re] HGN, ReScience C 2021), HGN leapfrog, protocol "${s.protocol}", test
x1e4: ${
    TABLE_SYSTEMS.map((sys, i) => `${sys} ${RESCIENCE_HGN_LEAPFROG[s.protocol][i]}`).join(", ")
  }.

## Table 2: variance of the learned energy along a rollout x1e4 (train / test)

${header}
${
    lines(
      (c) => `${x1e4(c.splits.train.energyVariance)} / ${x1e4(c.splits.test.energyVariance)}`,
      (m, i) => {
        const v = PAPER_TABLE2[m]?.[i];
        return v ? `${v[0]} / ${v[1]}` : "–";
      },
    )
  }

## Static MSE over model MSE (test; above 1: better than the mean frame)

${header}
${
    names.map((m) =>
      `| ${rows[m].label} | ${
        TABLE_SYSTEMS.map((sys) => {
          const c = find(sys, m);
          const x = still(sys);
          return c && x ? `${(x.splits.test.mse.mean / c.splits.test.mse.mean).toFixed(2)}x` : "–";
        }).join(" | ")
      } |`
    ).join("\n")
  }

## Valid prediction time (test, frames of 31)

${header}
${
    names.map((m) =>
      `| ${rows[m].label} | ${
        TABLE_SYSTEMS.map((sys) => find(sys, m)?.splits.test.vpt.toFixed(1) ?? "–").join(" | ")
      } |`
    ).join("\n")
  }
`;
  await writeTextAtomic(join(out, "table.md"), md);
  await writeTextAtomic(
    join(out, "table.json"),
    JSON.stringify(
      {
        settings: s,
        cells,
        static: statics,
        paper: { table1: PAPER_TABLE1, table2: PAPER_TABLE2 },
      },
      null,
      2,
    ) +
      "\n",
  );
  const charts = TABLE_SYSTEMS.filter((sys) => cells.some((c) => c.system === sys)).map((sys) =>
    lineChart(
      `figure 6: test MSE per step, ${sys}`,
      [
        ...cells.filter((c) => c.system === sys).map((c) => ({
          name: rows[c.model]?.label ?? c.model,
          points: c.splits.test.perStepMse.map((y, t) => [t, y] as [number, number]),
        })),
        {
          name: "static (mean frame)",
          points: still(sys)!.splits.test.perStepMse.map((y, t) => [t, y] as [number, number]),
        },
      ],
      { log: true, xLabel: "step" },
    )
  );
  await writeTextAtomic(
    join(out, "report.html"),
    reportHtml({
      title: `Tables 1 and 2 (${s.protocol}, ${s.budget} updates)`,
      summary: [["cells", String(cells.length)], ["table", "table.md"]],
      charts,
      images: [],
    }),
  );
  return md;
};

/** Reads or writes the table folder's `settings.json`; a folder holds one table's cells. */
export const claimTable = async (s: TableSettings, out: string): Promise<void> => {
  const file = join(out, "settings.json");
  await Deno.mkdir(out, { recursive: true });
  try {
    await Deno.writeTextFile(file, JSON.stringify(s, null, 2) + "\n", { createNew: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    // a folder from before the KL warm-up setting trained without one, and on 10-step rollouts
    const saved = { klWarmup: 0, recipe: "10-step", ...JSON.parse(await Deno.readTextFile(file)) };
    const diff = (Object.keys(s) as (keyof TableSettings)[]).find((k) =>
      JSON.stringify(saved[k]) !== JSON.stringify(s[k])
    );
    if (diff !== undefined) {
      throw new TableFolderError(
        `${out} holds a table with ${diff} ${JSON.stringify(saved[diff!])}, not ${
          JSON.stringify(s[diff!])
        }`,
      );
    }
  }
};
