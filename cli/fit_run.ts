/**
 * The CLI side of a training run, for every model command: signals (Ctrl-C exit 130, SIGTERM
 * exit 143, both save a checkpoint), the progress line with an ETA, `metrics.jsonl` (truncated to
 * the checkpoint on resume), periodic checkpoints of finite states only, and a NaN stop that keeps
 * the last good checkpoint. The loop itself is the library's `fit`.
 *
 * @module
 */
import { join } from "node:path";
import { SingleBar } from "../lib/deps/progress.ts";
import {
  checkpointName,
  latestCheckpointFile,
  loadCheckpoint,
  saveCheckpoint,
} from "../lib/io/checkpoint.ts";
import { openMetrics } from "../lib/io/run.ts";
import { tf } from "../lib/deps/tf.ts";
import { type BatchSource, fit } from "../lib/train/fit.ts";
import { gradientPool, type ModelRef } from "../lib/train/parallel.ts";
import {
  CheckpointMismatchError,
  type CheckpointRecord,
  restoreState,
  stateRecord,
} from "../lib/train/checkpoint.ts";
import type { Model } from "../lib/models/model.ts";
import {
  type GradientSource,
  isFiniteState,
  NonFiniteLossError,
  type StepMetrics,
  type TrainOptions,
  type TrainState,
} from "../lib/train/state.ts";
import type { Params } from "../lib/tensor/nn.ts";
import { UsageError } from "./usage.ts";
import { LOCK_FILE, lockRun } from "../lib/runs/lock.ts";
import { guardWrite } from "../lib/runs/writes.ts";

