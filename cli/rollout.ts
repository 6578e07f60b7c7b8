/**
 * `cli.ts rollout --run DIR`: forward, backward (negated dt), faster and slower (dt x 2, x 0.5)
 * rollouts of a test sequence and new trajectories from the prior, as GIFs and a PNG strip (the
 * paper's figures 7 and 8).
 *
 * @module
 */
import { join } from "node:path";
import { disposeState } from "../lib/train/state.ts";
import { openRun, writeRollouts } from "./hgn_run.ts";
import { intFlag, parseFlags } from "./usage.ts";

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
  const opened = await openRun("rollout", flags.run, flags.backend);
  const { dir, state } = opened;
  const steps = intFlag("steps", flags.steps, opened.settings.run.evalSteps);
  const settings = { ...opened.settings, run: { ...opened.settings.run, evalSteps: steps } };
  const { images, retraceError } = await writeRollouts(
    settings,
    dir,
    state.params,
    opened.reader,
    intFlag("index", flags.index, 0, 0),
  );
  console.log(
    `rollout: backward retraces forward within ${
      retraceError.toExponential(2)
    } (max |state difference|)`,
  );
  for (const [file, caption] of images) console.log(`  ${join(dir, file)}  ${caption}`);
  disposeState(state);
};
