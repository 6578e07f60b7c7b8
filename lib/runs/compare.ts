/**
 * The paper's figure 10 as a library call: NHF with 1, 2 and 3 leapfrog steps against RealNVP
 * with 2 and 3 coupling layers on the same target, batch and budget. Each row is a density run
 * in its own folder under the comparison's folder (a finished row is never recomputed, an
 * interrupted one resumes from its newest checkpoint); the comparison then writes the curves of
 * each row's training objective and a table of test log-likelihoods and costs. A script can
 * compare its own rows beside the paper's.
 *
 * @module
 */
import { join } from "node:path";
import { pathExists, writeTextAtomic } from "../io/atomic.ts";
import { listCheckpoints } from "../io/checkpoint.ts";
import { lineChart, reportHtml } from "../io/report.ts";
import { claimRunDir, readMetrics } from "../io/run.ts";
import { disposeState } from "../train/state.ts";
import {
  DENSITY_MODELS,
  type DensityEval,
  type DensityModel,
  type DensityRunChoices,
  densityRunSettings,
  type DensitySettings,
  finishDensity,
  readDensityEval,
  readDensitySettings,
  trainDensity,
} from "./density.ts";
import {
  type FitCallbacks,
  type FitRunResult,
  resumedSettings,
  RunFolderError,
  type RunLog,
} from "./fit.ts";

/** One row of the comparison: a density run under its own name, over the shared choices. */
export interface CompareRow {
  /** the row's folder and its name in the table */
  readonly name: string;
  readonly model: DensityModel;
  /** what this row changes in the model's config (e.g. `{ leapfrogSteps: 3 }`) */
  readonly config: NonNullable<DensityRunChoices["config"]>;
}

/** Figure 10's rows. */
export const COMPARE_ROWS: readonly CompareRow[] = [
  { name: "nhf-1", model: "nhf", config: { leapfrogSteps: 1 } },
  { name: "nhf-2", model: "nhf", config: { leapfrogSteps: 2 } },
  { name: "nhf-3", model: "nhf", config: { leapfrogSteps: 3 } },
  { name: "realnvp-2", model: "realnvp", config: { layers: 2 } },
  { name: "realnvp-3", model: "realnvp", config: { layers: 3 } },
];

/**
 * What every row shares: the target, the budget, the width of the networks, the optimiser and
 * the evaluation (the importance-weighted bound's samples apply to NHF rows only).
 */
export interface CompareChoices {
  /** default `mixture`, figure 10's */
  readonly target?: string;
  /** updates per row (default 1000) */
  readonly steps?: number;
  /** hidden width of every network (default each model's, 128) */
  readonly hidden?: number;
  readonly train?: DensityRunChoices["train"];
  readonly run?: Pick<
    NonNullable<DensityRunChoices["run"]>,
    "testSize" | "iwSamples" | "backend" | "threads"
  >;
}

/**
 * The settings of a row's run: the shared choices, the row's config over them (validated as
 * `densityRunSettings` validates; a `RangeError` names each setting).
 *
 * @example
 * ```ts
 * import { COMPARE_ROWS, compareRowSettings } from "@hamiltonian/hgn/runs";
 * import { strictEqual } from "node:assert/strict";
 * const s = compareRowSettings({ target: "ring8", steps: 300, hidden: 32 }, COMPARE_ROWS[2]);
 * strictEqual(s.model, "nhf");
 * strictEqual(s.config.hidden, 32);
 * strictEqual((s.config as { leapfrogSteps: number }).leapfrogSteps, 3);
 * ```
 */
export const compareRowSettings = (choices: CompareChoices, row: CompareRow): DensitySettings => {
  const { iwSamples, ...run } = choices.run ?? {};
  return densityRunSettings(row.model, {
    target: choices.target,
    steps: choices.steps,
    config: { ...(choices.hidden === undefined ? {} : { hidden: choices.hidden }), ...row.config },
    train: choices.train,
    run: row.model === "nhf" && iwSamples !== undefined ? { ...run, iwSamples } : run,
  });
};

/** A row's evaluation file, present once the row is finished. */
export const compareRowFile = (out: string, row: CompareRow): string =>
  join(out, row.name, "eval.json");

/** What {@link runCompareRow} needs. */
export interface CompareRowOptions extends FitCallbacks {
  readonly choices: CompareChoices;
  /** the comparison's folder */
  readonly out: string;
  readonly row: CompareRow;
  /** where the row's evaluation says what it does */
  readonly log?: RunLog;
}

