/**
 * `cli.ts eval --run DIR`: the paper's metrics of a trained run on train and test sequences:
 * average pixel MSE over the unroll (Table 1, x1e4), per-step MSE (figure 6), variance of the
 * learned Hamiltonian along rollouts (Table 2, x1e4), valid prediction time. JSON and a table.
 *
 * @module
 */
import { join } from "node:path";
import { useBackend } from "../lib/tensor/backend.ts";
import { loadLatestCheckpoint } from "../lib/io/checkpoint.ts";
import { disposeTrainState } from "../lib/train/hgn.ts";
import { evalTable, evaluateRun, readSettings } from "./hgn_run.ts";
import { intFlag, parseFlags, UsageError } from "./usage.ts";
import { type BackendRequest, backendRequests } from "../lib/tensor/backend.ts";

/** One line for the command list. */
export const summary = "the paper's metrics of a trained run (Table 1, Table 2, figure 6)";

const options = {
  run: { type: "string" },
  sequences: { type: "string" },
  steps: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP = `usage: deno run -A cli.ts eval --run DIR [--sequences N] [--steps N] [--backend B]
Evaluates the newest checkpoint of DIR on N train and N test sequences (default: the run's
--test-size), unrolling --steps steps (default: the run's --eval-steps, 30). Writes DIR/eval.json.`;

/** Runs the command. */
export const run = async (argv: string[]): Promise<void> => {
  const flags = parseFlags(argv, options);
  if (flags.help) return void console.log(HELP);
  if (!flags.run) {
    throw new UsageError("--run DIR is required (a directory written by 'cli.ts train')");
  }
  const saved = await readSettings(flags.run);
  const backend = (flags.backend ?? saved.run.backend) as BackendRequest;
  if (!backendRequests.includes(backend)) {
    throw new UsageError(
      `--backend must be one of ${backendRequests.join(", ")}, got '${backend}'`,
    );
  }
  const settings = {
    ...saved,
    run: {
      ...saved.run,
      testSize: intFlag("sequences", flags.sequences, saved.run.testSize),
      evalSteps: intFlag("steps", flags.steps, saved.run.evalSteps),
    },
  };
  console.log(`eval: ${(await useBackend(backend)).report}`);
  const state = await loadLatestCheckpoint(join(flags.run, "checkpoints"));
  console.log(
    `eval: ${flags.run} at step ${state.step}, ${settings.run.testSize} sequences per split, ${settings.run.evalSteps}-step unroll`,
  );
  const report = await evaluateRun(settings, flags.run, settings.train.model, state.params);
  console.log(evalTable(report));
  console.log(
    `eval: per-step test MSE x1e4: ${
      report.test.perStepMse.map((x) => (x * 1e4).toFixed(1)).join(" ")
    }`,
  );
  console.log(`eval: wrote ${join(flags.run, "eval.json")}`);
  disposeTrainState(state);
};