/** Reads `DIR/config.json` as JSON: one line when the folder is not a run or the file is not JSON. */
export const readRunJson = async (dir: string): Promise<unknown> => {
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      throw new UsageError(`${file} not found: '${dir}' is not a run directory`);
    }
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message})`);
  }
};

/**
 * The newest checkpoint of a run restored for `model`, checked against the run's config and
 * options: a checkpoint that does not fit is one line naming its file.
 */
export const resumeState = async <C, P extends Params, B>(
  model: Model<C, P, B>,
  dir: string,
  expected: { readonly config: C; readonly options: TrainOptions },
): Promise<TrainState<C, P, B>> => {
  const file = await latestCheckpointFile(join(dir, "checkpoints"));
  const record = await loadCheckpoint(file) as unknown as CheckpointRecord;
  try {
    return restoreState(model, record, expected);
  } catch (e) {
    if (e instanceof CheckpointMismatchError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
};

/** Quotes a path for a POSIX shell when it needs it. */
export const shellQuote = (s: string): string =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;

/** When a run stops, logs and checkpoints: the `run` block of every command's config.json. */
export interface RunSchedule {
  /** total updates (a resumed run continues up to this count) */
  readonly steps: number;
  /** stop after this many minutes in this invocation (0: no cap) */
  readonly minutes: number;
  readonly logEvery: number;
  readonly checkpointEvery: number;
  /** checkpoints kept */
  readonly keep: number;
}

/** The default number of gradient workers: every core the runtime reports. */
export const defaultThreads = (): number =>
  Math.max(1, Math.min(256, globalThis.navigator?.hardwareConcurrency ?? 1));

/**
 * Gradient workers for {@link runFit}: `threads` of them (at most one per example of a
 * `batchSize` batch) building `model`; none with one thread or on webgpu.
 */
export interface FitWorkers {
  readonly model: ModelRef;
  readonly threads: number;
  readonly batchSize: number;
}

/** What {@link runFit} needs. */
export interface RunFitOptions<C, P extends Params, B> {
  /** the command, e.g. `train` or `nhf` (messages and the resume hint) */
  readonly command: string;
  /** the permissions the resume command needs besides read and write on the run */
  readonly extraPermissions?: string;
  /**
   * the command line that resumes this run, printed after a signal (default: the command with
   * `--resume DIR`); for a run inside a bigger job, e.g. a table cell, the job's own command
   */
  readonly resumeCommand?: string;
  readonly dir: string;
  readonly state: TrainState<C, P, B>;
  readonly source: BatchSource<B>;
  /** gradient workers sharing each batch (default: none, the main thread computes) */
  readonly workers?: FitWorkers;
  readonly schedule: RunSchedule;
  /** a resumed run: `metrics.jsonl` is truncated to the state's step first */
  readonly resumed: boolean;
  /** the metrics worth a line, e.g. `mse 1.2e-3` */
  readonly describe: (m: StepMetrics) => string;
  /** the caller holds the run folder's lock already (default: the fit takes it) */
  readonly holdsLock?: boolean;
}

/** How a run stopped. */
export interface RunFitResult {
  /** e.g. "reached --steps", "interrupted (Ctrl-C)" */
  readonly reason: string;
  /** the signal that stopped it, if any */
  readonly signal?: "SIGINT" | "SIGTERM";
  /** the checkpoint written at the end */
  readonly checkpoint: string;
}

/** The exit status after a signal. */
export const signalStatus = (signal: "SIGINT" | "SIGTERM"): number =>
  signal === "SIGINT" ? 130 : 143;

const eta = (seconds: number) =>
  seconds >= 3600
    ? `${(seconds / 3600).toFixed(1)} h`
    : seconds >= 60
    ? `${(seconds / 60).toFixed(1)} min`
    : `${seconds.toFixed(0)} s`;

/**
 * Trains with `fit`, saving, logging and answering signals as every model command does; with
 * `workers`, each update's gradient comes from a pool of them, started here and stopped at the end.
 */
export const runFit = async <C, P extends Params, B>(
  o: RunFitOptions<C, P, B>,
): Promise<RunFitResult> => {
  const threads = Math.min(o.workers?.threads ?? 1, o.workers?.batchSize ?? 1);
  const backend = tf.getBackend();
  const pool = o.workers && threads > 1 && backend !== "webgpu"
    ? await gradientPool(o.workers.model, o.state.config, threads, backend)
    : undefined;
  if (pool) console.log(`${o.command}: ${pool.workers} gradient workers (${pool.backend})`);
  try {
    const lock = o.holdsLock ? undefined : await takeRunLock(o.command, o.dir);
    try {
      return await fitRun(o, pool?.gradients);
    } finally {
      await lock?.release();
    }
  } finally {
    pool?.close();
  }
};

/** The newest checkpoint in `checkpoints`, or `none`: what a failed write names as the last good one. */
const lastCheckpoint = (checkpoints: string): Promise<string> =>
  latestCheckpointFile(checkpoints).catch(() => "none");

/**
 * The run folder's one-writer lock (a second writer is a one-line error naming the holder); a
 * stale lock left by a process that died is taken over with a message.
 */
export const takeRunLock = async (
  command: string,
  dir: string,
): Promise<{ readonly release: () => Promise<void> }> => {
  const last = await lastCheckpoint(join(dir, "checkpoints"));
  const lock = await guardWrite(join(dir, LOCK_FILE), () => last, () => lockRun(dir));
  if (lock.tookOver !== undefined) {
    console.log(
      `${command}: took over the lock of ${lock.tookOver}, which stopped without releasing it`,
    );
  }
  return lock;
};

const fitRun = async <C, P extends Params, B>(
  o: RunFitOptions<C, P, B>,
  gradients: GradientSource | undefined,
): Promise<RunFitResult> => {
  const { state, dir } = o;
  const { steps, minutes, logEvery, checkpointEvery, keep } = o.schedule;
  const checkpoints = join(dir, "checkpoints");
  // the newest complete checkpoint, named when a write fails
  let lastGood = o.resumed ? await lastCheckpoint(checkpoints) : "none";
  const save = async () => {
    const record = await stateRecord(state);
    const file = join(checkpoints, checkpointName(record.meta.step));
    lastGood = await guardWrite(
      file,
      () => lastGood,
      () => saveCheckpoint(checkpoints, record, keep),
    );
    return lastGood;
  };
  const metricsFile = join(dir, "metrics.jsonl");
  let signal: "SIGINT" | "SIGTERM" | undefined;
  const onInt = () => (signal ??= "SIGINT");
  const onTerm = () => (signal ??= "SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  const bar = Deno.stderr.isTerminal()
    ? new SingleBar({
      format: `${o.command} [{bar}] {value}/{total} | {what} | {rate} steps/s | ETA {eta}`,
      hideCursor: true,
    })
    : undefined;
  const startStep = state.step;
  bar?.start(steps, state.step, { what: "-", rate: "-", eta: "-" });
  const started = performance.now();
  const opened = await guardWrite(
    metricsFile,
    () => lastGood,
    () => openMetrics(dir, o.resumed ? state.step : undefined),
  );
  const log = {
    append: (line: Parameters<typeof opened.append>[0]) =>
      guardWrite(metricsFile, () => lastGood, () => opened.append(line)),
    close: () => opened.close(),
  };
  const onStep = async (last: StepMetrics) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = (state.step - startStep) / seconds;
    const left = eta(Math.max(0, (steps - state.step) / rate));
    if (state.step % logEvery === 0 || state.step === steps) {
      await log.append({ ...last, seconds, stepsPerSecond: rate });
      if (!bar) {
        console.log(
          `step ${last.step}/${steps} ${o.describe(last)} ${rate.toFixed(2)} steps/s ETA ${left}`,
        );
      }
    }
    bar?.update(state.step, { what: o.describe(last), rate: rate.toFixed(2), eta: left });
    if (state.step % checkpointEvery === 0) await save();
  };
  const shouldStop = () => {
    if (signal === "SIGINT") return "interrupted (Ctrl-C)";
    if (signal === "SIGTERM") return "terminated (SIGTERM)";
    if (minutes > 0 && performance.now() - started > minutes * 60_000) {
      return `reached --minutes ${minutes}`;
    }
    return undefined;
  };
  let reason: string;
  try {
    reason = (await fit(state, o.source, { steps, onStep, shouldStop, gradients }))
      .reason;
  } catch (e) {
    bar?.stop();
    log.close();
    if (e instanceof NonFiniteLossError) {
      // The update was not applied: the state holds the last good weights (checked, never saved
      // when not finite).
      const kept = await isFiniteState(state) ? await save() : "none (the state is not finite)";
      throw new UsageError(
        `${e.message}; last good checkpoint: ${kept} (lower --lr, or resume with --resume ${
          shellQuote(dir)
        })`,
      );
    }
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
  bar?.stop();
  log.close();
  const checkpoint = await save();
  const took = (performance.now() - started) / 60_000;
  console.log(
    `${o.command}: stopped at step ${state.step} (${
      reason === "steps" ? "reached --steps" : reason
    }) after ${took.toFixed(1)} min; checkpoint ${checkpoint}`,
  );
  if (signal !== undefined) {
    const q = shellQuote(dir);
    const extra = o.extraPermissions ? ` ${o.extraPermissions}` : "";
    console.log(
      `${o.command}: resume with: ${
        o.resumeCommand ??
          `deno run --allow-read --allow-write=${q}${extra} cli.ts ${o.command} --resume ${q}`
      }`,
    );
  }
  return { reason, signal, checkpoint };
};
