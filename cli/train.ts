/**
 * `cli.ts train`: trains a Hamiltonian Generative Network on a built-in system, its data generated
 * from a seed (the same bytes `cli.ts generate` writes) or read from a dataset directory
 * (`--data`). The loop is the library's `fit`; this file keeps flags, signals and the progress
 * line. Writes a run directory: `config.json`, `metrics.jsonl`, `checkpoints/` (atomic, the last
 * N kept, finite states only), rollout GIFs, `eval.json` and `report.html`. `--resume DIR`
 * continues a run exactly; Ctrl-C (exit 130) or SIGTERM (exit 143) saves a checkpoint and exits;
 * a NaN or infinite loss stops the run and keeps the last good checkpoint.
 *
 * @module
 */
import { tf } from "../lib/deps/tf.ts";
import { useBackend } from "../lib/tensor/backend.ts";
import { disposeState, type StepMetrics } from "../lib/train/state.ts";
import { claimRunDir } from "../lib/io/run.ts";
import { consoleFit, resumeFlags, signalStatus, takeRunLock } from "./fit_run.ts";
import { openDataset } from "../lib/io/dataset.ts";
import { parseFlags } from "./usage.ts";
import {
  checkedSettings,
  checkMemoryFlags,
  settingsFromFlags,
  trainOptions,
} from "./hgn_settings.ts";
import type { RunSettings } from "../lib/runs/hgn_settings.ts";
import { finishRun, openReader, readSettings, trainHgn } from "../lib/runs/hgn.ts";
import { resumedSettings, type RunLog } from "../lib/runs/fit.ts";

/** One line for the command list. */
export const summary = "train an HGN (default: mass-spring, 32 px, sized for a CPU)";

const HELP =
  `usage: deno run --allow-read --allow-write=runs --allow-sys=systemMemoryInfo cli.ts train [flags]
Trains a Hamiltonian Generative Network from pixels. Defaults: --preset small (CPU-sized: the
deterministic variant on the paper's 30-step rollouts, reached by a curriculum (10 steps for the
first 5/12 of the updates, growing to 30 over the next 1/6), scoring 11 random frames per update,
batch 8, noise on the initial state only, learning rate 2e-3 cosine-decayed to 1e-4, the rollout
tied to the encoder's states from the end of the 10-step phase, a fixed 1200 updates: the same
model on every machine with the same backend), mass-spring, 32 px, data generated from
--data-seed (or read from --data DIR). At the end: the 30-step unroll and a 60-step
extrapolation on test sequences of 61 frames.
  --preset small|paper   model and schedule (paper: the paper's configuration, for a GPU)
  --system NAME          mass-spring, pendulum, two-body, three-body, henon-heiles, non-separable
  --data DIR             train on a dataset written by 'cli.ts generate' (its system, size, noise,
                         seed and sizes are used; a contradicting flag is an error)
  --steps N              total updates (default small 1200, paper 15000)
  --minutes X            also stop after X minutes in this invocation, with a checkpoint (0: no cap)
  --batch-size N --lr X --seed N --train-size N --data-seed N
  --lr-decay X           cosine-decay the learning rate to X times --lr over --steps (1: constant)
  --rollout-steps N --input-frames N --dt X --size 32|64
  --integrator NAME      leapfrog (default), euler, rk4, yoshida4, ... (core registry)
  --hamiltonian separable|general   --deterministic | --stochastic   --no-fpsi
  --state-channels N --encoder-width N --encoder-layers N --fpsi-width N --fpsi-layers N
  --hamiltonian-width N --hamiltonian-layers N --decoder-width N
  --geco-tolerance X --geco-init X --geco-lr X
  --kl-hold U --kl-grow V   stochastic: the KL's weight is 0 for U updates, then grows
                         linearly to 1 over V more (small preset 300 and 300; paper: none)
  --frames-per-update N  score N random predicted frames per update (0: all; small preset 11)
  --rollout-start N --rollout-hold U --rollout-grow V   curriculum: N-step rollouts for U
                         updates, then growing linearly to --rollout-steps over V updates
                         (small preset: 10, 5/12 and 1/6 of --steps)
  --consistency-weight X --consistency-windows N --consistency-start U   from update U, tie
                         the rollout's state at N random times to the encoder's state of the
                         true frames there, weight X (0: off; small preset 1e-4, 2, 5/12 of
                         --steps)
  --noise-mode observation|initial|none  --noise-std X
  --test-size N --eval-steps N --log-every N --checkpoint-every N --keep N
  --extrapolate-steps N  also evaluate an N-step unroll on longer test sequences at the end
                         (default 2 x --eval-steps; 0: none)
  --backend auto|webgpu|wasm|cpu
  --threads N            workers sharing each update's batch (default: every core; 1: none); the
                         same N gives the same run bit for bit, another N the same to float32
                         rounding (the stochastic variant draws its noise per worker)
  --out DIR              run directory (default runs/<system>-<time>, made unique)
  --resume DIR           continue the run in DIR (other flags may extend --steps/--minutes)`;

