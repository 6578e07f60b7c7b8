/**
 * `cli.ts rollout --run DIR`: forward, backward (negated dt), faster and slower (dt x 2, x 0.5)
 * rollouts of a test sequence and new trajectories from the prior, as GIFs and a PNG strip (the
 * paper's figures 7 and 8).
 *
 * @module
 */
import { join } from "node:path";
import { disposeState } from "../lib/train/state.ts";
import { openReader, writeRollouts } from "../lib/runs/hgn.ts";
import { openRun } from "./hgn_run.ts";
import { intFlag, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary =
  "rollout GIFs of a trained run: forward, backward, faster, slower, prior samples";

/** The flags of the command. */
export const options = {
  run: { type: "string" },
  index: { type: "string" },
  steps: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP =
  `usage: deno run --allow-read --allow-write=RUNS cli.ts rollout --run DIR [--index N] [--steps N] [--backend B]
Writes DIR/rollouts/{truth,forward,backward,faster,slower,prior-*}.gif and strip.png for test
sequence N (default 0), unrolled --steps steps (default: the run's --eval-steps).`;

/** Runs the command. */
export const run = async (argv: string[]): Promise<void> => {
  const flags = parseFlags(argv, options);
  if (flags.help) return void console.log(HELP);
  const index = intFlag("index", flags.index, 0, 0, 2 ** 32 - 1);
  const stepsFlag = flags.steps === undefined
    ? undefined
    : intFlag("steps", flags.steps, 1, 1, 1000);
  const opened = await openRun("rollout", flags.run, flags.backend);
  const { dir, state } = opened;
  const steps = stepsFlag ?? opened.settings.run.evalSteps;
  const settings = { ...opened.settings, run: { ...opened.settings.run, evalSteps: steps } };
  const count = Math.min(
    settings.run.testSize,
    opened.reader.shardSizes("test").reduce((a, b) => a + b, 0),
  );
  if (index >= count) {
    disposeState(state);
    throw new UsageError(
      `--index must be in [0, ${count - 1}] (the run's test sequences), got ${index}`,
    );
  }
  const { images, retraceError } = await writeRollouts(
    settings,
    dir,
    state.params,
    await openReader(settings),
    index,
  );
  console.log(
    `rollout: backward retraces forward within ${
      retraceError.toExponential(2)
    } (max |state difference|)`,
  );
  for (const [file, caption] of images) console.log(`  ${join(dir, file)}  ${caption}`);
  disposeState(state);
};
