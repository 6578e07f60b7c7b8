/**
 * `cli.ts table`: the paper's comparison (Tables 1 and 2, figure 6). Every row of Table 1 (the
 * pixel HNN baselines and the HGN variants) trains on every system with the same data and
 * update budget, is scored by the same code (`scorePredictions`) on the same train and test
 * sequences, and the tables are written in the paper's layout beside its numbers and the
 * published reproduction's.
 *
 * Each cell (`SYSTEM/MODEL`) is an independent, deterministic, resumable job in its own folder
 * under `--out`: a finished cell (its `cell.json`) is never recomputed, an interrupted one
 * resumes from its newest checkpoint, and `--cell SYSTEM/MODEL` runs one cell alone (a job index
 * on a cluster, see docs/scale-out.md). Without `--cell` the command runs every missing cell in
 * order, then assembles `table.md`, `table.json` and `report.html` from whatever cells exist.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../lib/deps/tf.ts";
import { datasetSpec, generator, type NoiseMode, type Split } from "../lib/data/dataset.ts";
import { type ExampleReader, generatedReader } from "../lib/data/order.ts";
import { pathExists, writeTextAtomic } from "../lib/io/atomic.ts";
import { listCheckpoints } from "../lib/io/checkpoint.ts";
import { lineChart, reportHtml } from "../lib/io/report.ts";
import { claimRunDir, writeRunConfig } from "../lib/io/run.ts";
import { applyHgn } from "../lib/models/hgn/model.ts";
import { validPredictionFrames } from "../lib/models/hgn/metrics.ts";
import {
  pixelHnn,
  type PixelHnnConfig,
  pixelHnnConfig,
  type PixelHnnParams,
  predictPixelHnn,
} from "../lib/models/pixel_hnn/model.ts";
import { systemByName } from "../lib/systems/registry.ts";
import { type BackendRequest, backendRequests, useBackend } from "../lib/tensor/backend.ts";
import { scorePredictions, toBatch } from "../lib/tensor/frames.ts";
import { frameWindows, sequenceBytes } from "../lib/train/sources.ts";
import { disposeState, initState, type StepMetrics } from "../lib/train/state.ts";
import { defaultThreads, readRunJson, resumeState } from "../lib/runs/fit.ts";
import { consoleFit, runFit, shellQuote, signalStatus, takeRunLock } from "./fit_run.ts";
import { openReader, readSettings, trainHgn } from "../lib/runs/hgn.ts";
import type { RunSettings } from "../lib/runs/hgn_settings.ts";
import { checkMemoryFlags, settingsFromFlags, type TrainFlags } from "./hgn_settings.ts";
import { describeHgn } from "./train.ts";
import { intFlag, numberFlag, type Options, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary = "Tables 1 and 2: HNN baselines and HGN variants on every system";

/** The systems of the paper, in its column order. */
export const TABLE_SYSTEMS = ["mass-spring", "pendulum", "two-body", "three-body"] as const;

/** The rows of Table 1, in the paper's order, and how each trains. */
export const TABLE_MODELS = {
  "hnn": { label: "HNN", kind: "pixel-hnn", flags: {} },
  "hnn-conv": { label: "HNN (conv)", kind: "pixel-hnn", flags: {} },
  "hgn-euler": {
    label: "HGN Euler",
    kind: "hgn",
    flags: { stochastic: true, integrator: "euler" },
  },
  "hgn-determ": { label: "HGN determ", kind: "hgn", flags: { deterministic: true } },
  "hgn-no-fpsi": {
    label: "HGN no f_psi",
    kind: "hgn",
    flags: { stochastic: true, "no-fpsi": true },
  },
  "hgn-leapfrog": { label: "HGN leapfrog", kind: "hgn", flags: { stochastic: true } },
} as const satisfies Record<string, { label: string; kind: string; flags: TrainFlags }>;

type TableModel = keyof typeof TABLE_MODELS;
type TableSystem = (typeof TABLE_SYSTEMS)[number];

