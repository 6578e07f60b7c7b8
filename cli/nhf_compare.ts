/**
 * `cli.ts nhf-compare`: the paper's figure 10 behind flags. The comparison itself (its rows,
 * each a resumable density run, the table and the report) is the library's
 * `lib/runs/compare.ts`; this file keeps the flags, the help, signals and progress.
 *
 * @module
 */
import { join } from "node:path";
import { pathExists } from "../lib/io/atomic.ts";
import { targets } from "../lib/data/targets.ts";
import { type BackendRequest, useBackend } from "../lib/tensor/backend.ts";
import type { StepMetrics } from "../lib/train/state.ts";
import { DENSITY_MODELS } from "../lib/runs/density.ts";
import {
  COMPARE_ROWS,
  type CompareChoices,
  compareRowFile,
  compareRowSettings,
  runCompareRow,
  writeComparison,
} from "../lib/runs/compare.ts";
import { consoleFit, shellQuote, signalStatus } from "./fit_run.ts";
import { densityFlagMessage } from "./density.ts";
import { intFlag, numberFlag, type Options, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary = "figure 10: NHF (1, 2, 3 leapfrog steps) vs RealNVP (2, 3 layers)";

/** The flags of the command. */
export const options = {
  data: { type: "string" },
  steps: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  "lr-decay": { type: "string" },
  seed: { type: "string" },
  hidden: { type: "string" },
  "test-size": { type: "string" },
  "iw-samples": { type: "string" },
  backend: { type: "string" },
  threads: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

const HELP = `usage: deno run --allow-read --allow-write=runs cli.ts nhf-compare [flags]
Figure 10: trains NHF with 1, 2, 3 leapfrog steps and RealNVP with 2, 3 layers on the same target
and budget, then writes compare.md, compare.json and report.html in --out. Rerunning skips
finished rows and resumes interrupted ones.
  --data TARGET (mixture) --steps N (1000) --batch-size N (256) --lr X (1e-3) --lr-decay X (1) --seed N
  --hidden N (128) --test-size N (2000) --iw-samples K (64) --backend B --threads N --out DIR`;

/** Runs the command. */
export const run = async (argv: string[]): Promise<number> => {
  const flags = parseFlags(argv, options);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const target = flags.data ?? "mixture";
  if (!Object.hasOwn(targets, target)) {
    throw new UsageError(
      `unknown --data target '${target}'; accepted: ${Object.keys(targets).join(", ")}`,
    );
  }
  const int = (name: keyof typeof options, min: number, max: number) =>
    flags[name] === undefined ? undefined : intFlag(name, flags[name] as string, 0, min, max);
  const num = (name: keyof typeof options) =>
    flags[name] === undefined ? undefined : numberFlag(name, flags[name] as string, 0);
  const steps = intFlag("steps", flags.steps, 1000, 1, 1_000_000_000);
  const choices: CompareChoices = {
    target,
    steps,
    hidden: int("hidden", 1, 4096),
    train: {
      batchSize: int("batch-size", 1, 1_000_000),
      learningRate: num("lr"),
      seed: int("seed", 0, 0xffffffff),
      lrDecay: num("lr-decay"),
    },
    run: {
      testSize: int("test-size", 1, 1_000_000),
      iwSamples: int("iw-samples", 1, 100_000),
      backend: flags.backend,
      threads: int("threads", 1, 256),
    },
  };
  try {
    COMPARE_ROWS.forEach((row) => compareRowSettings(choices, row));
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(densityFlagMessage(e.message));
    throw e;
  }
  const out = flags.out ?? join("runs", `nhf-compare-${target}-${steps}`);
  if (out.trim() === "") throw new UsageError("--out must not be empty");
  const again = `deno run --allow-read --allow-write=${shellQuote(out)} cli.ts nhf-compare ${
    argv.map(shellQuote).join(" ")
  }`;
  console.log(
    `nhf-compare: ${(await useBackend((flags.backend ?? "auto") as BackendRequest)).report}`,
  );
  for (const row of COMPARE_ROWS) {
    if (await pathExists(compareRowFile(out, row))) {
      console.log(`nhf-compare: ${row.name} is finished (${compareRowFile(out, row)})`);
      continue;
    }
    console.log(`nhf-compare: ${row.name}`);
    const metric = DENSITY_MODELS[row.model].metric;
    const { signal } = await consoleFit(
      {
        command: "nhf-compare",
        resumeCommand: again,
        dir: join(out, row.name),
        steps,
        describe: (m: StepMetrics) => `${metric} ${(m[metric] as number).toFixed(4)}`,
      },
      (callbacks) =>
        runCompareRow({
          choices,
          out,
          row,
          log: (line, kind) =>
            kind === "status" && console.log(`nhf-compare: ${row.name}: ${line}`),
          ...callbacks,
        }),
    );
    if (signal !== undefined) return signalStatus(signal);
  }
  const { heading, table } = await writeComparison(out, choices);
  console.log(`${heading}\n${table}\noutputs: ${out} (compare.md, compare.json, report.html)`);
  return 0;
};
