/**
 * `cli.ts table`: the paper's comparison (Tables 1 and 2, figure 6) behind flags. The table itself
 * (cells, the one scorer, the assembled tables) is the library's `lib/runs/table.ts`; this file
 * keeps the flags, the help, signals and progress.
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
import type { NoiseMode } from "../lib/data/dataset.ts";
import { pathExists } from "../lib/io/atomic.ts";
import { type BackendRequest, backendRequests, useBackend } from "../lib/tensor/backend.ts";
import type { StepMetrics } from "../lib/train/state.ts";
import { defaultThreads } from "../lib/runs/fit.ts";
import {
  assembleTable,
  cellFile,
  claimTable,
  DEFAULT_KL_WARMUP,
  type Protocol,
  PROTOCOLS,
  type Recipe,
  runTableCell,
  TABLE_MODELS,
  TABLE_RECIPES,
  TABLE_SYSTEMS,
  TableFolderError,
  type TableModel,
  type TableSettings,
  type TableSystem,
} from "../lib/runs/table.ts";
import { consoleFit, shellQuote, signalStatus } from "./fit_run.ts";
import { describeHgn } from "./train.ts";
import { intFlag, numberFlag, type Options, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary = "Tables 1 and 2: HNN baselines and HGN variants on every system";

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

const fmt = (x: number) => x.toExponential(3);

/** Runs one cell to its `cell.json` (nothing when it exists); resolves to an exit status. */
const runCell = async (
  settings: TableSettings,
  out: string,
  system: TableSystem,
  model: TableModel,
  backend: BackendRequest,
  again: string,
): Promise<number> => {
  const file = cellFile(out, system, model);
  if (await pathExists(file)) {
    console.log(`table: ${system}/${model} is done (${file})`);
    return 0;
  }
  console.log(
    `table: ${system}/${model} (${settings.budget} updates, protocol ${settings.protocol})`,
  );
  const { result, signal } = await consoleFit(
    {
      command: "table",
      resumeCommand: again,
      dir: join(out, system, model, "run"),
      steps: settings.budget,
      describe: TABLE_MODELS[model].kind === "hgn"
        ? describeHgn
        : (m: StepMetrics) => `ae ${fmt(m.ae)} cc ${fmt(m.cc)} hnn ${fmt(m.hnn)}`,
    },
    (callbacks) => runTableCell({ settings, out, system, model, backend, ...callbacks }),
  );
  // (after a signal, consoleFit printed the table command that resumes the cell)
  if (signal !== undefined) return signalStatus(signal);
  if (result) {
    const t = result.splits.test;
    console.log(
      `table: ${system}/${model} test MSE x1e4 ${(t.mse.mean * 1e4).toFixed(2)} +- ${
        (t.mse.std * 1e4).toFixed(2)
      }, energy variance x1e4 ${(t.energyVariance.mean * 1e4).toFixed(2)}`,
    );
  }
  return 0;
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
  try {
    await claimTable(settings, out);
  } catch (e) {
    if (e instanceof TableFolderError) throw new UsageError(`${e.message}; use another --out`);
    throw e;
  }
  // the same command resumes every unfinished cell (a finished one is never recomputed)
  const again = `deno run --allow-read --allow-write=${
    shellQuote(out)
  } --allow-sys=systemMemoryInfo cli.ts table ${argv.map(shellQuote).join(" ")}`;
  // assembly scores the static predictor too, so it needs a backend as training does
  await useBackend(backend as BackendRequest);
  if (flags.assemble) {
    console.log(await assembleTable(settings, out));
    return 0;
  }
  for (const system of systems) {
    for (const model of models) {
      const status = await runCell(
        settings,
        out,
        system,
        model,
        backend as BackendRequest,
        again,
      );
      if (status !== 0) return status;
    }
  }
  if (flags.cell === undefined) {
    console.log(await assembleTable(settings, out));
    console.log(`table: ${join(out, "table.md")}, table.json, report.html`);
  }
  return 0;
};