/** Settings for `--resume DIR`: the run's own, with only --steps, --minutes, --backend, --threads changed. */
const resumeSettings = async (
  flags: ReturnType<typeof parseFlags<typeof trainOptions>>,
  dir: string,
): Promise<RunSettings> => {
  const defaults = Object.fromEntries(
    Object.entries(trainOptions).map(([k, o]) => [k, "default" in o ? o.default : undefined]),
  );
  const changes = resumeFlags(flags, defaults);
  return checkedSettings(resumedSettings(await readSettings(dir), changes));
};

/** The closing work's lines: status lines as `train: ...`, results as they are. */
const trainLog: RunLog = (line: string, kind: "status" | "result"): void =>
  console.log(kind === "status" ? `train: ${line}` : line);

/** Runs the command; resolves to the exit status (130 after Ctrl-C, 143 after SIGTERM). */
export const run = async (argv: string[]): Promise<number> => {
  const flags = parseFlags(argv, trainOptions);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  let settings: RunSettings;
  if (flags.resume !== undefined) {
    settings = await resumeSettings(flags, flags.resume);
  } else {
    settings = settingsFromFlags(flags); // flag mistakes are reported before the dataset is read
    if (flags.data !== undefined) {
      settings = settingsFromFlags(flags, (await openDataset(flags.data)).manifest);
    }
  }
  checkMemoryFlags(settings, Deno.systemMemoryInfo().total);
  const reader = await openReader(settings);
  // Everything that can fail before training is checked before the run folder is claimed.
  const choice = await useBackend(settings.run.backend);
  const dir = flags.resume ?? await claimRunDir(
    flags.out !== undefined ? { dir: flags.out } : {
      base: "runs",
      name: `${settings.data.system}-${
        new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)
      }`,
    },
  );
  // one writer per run folder, from here to the report
  const lock = await takeRunLock("train", dir);
  try {
    return await trainIn(dir, settings, flags.resume !== undefined, reader, choice.report);
  } finally {
    await lock.release();
  }
};

const trainIn = async (
  dir: string,
  settings: RunSettings,
  resumed: boolean,
  reader: Awaited<ReturnType<typeof openReader>>,
  report: string,
): Promise<number> => {
  console.log(`train: ${report}`);
  const m = settings.objective.model;
  const c = settings.objective.curriculum;
  console.log(
    `train: HGN on ${settings.data.system} (${m.size} px, ${m.hamiltonian} H, ${m.integrator}, dt ${m.dt}, ` +
      `${m.rolloutSteps}-step rollouts${
        c ? ` after ${c.from} for ${c.hold} updates, growing over ${c.grow}` : ""
      }${
        settings.objective.klWarmup
          ? `, KL weight 0 for ${settings.objective.klWarmup.hold} updates, reaching 1 over ${settings.objective.klWarmup.grow}`
          : ""
      }, batch ${settings.train.batchSize}, data ${settings.data.dir ?? "generated"}) -> ${dir}`,
  );
  const { state, signal } = await consoleFit(
    {
      command: "train",
      extraPermissions: "--allow-sys=systemMemoryInfo",
      dir,
      steps: settings.run.steps,
      describe: describeHgn,
    },
    (callbacks) => trainHgn({ dir, settings, reader, resumed, holdsLock: true, ...callbacks }),
  );
  try {
    if (signal !== undefined) return signalStatus(signal);
    await finishRun(settings, dir, state, reader, report, tf.getBackend(), trainLog);
    return 0;
  } finally {
    disposeState(state);
  }
};

const fmt = (x: number | undefined, digits = 3) => x === undefined ? "-" : x.toExponential(digits);

/** An HGN update's progress line: loss, MSE, the KL and multiplier when stochastic, the horizon. */
export const describeHgn = (m: StepMetrics): string =>
  `loss ${fmt(m.loss)} mse ${fmt(m.mse)}${
    m.lambda !== undefined ? ` kl ${fmt(m.kl, 2)} lambda ${m.lambda.toFixed(3)}` : ""
  } T ${m.rolloutSteps}`;
