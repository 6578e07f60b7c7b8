/**
 * `cli.ts eval --run DIR`: the paper's metrics of a trained run on train and test sequences:
 * average pixel MSE over the unroll (Table 1, x1e4), per-step MSE (figure 6), variance of the
 * learned Hamiltonian along rollouts (Table 2, x1e4), valid prediction time. JSON and a table.
 *
 * @module
 */
import { join } from "node:path";
import { disposeState } from "../lib/train/state.ts";
import { evalFile, evalTable, evaluateRun, openReader, perStepLine } from "../lib/runs/hgn.ts";
import { openRun } from "./hgn_run.ts";
import { intFlag, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary = "the paper's metrics of a trained run (Table 1, Table 2, figure 6)";

/** The flags of the command. */
export const options = {
  run: { type: "string" },
  sequences: { type: "string" },
  steps: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP =
  `usage: deno run --allow-read --allow-write=RUNS cli.ts eval --run DIR [--sequences N] [--steps N] [--backend B]
Evaluates the newest checkpoint of DIR on N train and N test sequences (default: the run's
--test-size), unrolling --steps steps (default: the run's --eval-steps, 30) on sequences of as many
frames (generated ones are extended: their first 31 frames are the 30-step ones). Writes
DIR/eval.json, or DIR/eval-N.json for another length.`;

/** Runs the command. */
export const run = async (argv: string[]): Promise<void> => {
  const flags = parseFlags(argv, options);
  if (flags.help) return void console.log(HELP);
  const sequences = flags.sequences === undefined
    ? undefined
    : intFlag("sequences", flags.sequences, 1, 1, 1_000_000);
  const steps = flags.steps === undefined ? undefined : intFlag("steps", flags.steps, 1, 1, 1000);
  const opened = await openRun("eval", flags.run, flags.backend);
  const { dir, state } = opened;
  const settings = {
    ...opened.settings,
    run: { ...opened.settings.run, testSize: sequences ?? opened.settings.run.testSize },
  };
  const unroll = steps ?? settings.run.evalSteps;
  const inputFrames = settings.objective.model.inputFrames;
  if (unroll + 1 < inputFrames) {
    disposeState(state);
    throw new UsageError(
      `--steps ${unroll} unrolls ${
        unroll + 1
      } frames, fewer than the ${inputFrames} input frames the model encodes; accepted: --steps >= ${
        inputFrames - 1
      }`,
    );
  }
  console.log(
    `eval: ${dir} at step ${state.step}, ${settings.run.testSize} sequences per split of ${
      unroll + 1
    } frames, ${unroll}-step unroll`,
  );
  const reader = await openReader(settings, unroll);
  const report = await evaluateRun(settings, dir, state.params, reader, unroll);
  console.log(evalTable(report));
  console.log(`eval: ${perStepLine(report.test)}`);
  console.log(`eval: wrote ${join(dir, evalFile(settings, unroll))}`);
  disposeState(state);
};
