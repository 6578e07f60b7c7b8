/**
 * `cli.ts train`: trains a Hamiltonian Generative Network on a built-in system, its data generated
 * from a seed (the same bytes `cli.ts generate` writes). Writes a run directory: `config.json`,
 * `metrics.jsonl`, `checkpoints/` (atomic, the last N kept), rollout GIFs, `eval.json` and
 * `report.html`. `--resume DIR` continues a run exactly; Ctrl-C saves a checkpoint and exits;
 * a NaN or infinite loss stops the run and keeps the last good checkpoint.
 *
 * @module
 */
import { join } from "node:path";
import { SingleBar } from "../lib/deps/progress.ts";
import { tf } from "../lib/deps/tf.ts";
import { useBackend } from "../lib/tensor/backend.ts";
import {
  batchIndices,
  type HgnTrainState,
  initTrainState,
  NonFiniteLossError,
  type StepMetrics,
  toBatch,
  trainStep,
} from "../lib/train/hgn.ts";
import { listCheckpoints, loadLatestCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { writeTextAtomic } from "../lib/io/atomic.ts";
import { parseFlags, UsageError } from "./usage.ts";
import {
  type RunSettings,
  settingsFromFlags,
  trainOptions,
  validateSettings,
} from "./hgn_settings.ts";
import { dataFor, finishRun, readSettings } from "./hgn_run.ts";
import { E } from "../lib/deps/fp.ts";

/** One line for the command list. */
export const summary = "train an HGN (default: mass-spring, 32 px, sized for a CPU)";

const HELP = `usage: deno run -A cli.ts train [flags]
Trains a Hamiltonian Generative Network from pixels. Defaults: --preset small (CPU-sized: the
deterministic variant, 10-step rollouts scoring 6 random frames per update, batch 8, noise on the
initial state only; stops after --minutes 13), mass-spring, 32 px, data from --data-seed.
For the paper's 30-step horizon on a CPU, train on it with a curriculum, e.g.
  --rollout-steps 30 --frames-per-update 11 --rollout-start 10 --rollout-hold 1000
  --rollout-grow 300 --minutes 30
  --preset small|paper   model and schedule (paper: the paper's configuration, for a GPU)
  --system NAME          mass-spring, pendulum, two-body, three-body, henon-heiles, non-separable
  --steps N              total updates (default small 100000, paper 15000)
  --minutes X            stop after X minutes in this invocation, with a checkpoint (0: no limit)
  --batch-size N --lr X --seed N --train-size N --data-seed N
  --rollout-steps N --input-frames N --dt X --size 32|64
  --integrator NAME      leapfrog (default), euler, rk4, yoshida4, ... (core registry)
  --hamiltonian separable|general   --deterministic | --stochastic   --no-fpsi
  --state-channels N --encoder-width N --encoder-layers N --fpsi-width N --fpsi-layers N
  --hamiltonian-width N --hamiltonian-layers N --decoder-width N
  --geco-tolerance X --geco-init X --geco-lr X
  --frames-per-update N  score N random predicted frames per update (0: all; small preset 6)
  --rollout-start N --rollout-hold U --rollout-grow V   curriculum: N-step rollouts for U
                         updates, then growing linearly to --rollout-steps over V updates
  --noise-mode observation|initial|none  --noise-std X
  --test-size N --eval-steps N --log-every N --checkpoint-every N --keep N
  --backend auto|webgpu|wasm|cpu
  --out DIR              run directory (default runs/<system>-<time>)
  --resume DIR           continue the run in DIR (other flags may extend --steps/--minutes)`;

/** Runs the command. */
export const run = async (argv: string[]): Promise<void> => {
  const flags = parseFlags(argv, trainOptions);
  if (flags.help) {
    console.log(HELP);
    return;
  }
  let settings: RunSettings;
  let dir: string;
  let state: HgnTrainState | undefined;
  if (flags.resume) {
    dir = flags.resume;
    const resumable = new Set(["resume", "steps", "minutes", "backend", "help"]);
    const defaults: Record<string, unknown> = Object.fromEntries(
      Object.entries(trainOptions).map(([k, o]) => [k, "default" in o ? o.default : undefined]),
    );
    const fixed = Object.entries(flags).filter(([k, v]) => !resumable.has(k) && v !== defaults[k])
      .map(([k]) => k);
    if (fixed.length > 0) {
      throw new UsageError(
        `--${
          fixed[0]
        } cannot change on --resume (the run keeps its config.json); with --resume only --steps, --minutes and --backend are accepted`,
      );
    }
    const saved = await readSettings(dir);
    settings = {
      ...saved,
      run: {
        ...saved.run,
        ...(flags.steps !== undefined
          ? { steps: settingsFromFlags({ steps: flags.steps }).run.steps }
          : {}),
        ...(flags.minutes !== undefined ? { minutes: Number(flags.minutes) } : {}),
        ...(flags.backend !== undefined && flags.backend !== "auto"
          ? { backend: flags.backend as RunSettings["run"]["backend"] }
          : {}),
      },
    };
    const valid = validateSettings(settings);
    if (E.isLeft(valid)) throw new UsageError(valid.left.join("; "));
  } else {
    settings = settingsFromFlags(flags);
    dir = flags.out ??
      join(
        "runs",
        `${settings.data.system}-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}`,
      );
    if ((await listCheckpoints(join(dir, "checkpoints"))).length > 0) {
      throw new UsageError(
        `${dir} already holds a run; continue it with --resume ${dir} or choose another --out`,
      );
    }
  }
  const choice = await useBackend(settings.run.backend);
  console.log(`train: ${choice.report}`);
  if (flags.resume) {
    state = await loadLatestCheckpoint(join(dir, "checkpoints"));
    console.log(`train: resuming ${dir} at step ${state.step}`);
  } else {
    await Deno.mkdir(dir, { recursive: true });
    await writeTextAtomic(join(dir, "config.json"), JSON.stringify(settings, null, 2) + "\n");
    state = initTrainState(settings.train);
  }
  const { train, run: r } = settings;
  const model = train.model;
  const gen = dataFor(settings);
  const frames = model.rolloutSteps + 1;
  console.log(
    `train: HGN on ${settings.data.system} (${model.size} px, ${model.hamiltonian} H, ${model.integrator}, dt ${model.dt}, ` +
      `${model.rolloutSteps}-step rollouts${
        train.curriculum
          ? ` after ${train.curriculum.from} for ${train.curriculum.hold} updates, growing over ${train.curriculum.grow}`
          : ""
      }, batch ${train.batchSize}) -> ${dir}`,
  );
  let interrupted = false;
  const onInterrupt = () => (interrupted = true);
  Deno.addSignalListener("SIGINT", onInterrupt);
  const bar = Deno.stderr.isTerminal()
    ? new SingleBar({
      format:
        "train [{bar}] {value}/{total} | loss {loss} | mse {mse} | kl {kl} | lambda {lambda} | T {t} | {rate} steps/s",
      hideCursor: true,
    })
    : undefined;
  const startStep = state.step;
  bar?.start(r.steps, state.step, { loss: "-", mse: "-", kl: "-", lambda: "-", t: "-", rate: "-" });
  const started = performance.now();
  const metricsFile = await Deno.open(join(dir, "metrics.jsonl"), { append: true, create: true });
  const write = (line: object) =>
    metricsFile.write(new TextEncoder().encode(JSON.stringify(line) + "\n"));
  let last: StepMetrics | undefined;
  let stopReason = "reached --steps";
  try {
    while (state.step < r.steps) {
      if (interrupted) {
        stopReason = "interrupted (Ctrl-C)";
        break;
      }
      if (r.minutes > 0 && performance.now() - started > r.minutes * 60_000) {
        stopReason = `reached --minutes ${r.minutes}`;
        break;
      }
      const idx = batchIndices(train.seed, train.trainSize, train.batchSize, state.step);
      const batch = toBatch(idx.map((i) => gen.example("train", i).pixels), frames, model.size);
      try {
        last = await trainStep(state, batch);
      } finally {
        batch.dispose();
      }
      const rate = (state.step - startStep) / ((performance.now() - started) / 1000);
      if (state.step % r.logEvery === 0 || state.step === r.steps) {
        await write({
          ...last,
          seconds: (performance.now() - started) / 1000,
          stepsPerSecond: rate,
        });
        if (!bar) {
          console.log(
            `step ${last.step}/${r.steps} loss ${last.loss.toExponential(3)} mse ${
              last.mse.toExponential(3)
            } kl ${last.kl.toExponential(2)} lambda ${
              last.lambda.toFixed(3)
            } T ${last.rolloutSteps} ${rate.toFixed(2)} steps/s`,
          );
        }
      }
      bar?.update(state.step, {
        loss: last.loss.toExponential(2),
        mse: last.mse.toExponential(2),
        kl: last.kl.toExponential(2),
        lambda: last.lambda.toFixed(2),
        t: last.rolloutSteps,
        rate: rate.toFixed(2),
      });
      if (state.step % r.checkpointEvery === 0) {
        await saveCheckpoint(join(dir, "checkpoints"), state, r.keep);
      }
    }
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      bar?.stop();
      const file = await saveCheckpoint(join(dir, "checkpoints"), state, r.keep);
      metricsFile.close();
      throw new UsageError(
        `${e.message}; last good checkpoint: ${file} (lower --lr, or resume with --resume ${dir})`,
      );
    }
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
  bar?.stop();
  metricsFile.close();
  const file = await saveCheckpoint(join(dir, "checkpoints"), state, r.keep);
  const minutes = (performance.now() - started) / 60_000;
  console.log(
    `train: stopped at step ${state.step} (${stopReason}) after ${
      minutes.toFixed(1)
    } min; checkpoint ${file}`,
  );
  if (interrupted) {
    console.log(`train: resume with: deno run -A cli.ts train --resume ${dir}`);
    return;
  }
  await finishRun(settings, dir, state, choice.report, tf.getBackend());
};