/** A row trained, or stopped: its fit, and its evaluation once it ran to its budget. */
export interface CompareRowRun {
  readonly fit: FitRunResult;
  /** absent when the fit stopped before the budget (e.g. the caller's signal) */
  readonly evaluation?: DensityEval;
}

/**
 * Trains one row to the comparison's budget (resuming its newest checkpoint, the budget raised
 * to `choices.steps` when it is larger) and evaluates it into its `eval.json`. A folder that
 * stopped before its first checkpoint holds nothing worth keeping and starts over. Check
 * {@link compareRowFile} first: a finished row is never recomputed.
 */
export const runCompareRow = async (o: CompareRowOptions): Promise<CompareRowRun> => {
  const dir = join(o.out, o.row.name);
  const fresh = compareRowSettings(o.choices, o.row);
  const started = await pathExists(dir) &&
    (await listCheckpoints(join(dir, "checkpoints"))).length > 0;
  if (!started && await pathExists(join(dir, "config.json"))) {
    await Deno.remove(dir, { recursive: true });
  }
  const settings = started
    ? resumedSettings(await readDensitySettings(dir, o.row.model), { steps: fresh.run.steps })
    : fresh;
  if (!started) await claimRunDir({ dir });
  const { state, fit } = await trainDensity({ ...o, dir, settings, resumed: started });
  try {
    if (fit.stop.kind !== "steps") return { fit };
    return { fit, evaluation: await finishDensity(settings, dir, state, o.log) };
  } finally {
    disposeState(state);
  }
};

/** A finished row: its name and its evaluation. */
export type CompareResult = DensityEval & { readonly row: string };

/**
 * Writes `compare.md`, `compare.json` and `report.html` into `out` from the finished rows of
 * `rows` (default figure 10's) run on `choices`; resolves to the heading and the markdown table.
 * A row that is not finished is a `RunFolderError` naming its folder.
 */
export const writeComparison = async (
  out: string,
  choices: CompareChoices,
  rows: readonly CompareRow[] = COMPARE_ROWS,
): Promise<{ readonly heading: string; readonly table: string }> => {
  if (rows.length === 0) throw new RangeError("a comparison needs at least one row");
  const results: CompareResult[] = [];
  const curves = [];
  for (const row of rows) {
    const dir = join(out, row.name);
    if (!await pathExists(compareRowFile(out, row))) {
      throw new RunFolderError(`${dir}: the row is not finished (no eval.json)`);
    }
    results.push({ row: row.name, ...await readDensityEval(dir) });
    const key = DENSITY_MODELS[row.model].metric;
    curves.push({
      name: row.name,
      points: (await readMetrics(dir)).map((m) => [m.step, m[key] as number] as [number, number]),
    });
  }
  const table = [
    `| model | test log-likelihood | kind | gap to the target's own | ms per density evaluation | ms per sample |`,
    "|---|---|---|---|---|---|",
    ...results.map((r) =>
      `| ${r.row} | ${r.testLogLikelihood.toFixed(4)} | ${r.kind} | ${r.gap.toFixed(4)} | ${
        r.msPerDensityEvaluation.toFixed(3)
      } | ${r.msPerSample.toFixed(4)} |`
    ),
  ].join("\n");
  const { data, run } = compareRowSettings(choices, rows[0]);
  const own = results[0].targetLogLikelihood.toFixed(4);
  const heading =
    `NHF vs RealNVP on ${data.target}, ${run.steps} iterations each (the target's own test log-likelihood: ${own})`;
  await writeTextAtomic(join(out, "compare.md"), `# ${heading}\n\n${table}\n`);
  await writeTextAtomic(join(out, "compare.json"), JSON.stringify(results, null, 2) + "\n");
  await writeTextAtomic(
    join(out, "report.html"),
    reportHtml({
      title: heading,
      summary: results.map((r) => [r.row, `${r.testLogLikelihood.toFixed(4)} (${r.kind})`]),
      charts: [
        lineChart("training objective (NHF: ELBO, RealNVP: log-likelihood)", curves, {
          xLabel: "iteration",
        }),
      ],
      images: rows.map((r) => [`${r.name}/pictures/kde.png`, `${r.name}: KDE of 1000 samples`]),
    }),
  );
  return { heading, table };
};