/** The two protocols: what the encoder sees. */
export const PROTOCOLS = {
  /** the encoder sees all 31 frames and the 30-step unroll is scored on them (hgn_paper_config) */
  "autoencode": { inputFrames: 31 },
  /** the encoder sees the first 5 frames; the rest of the 30-step unroll is prediction */
  "5-frame": { inputFrames: 5 },
} as const;
type Protocol = keyof typeof PROTOCOLS;

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
type Recipe = keyof typeof TABLE_RECIPES;

/** The `train` flags of an HGN cell's recipe: rollout, scored frames, curriculum, consistency. */
export const recipeFlags = (
  recipe: Recipe,
  protocol: Protocol,
  budget: number,
): TrainFlags => {
  const r: {
    rolloutSteps: number;
    framesPerUpdate: number;
    curriculum?: { from: number; hold: number; grow: number };
    consistency?: { weight: number; windows: number; start: number };
  } = TABLE_RECIPES[recipe];
  const share = (x: number) => String(Math.round(x * budget));
  // the autoencoding protocol always rolls out the 30 steps it scores
  const steps = protocol === "autoencode" ? 30 : r.rolloutSteps;
  const c = r.curriculum;
  const k = r.consistency;
  return {
    "rollout-steps": String(steps),
    "frames-per-update": String(r.framesPerUpdate),
    ...(c
      ? {
        "rollout-start": String(c.from),
        "rollout-hold": share(c.hold),
        "rollout-grow": share(c.grow),
      }
      : { "rollout-hold": "0", "rollout-grow": "0" }),
    ...(k
      ? {
        "consistency-weight": String(k.weight),
        "consistency-windows": String(k.windows),
        "consistency-start": share(k.start),
      }
      : { "consistency-weight": "0" }),
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

/** The flags of the command. */
export const options = {
  systems: { type: "string" },
  models: { type: "string" },
  cell: { type: "string" },
  assemble: { type: "boolean" },
  budget: { type: "string" },
  protocol: { type: "string" },
  recipe: { type: "string" },
  "eval-size": { type: "string" },
  "train-size": { type: "string" },
  "data-seed": { type: "string" },
  seed: { type: "string" },
  threads: { type: "string" },
  "kl-warmup": { type: "string" },
  "noise-mode": { type: "string" },
  backend: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

const HELP =
  `usage: deno run --allow-read --allow-write=runs --allow-sys=systemMemoryInfo cli.ts table [flags]
Trains every row of Table 1 (${Object.keys(TABLE_MODELS).join(", ")})
on every system (${TABLE_SYSTEMS.join(", ")}) with the same data and update budget, scores each
on the same train and test sequences (30-step unroll), and writes table.md, table.json and
report.html in --out beside the paper's numbers. Finished cells are never recomputed.
  --systems all|S,S,...   (all)         --models all|M,M,...   (all)
  --cell SYSTEM/MODEL     run this one cell only (a job index on a cluster)
  --assemble              train nothing: write the tables from the cells already done
  --budget N (300)        updates per cell
  --protocol 5-frame|autoencode (5-frame): the encoder sees the first 5 frames, or all 31
  --recipe 30-step|10-step (30-step): the HGN rows train on 30-step rollouts (train's recipe:
                          a 10-step phase, a curriculum, latent consistency) or on 10 steps
  --eval-size N (64)      train and test sequences scored per cell
  --train-size N (50000)  --data-seed N (0)  --seed N (0)  --noise-mode initial|observation|none (initial)
  --threads N (every core) gradient workers per update; part of the table's settings
  --kl-warmup F (0.33)    stochastic HGN rows: KL weight 0 for F x budget updates, then reaching 1
                          over F x budget more (0: full weight from the start)
  --backend auto|webgpu|wasm|cpu   --out DIR (runs/table-<protocol>-<recipe>-<budget>)`;

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

const parseList = <T extends string>(
  flag: string,
  value: string | undefined,
  accepted: readonly T[],
): T[] => {
  if (value === undefined || value === "all") return [...accepted];
  const items = value.split(",").map((s) => s.trim());
  for (const item of items) {
    if (!(accepted as readonly string[]).includes(item)) {
      throw new UsageError(
        `--${flag}: unknown '${item}'; accepted: all, ${accepted.join(", ")}`,
      );
    }
  }
  return [...new Set(items)] as T[];
};

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

/** Predicted frames and energies of a cell's model for a batch of 31-frame sequences. */
type Predictor = (frames: tf.Tensor5D) => { frames: tf.Tensor5D; energies: tf.Tensor2D };

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

/** The settings of an HGN cell: its row's flags on the table's recipe, budget, data and seeds. */
const hgnCellSettings = (
  s: TableSettings,
  system: TableSystem,
  model: TableModel,
  backend: string,
): RunSettings => {
  const row: TrainFlags = TABLE_MODELS[model].flags;
  const warmup = String(warmupUpdates(s));
  return settingsFromFlags({
    ...row,
    // explicit even when 0: the small preset has a warm-up of its own
    ...(row.stochastic ? { "kl-hold": warmup, "kl-grow": warmup } : {}),
    system,
    steps: String(s.budget),
    "input-frames": String(PROTOCOLS[s.protocol].inputFrames),
    ...recipeFlags(s.recipe, s.protocol, s.budget),
    seed: String(s.seed),
    "data-seed": String(s.dataSeed),
    "train-size": String(s.trainSize),
    "test-size": String(s.evalSize),
    "noise-mode": s.noiseMode,
    // the table scores its own unroll; a cell needs no extrapolation of train's
    "extrapolate-steps": "0",
    backend,
    threads: String(s.threads),
  });
};

/** Trains (or resumes) an HGN cell, as `train` would, and returns its predictor. */
const hgnCell = async (
  s: TableSettings,
  system: TableSystem,
  model: TableModel,
  dir: string,
  backend: string,
  again: string,
): Promise<{ status: number; predict?: Predictor; dispose?: () => void }> => {
  const runDir = join(dir, "run");
  const resumed = await startedRun(runDir);
  let settings: RunSettings;
  if (resumed) {
    // the run's own settings, on this invocation's backend and workers
    const saved = await readSettings(runDir);
    settings = {
      ...saved,
      run: { ...saved.run, backend: backend as BackendRequest, threads: s.threads },
    };
  } else {
    settings = hgnCellSettings(s, system, model, backend);
  }
  checkMemoryFlags(settings, Deno.systemMemoryInfo().total);
  const reader = await openReader(settings);
  if (!resumed) await claimRunDir({ dir: runDir });
  const lock = await takeRunLock("table", runDir);
  let trained;
  try {
    trained = await consoleFit(
      {
        command: "table",
        resumeCommand: again,
        dir: runDir,
        steps: settings.run.steps,
        describe: describeHgn,
      },
      (callbacks) =>
        trainHgn({ dir: runDir, settings, reader, resumed, holdsLock: true, ...callbacks }),
    );
  } finally {
    await lock.release();
  }
  const { state, signal } = trained;
  if (signal !== undefined) {
    disposeState(state);
    return { status: signalStatus(signal) };
  }
  const config = settings.objective.model;
  return {
    status: 0,
    predict: (frames) =>
      tf.tidy(() => {
        const out = applyHgn(config, state.params, frames, { seed: 0, sample: false, steps: 30 });
        return { frames: out.frames, energies: out.energies };
      }),
    dispose: () => disposeState(state),
  };
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

/** The config of a pixel HNN cell. */
const pixelConfig = (system: string, model: TableModel): PixelHnnConfig =>
  pixelHnnConfig(model === "hnn" ? "mlp" : "conv", 2 * systemByName(system).dim);

/** Trains (or resumes) a pixel HNN cell and returns its predictor. */
const pixelCell = async (
  s: TableSettings,
  system: TableSystem,
  model: TableModel,
  dir: string,
  reader: ExampleReader,
  again: string,
): Promise<{ status: number; predict?: Predictor; dispose?: () => void }> => {
  const runDir = join(dir, "run");
  const config = pixelConfig(system, model);
  const options = {
    learningRate: 1e-3,
    seed: s.seed,
    context: { batchSize: 64, data: { system, seed: s.dataSeed, noiseMode: s.noiseMode } },
  };
  const resumed = await startedRun(runDir);
  let state;
  if (resumed) {
    const saved = await readRunJson(runDir) as { config?: unknown };
    if (JSON.stringify(saved.config) !== JSON.stringify(config)) {
      throw new UsageError(`${runDir}/config.json does not describe this cell's model`);
    }
    state = await resumeState(pixelHnn, runDir, { config, options });
    console.log(`table: resuming ${runDir} at step ${state.step}`);
  } else {
    await Deno.mkdir(runDir, { recursive: true });
    await writeRunConfig(runDir, { kind: "table-cell", model, config, options });
    state = initState(pixelHnn, config, options);
  }
  const fmt = (x: number) => x.toExponential(3);
  const result = await runFit({
    command: "table",
    resumeCommand: again,
    dir: runDir,
    state,
    source: frameWindows(reader, { seed: s.seed, batchSize: 64 }, 3),
    workers: {
      model: {
        module: new URL("../lib/models/pixel_hnn/model.ts", import.meta.url).href,
        name: "pixelHnn",
      },
      threads: s.threads,
      batchSize: 64,
    },
    schedule: { steps: s.budget, minutes: 0, logEvery: 10, checkpointEvery: 200, keep: 2 },
    resumed,
    describe: (m: StepMetrics) => `ae ${fmt(m.ae)} cc ${fmt(m.cc)} hnn ${fmt(m.hnn)}`,
  });
  if (result.signal !== undefined) {
    disposeState(state);
    return { status: signalStatus(result.signal) };
  }
  const params = state.params as PixelHnnParams;
  return {
    status: 0,
    predict: (frames) => {
      const out = predictPixelHnn(config, params, frames, 30);
      out.states.dispose();
      return { frames: out.frames, energies: out.energies };
    },
    dispose: () => disposeState(state),
  };
};

/** Runs one cell to its `cell.json` (nothing when it exists); resolves to an exit status. */
const runCell = async (
  s: TableSettings,
  out: string,
  system: TableSystem,
  model: TableModel,
  backend: string,
  again: string,
): Promise<number> => {
  const dir = join(out, system, model);
  const file = join(dir, "cell.json");
  if (await pathExists(file)) {
    console.log(`table: ${system}/${model} is done (${file})`);
    return 0;
  }
  await Deno.mkdir(dir, { recursive: true });
  console.log(`table: ${system}/${model} (${s.budget} updates, protocol ${s.protocol})`);
  const reader = readerFor(s, system);
  const cell = TABLE_MODELS[model].kind === "hgn"
    ? await hgnCell(s, system, model, dir, backend, again)
    : await pixelCell(s, system, model, dir, reader, again);
  // (after a signal, the cell's fit printed the table command that resumes it)
  if (cell.status !== 0 || !cell.predict) return cell.status;
  try {
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
    await writeTextAtomic(file, JSON.stringify(result, null, 2) + "\n");
    const t = result.splits.test;
    console.log(
      `table: ${system}/${model} test MSE x1e4 ${(t.mse.mean * 1e4).toFixed(2)} +- ${
        (t.mse.std * 1e4).toFixed(2)
      }, energy variance x1e4 ${(t.energyVariance.mean * 1e4).toFixed(2)}`,
    );
  } finally {
    cell.dispose?.();
  }
  return 0;
};

const x1e4 = (v: { mean: number; std: number }) =>
  `${(v.mean * 1e4).toFixed(2)} ± ${(v.std * 1e4).toFixed(2)}`;

/** Writes `table.md`, `table.json` and `report.html` from the cells present under `out`. */
export const assemble = async (s: TableSettings, out: string): Promise<string> => {
  const cells: CellResult[] = [];
  for (const system of TABLE_SYSTEMS) {
    for (const model of Object.keys(TABLE_MODELS) as TableModel[]) {
      try {
        cells.push(JSON.parse(await Deno.readTextFile(join(out, system, model, "cell.json"))));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  }
  const find = (system: string, model: string) =>
    cells.find((c) => c.system === system && c.model === model);
  const header = `| model | ${TABLE_SYSTEMS.join(" | ")} |\n|---|${
    "---|".repeat(TABLE_SYSTEMS.length)
  }`;
  const rows = (value: (c: CellResult) => string, paper: (m: TableModel, i: number) => string) =>
    (Object.keys(TABLE_MODELS) as TableModel[]).flatMap((m) => [
      `| ${TABLE_MODELS[m].label} (ours) | ${
        TABLE_SYSTEMS.map((sys) => {
          const c = find(sys, m);
          return c ? value(c) : "–";
        }).join(" | ")
      } |`,
      `| ${TABLE_MODELS[m].label} (paper) | ${
        TABLE_SYSTEMS.map((_, i) => paper(m, i)).join(" | ")
      } |`,
    ]).join("\n");
  const md = `# Tables 1 and 2, protocol "${s.protocol}", ${s.budget} updates per cell

Generated by \`cli.ts table\` (${cells.length} of ${
    TABLE_SYSTEMS.length * Object.keys(TABLE_MODELS).length
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
    rows(
      (c) => `${x1e4(c.splits.train.mse)} / ${x1e4(c.splits.test.mse)}`,
      (m, i) => `${PAPER_TABLE1[m][i][0]} / ${PAPER_TABLE1[m][i][1]}`,
    )
  }

Published reproduction ([Re] HGN, ReScience C 2021), HGN leapfrog, protocol "${s.protocol}", test
x1e4: ${
    TABLE_SYSTEMS.map((sys, i) => `${sys} ${RESCIENCE_HGN_LEAPFROG[s.protocol][i]}`).join(", ")
  }.

## Table 2: variance of the learned energy along a rollout x1e4 (train / test)

${header}
${
    rows(
      (c) => `${x1e4(c.splits.train.energyVariance)} / ${x1e4(c.splits.test.energyVariance)}`,
      (m, i) => {
        const v = PAPER_TABLE2[m]?.[i];
        return v ? `${v[0]} / ${v[1]}` : "–";
      },
    )
  }

## Valid prediction time (test, frames of 31)

${header}
${
    (Object.keys(TABLE_MODELS) as TableModel[]).map((m) =>
      `| ${TABLE_MODELS[m].label} | ${
        TABLE_SYSTEMS.map((sys) => find(sys, m)?.splits.test.vpt.toFixed(1) ?? "–").join(" | ")
      } |`
    ).join("\n")
  }
`;
  await writeTextAtomic(join(out, "table.md"), md);
  await writeTextAtomic(
    join(out, "table.json"),
    JSON.stringify(
      { settings: s, cells, paper: { table1: PAPER_TABLE1, table2: PAPER_TABLE2 } },
      null,
      2,
    ) +
      "\n",
  );
  const charts = TABLE_SYSTEMS.filter((sys) => cells.some((c) => c.system === sys)).map((sys) =>
    lineChart(
      `figure 6: test MSE per step, ${sys}`,
      cells.filter((c) => c.system === sys).map((c) => ({
        name: TABLE_MODELS[c.model as TableModel].label,
        points: c.splits.test.perStepMse.map((y, t) => [t, y] as [number, number]),
      })),
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
const claimTable = async (s: TableSettings, out: string): Promise<void> => {
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
      throw new UsageError(
        `${out} holds a table with ${diff} ${JSON.stringify(saved[diff!])}, not ${
          JSON.stringify(s[diff!])
        }; use another --out`,
      );
    }
  }
};

/** Runs the command; resolves to the exit status. */
export const run = async (argv: string[]): Promise<number> => {
  const flags = parseFlags(argv, options);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const protocol = flags.protocol ?? "5-frame";
  if (!Object.hasOwn(PROTOCOLS, protocol)) {
    throw new UsageError(`--protocol must be 5-frame or autoencode, got '${protocol}'`);
  }
  const recipe = flags.recipe ?? "30-step";
  if (!Object.hasOwn(TABLE_RECIPES, recipe)) {
    throw new UsageError(`--recipe must be 30-step or 10-step, got '${recipe}'`);
  }
  const noiseMode = flags["noise-mode"] ?? "initial";
  if (!["initial", "observation", "none"].includes(noiseMode)) {
    throw new UsageError(
      `--noise-mode must be initial, observation or none, got '${noiseMode}'`,
    );
  }
  const backend = flags.backend ?? "auto";
  if (!(backendRequests as readonly string[]).includes(backend)) {
    throw new UsageError(
      `--backend must be one of ${backendRequests.join(", ")}, got '${backend}'`,
    );
  }
  const settings: TableSettings = {
    version: 1,
    kind: "table",
    protocol: protocol as Protocol,
    recipe: recipe as Recipe,
    budget: intFlag("budget", flags.budget, 300, 1, 10_000_000),
    evalSize: intFlag("eval-size", flags["eval-size"], 64, 1, 100_000),
    trainSize: intFlag("train-size", flags["train-size"], 50000, 1, 10_000_000),
    dataSeed: intFlag("data-seed", flags["data-seed"], 0, 0, 0xffffffff),
    seed: intFlag("seed", flags.seed, 0, 0, 0xffffffff),
    noiseMode: noiseMode as NoiseMode,
    threads: intFlag("threads", flags.threads, defaultThreads(), 1, 256),
    klWarmup: numberFlag("kl-warmup", flags["kl-warmup"], DEFAULT_KL_WARMUP),
  };
  if (!(settings.klWarmup >= 0 && settings.klWarmup <= 0.5)) {
    throw new UsageError(
      `--kl-warmup must be in [0, 0.5] (a fraction of --budget), got '${flags["kl-warmup"]}'`,
    );
  }
  let systems = parseList("systems", flags.systems, TABLE_SYSTEMS);
  let models = parseList("models", flags.models, Object.keys(TABLE_MODELS) as TableModel[]);
  if (flags.cell !== undefined && flags.assemble) {
    throw new UsageError("--cell and --assemble contradict each other; give one");
  }
  if (flags.cell !== undefined) {
    const [system, model, extra] = flags.cell.split("/");
    if (extra !== undefined || model === undefined) {
      throw new UsageError(`--cell must be SYSTEM/MODEL, got '${flags.cell}'`);
    }
    systems = parseList("cell", system, TABLE_SYSTEMS);
    models = parseList("cell", model, Object.keys(TABLE_MODELS) as TableModel[]);
  }
  const out = flags.out ??
    join("runs", `table-${settings.protocol}-${settings.recipe}-${settings.budget}`);
  if (out.trim() === "") throw new UsageError("--out must not be empty");
  await claimTable(settings, out);
  // the same command resumes every unfinished cell (a finished one is never recomputed)
  const again = `deno run --allow-read --allow-write=${
    shellQuote(out)
  } --allow-sys=systemMemoryInfo cli.ts table ${argv.map(shellQuote).join(" ")}`;
  if (flags.assemble) {
    console.log(await assemble(settings, out));
    return 0;
  }
  await useBackend(backend as BackendRequest);
  for (const system of systems) {
    for (const model of models) {
      const status = await runCell(settings, out, system, model, backend, again);
      if (status !== 0) return status;
    }
  }
  if (flags.cell === undefined) {
    console.log(await assemble(settings, out));
    console.log(`table: ${join(out, "table.md")}, table.json, report.html`);
  }
  return 0;
};
