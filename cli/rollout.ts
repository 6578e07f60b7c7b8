/**
 * `cli.ts rollout --run DIR`: forward, backward (negated dt), faster and slower (dt x 2, x 0.5)
 * rollouts of a test sequence and new trajectories from the prior, as GIFs and a PNG strip (the
 * paper's figures 7 and 8).
 *
 * @module
 */
import { join } from "node:path";
import { useBackend } from "../lib/tensor/backend.ts";
import { loadLatestCheckpoint } from "../lib/io/checkpoint.ts";
import { disposeTrainState } from "../lib/train/hgn.ts";
import { readSettings, writeRollouts } from "./hgn_run.ts";
import { intFlag, parseFlags, UsageError } from "./usage.ts";
import { type BackendRequest, backendRequests } from "../lib/tensor/backend.ts";

/** One line for the command list. */
export const summary =
  "rollout GIFs of a trained run: forward, backward, faster, slower, prior samples";

const options = {
  run: { type: "string" },
  index: { type: "string" },
  steps: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP = `usage: deno run -A cli.ts rollout --run DIR [--index N] [--steps N] [--backend B]
Writes DIR/rollouts/{truth,forward,backward,faster,slower,prior-*}.gif and strip.png for test
sequence N (default 0), unrolled --steps steps (default: the run's --eval-steps).`;

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
    run: { ...saved.run, evalSteps: intFlag("steps", flags.steps, saved.run.evalSteps) },
  };
  console.log(`rollout: ${(await useBackend(backend)).report}`);
  const state = await loadLatestCheckpoint(join(flags.run, "checkpoints"));
  const { images, retraceError } = await writeRollouts(
    settings,
    flags.run,
    settings.train.model,
    state.params,
    intFlag("index", flags.index, 0, 0),
  );
  console.log(
    `rollout: backward retraces forward within ${
      retraceError.toExponential(2)
    } (max |state difference|)`,
  );
  for (const [file, caption] of images) console.log(`  ${join(flags.run, file)}  ${caption}`);
  disposeTrainState(state);
};
