/**
 * Fitting a model into a run folder, for every model and every caller (the CLI's commands, a
 * table cell, a script): the folder's one-writer lock, gradient workers, `metrics.jsonl`
 * (truncated to the checkpoint on resume), periodic checkpoints of finite states only, a time cap,
 * and a NaN stop that keeps the last good checkpoint. The loop itself is `lib/train`'s `fit`;
 * signals, flags and the progress display stay with the caller, through `shouldStop` and
 * `onProgress`.
 *
 * @module
 */
import { join } from "node:path";
import {
  checkpointName,
  latestCheckpointFile,
  loadCheckpoint,
  saveCheckpoint,
} from "../io/checkpoint.ts";
import { openMetrics } from "../io/run.ts";
import { tf } from "../deps/tf.ts";
import { type BatchSource, fit } from "../train/fit.ts";
import { gradientPool, type ModelRef } from "../train/parallel.ts";
import {
  CheckpointMismatchError,
  type CheckpointRecord,
  restoreState,
  stateRecord,
} from "../train/checkpoint.ts";
import type { Model } from "../models/model.ts";
import {
  type GradientSource,
  isFiniteState,
  NonFiniteLossError,
  type StepMetrics,
  type TrainOptions,
  type TrainState,
} from "../train/state.ts";
import type { Params } from "../tensor/params.ts";
import { LOCK_FILE, lockRun, type RunLock } from "./lock.ts";
import { guardWrite } from "./writes.ts";

/** A run folder that cannot be read as one: its `config.json` or checkpoint is missing or wrong. */
export class RunFolderError extends RangeError {
  override name = "RunFolderError";
}

/**
 * Reads `DIR/config.json` as JSON; a folder that is not a run, or a file that is not JSON, is a
 * one-line {@link RunFolderError}.
 */
export const readRunJson = async (dir: string): Promise<unknown> => {
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      throw new RunFolderError(`${file} not found: '${dir}' is not a run directory`);
    }
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RunFolderError(`${file} is not valid JSON (${(e as Error).message})`);
  }
};

/**
 * The newest checkpoint of a run restored for `model`, checked against the run's config and
 * options: a checkpoint that does not fit is a one-line {@link RunFolderError} naming its file.
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
    if (e instanceof CheckpointMismatchError) throw new RunFolderError(`${file}: ${e.message}`);
    throw e;
  }
};

/** When a run stops, logs and checkpoints: the `run` block of every run's config.json. */
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

/**
 * A run's schedule: `steps` updates, and `choices` over the defaults every run shares (no time
 * cap, a metrics line every 10 updates, a checkpoint every 200, the last 3 kept).
 *
 * @example
 * ```ts
 * import { runSchedule } from "@hamiltonian/hgn/runs";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(runSchedule(50, { keep: 1 }), {
 *   steps: 50, minutes: 0, logEvery: 10, checkpointEvery: 200, keep: 1,
 * });
 * ```
 */
export const runSchedule = (
  steps: number,
  choices: Partial<Omit<RunSchedule, "steps">> = {},
): RunSchedule => ({
  steps,
  minutes: choices.minutes ?? 0,
  logEvery: choices.logEvery ?? 10,
  checkpointEvery: choices.checkpointEvery ?? 200,
  keep: choices.keep ?? 3,
});

/** What may change when a run resumes: when it stops and where it runs, not what it learns. */
export interface ResumeChanges {
  readonly steps?: number;
  readonly minutes?: number;
  readonly backend?: string;
  readonly threads?: number;
}

/** The names of {@link ResumeChanges}, for callers that check what else was asked. */
export const RESUME_CHANGES: readonly (keyof ResumeChanges)[] = [
  "steps",
  "minutes",
  "backend",
  "threads",
];

/**
 * A saved run's settings with `changes` applied to its `run` block (an undefined change keeps
 * the saved value); the caller validates the result as it validates new settings.
 *
 * @example
 * ```ts
 * import { resumedSettings } from "@hamiltonian/hgn/runs";
 * import { deepStrictEqual } from "node:assert/strict";
 * const saved = { model: "x", run: { steps: 100, minutes: 0, backend: "wasm", threads: 2 } };
 * deepStrictEqual(resumedSettings(saved, { steps: 300, backend: undefined }).run, {
 *   steps: 300, minutes: 0, backend: "wasm", threads: 2,
 * });
 * ```
 */
export const resumedSettings = <S extends { readonly run: object }>(
  saved: S,
  changes: ResumeChanges,
): S => ({
  ...saved,
  run: {
    ...saved.run,
    ...Object.fromEntries(
      RESUME_CHANGES.flatMap((k) => changes[k] === undefined ? [] : [[k, changes[k]]]),
    ),
  },
});

/** Where workers import a record from: the caller's reference, else the record's own origin. */
const workerModel = (
  model: { readonly name: string; readonly origin?: ModelRef },
  workers: FitWorkers,
): ModelRef => {
  const ref = workers.model ?? model.origin;
  if (!ref) {
    throw new RangeError(
      `model ${model.name} names no origin (the module a worker imports it from): train it with threads 1, or give it an origin`,
    );
  }
  return ref;
};

/** The default number of gradient workers: every core the runtime reports. */
export const defaultThreads = (): number =>
  Math.max(1, Math.min(256, globalThis.navigator?.hardwareConcurrency ?? 1));

/**
 * Gradient workers for {@link fitRun}: `threads` of them (at most one per example of a
 * `batchSize` batch) building `model`; none with one thread or on webgpu.
 */
export interface FitWorkers {
  /** where the workers import the model (default: the trained record's own `origin`) */
  readonly model?: ModelRef;
  readonly threads: number;
  readonly batchSize: number;
}

/** One update's progress, for a caller's display. */
export interface FitProgress {
  readonly metrics: StepMetrics;
  /** updates made in all, and the run's total */
  readonly step: number;
  readonly steps: number;
  /** updates per second in this invocation */
  readonly stepsPerSecond: number;
  /** the time left at that rate */
  readonly etaSeconds: number;
  /** whether this update was written to `metrics.jsonl` (every `logEvery` and the last) */
  readonly logged: boolean;
}

/**
 * Where the closing work of a run tells what it does: `status` lines (e.g. `evaluating ...`) and
 * `result` lines (tables, the outputs).
 */
export type RunLog = (line: string, kind: "status" | "result") => void;

/** How a caller follows and stops a fit: a signal, a progress display, messages. */
export interface FitCallbacks {
  /** checked before every update: a reason to stop (e.g. a signal), or undefined */
  readonly shouldStop?: () => string | undefined;
  /** after every update */
  readonly onProgress?: (p: FitProgress) => void;
  /** a line worth telling the user (workers started, a stale lock taken over, a resume) */
  readonly onMessage?: (line: string) => void;
}

/** What {@link fitRun} needs. */
export interface FitRunOptions<C, P extends Params, B> extends FitCallbacks {
  readonly dir: string;
  readonly state: TrainState<C, P, B>;
  readonly source: BatchSource<B>;
  /** gradient workers sharing each batch (default: none, the main thread computes) */
  readonly workers?: FitWorkers;
  readonly schedule: RunSchedule;
  /** a resumed run: `metrics.jsonl` is truncated to the state's step first */
  readonly resumed: boolean;
  /** the caller holds the run folder's lock already (default: the fit takes it) */
  readonly holdsLock?: boolean;
}

/** Why {@link fitRun} stopped: the schedule's steps or minutes, or the caller's `shouldStop`. */
export type FitStop =
  | { readonly kind: "steps" }
  | { readonly kind: "minutes"; readonly minutes: number }
  | { readonly kind: "caller"; readonly why: string };

/** How a run stopped. */
export interface FitRunResult {
  readonly stop: FitStop;
  /** updates made in all */
  readonly step: number;
  /** the checkpoint written at the end */
  readonly checkpoint: string;
  /** the time this invocation took */
  readonly seconds: number;
}

/**
 * The loss or a gradient was not finite: the update was not applied, and the last good state was
 * saved (when it is finite) as `checkpoint`.
 */
export class NonFiniteRunError extends RangeError {
  /**
   * @param cause the loop's error, naming the step and what was not finite
   * @param checkpoint the last good checkpoint, or `none (the state is not finite)`
   */
  constructor(override readonly cause: NonFiniteLossError, readonly checkpoint: string) {
    super(`${cause.message}; last good checkpoint: ${checkpoint}`);
    this.name = "NonFiniteRunError";
  }
}

/** The newest checkpoint in `checkpoints`, or `none`: what a failed write names as the last good one. */
const lastCheckpoint = (checkpoints: string): Promise<string> =>
  latestCheckpointFile(checkpoints).catch(() => "none");

/**
 * The run folder's one-writer lock (a second writer is a one-line `RunLockedError` naming the
 * holder); a stale lock left by a process that died is taken over, and `tookOver` says whose.
 */
export const claimRunFolder = async (dir: string): Promise<RunLock> => {
  const last = await lastCheckpoint(join(dir, "checkpoints"));
  return await guardWrite(join(dir, LOCK_FILE), () => last, () => lockRun(dir));
};

/** The line a caller prints when {@link claimRunFolder} took over a stale lock. */
export const tookOverMessage = (lock: RunLock): string | undefined =>
  lock.tookOver === undefined
    ? undefined
    : `took over the lock of ${lock.tookOver}, which stopped without releasing it`;

/**
 * Trains `state` into the run folder `dir`: checkpoints every `checkpointEvery` updates and at
 * the end, metrics every `logEvery`, until the schedule's steps or minutes or `shouldStop`; with
 * `workers`, each update's gradient comes from a pool of them, started here and stopped at the
 * end. A failed write is a one-line `RunWriteError`; a non-finite loss a {@link NonFiniteRunError}.
 */
export const fitRun = async <C, P extends Params, B>(
  o: FitRunOptions<C, P, B>,
): Promise<FitRunResult> => {
  const threads = Math.min(o.workers?.threads ?? 1, o.workers?.batchSize ?? 1);
  const backend = tf.getBackend();
  const pool = o.workers && threads > 1 && backend !== "webgpu"
    ? await gradientPool(workerModel(o.state.model, o.workers), o.state.config, threads, backend)
    : undefined;
  if (pool) o.onMessage?.(`${pool.workers} gradient workers (${pool.backend})`);
  try {
    const lock = o.holdsLock ? undefined : await claimRunFolder(o.dir);
    const took = lock && tookOverMessage(lock);
    if (took) o.onMessage?.(took);
    try {
      return await fitInFolder(o, pool?.gradients);
    } finally {
      await lock?.release();
    }
  } finally {
    pool?.close();
  }
};

const fitInFolder = async <C, P extends Params, B>(
  o: FitRunOptions<C, P, B>,
  gradients: GradientSource | undefined,
): Promise<FitRunResult> => {
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
  const startStep = state.step;
  const started = performance.now();
  const log = await guardWrite(
    metricsFile,
    () => lastGood,
    () => openMetrics(dir, o.resumed ? state.step : undefined),
  );
  const onStep = async (metrics: StepMetrics) => {
    const seconds = (performance.now() - started) / 1000;
    const stepsPerSecond = (state.step - startStep) / seconds;
    const logged = state.step % logEvery === 0 || state.step === steps;
    if (logged) {
      const line = { ...metrics, seconds, stepsPerSecond };
      await guardWrite(metricsFile, () => lastGood, () => log.append(line));
    }
    o.onProgress?.({
      metrics,
      step: state.step,
      steps,
      stepsPerSecond,
      etaSeconds: Math.max(0, (steps - state.step) / stepsPerSecond),
      logged,
    });
    if (state.step % checkpointEvery === 0) await save();
  };
  let stop: FitStop = { kind: "steps" };
  const shouldStop = () => {
    const why = o.shouldStop?.();
    if (why !== undefined) stop = { kind: "caller", why };
    else if (minutes > 0 && performance.now() - started > minutes * 60_000) {
      stop = { kind: "minutes", minutes };
    } else return undefined;
    return stop.kind;
  };
  try {
    await fit(state, o.source, { steps, onStep, shouldStop, gradients });
  } catch (e) {
    log.close();
    if (e instanceof NonFiniteLossError) {
      // The update was not applied: the state holds the last good weights (checked, never saved
      // when not finite).
      const kept = await isFiniteState(state) ? await save() : "none (the state is not finite)";
      throw new NonFiniteRunError(e, kept);
    }
    throw e;
  }
  log.close();
  const checkpoint = await save();
  return { stop, step: state.step, checkpoint, seconds: (performance.now() - started) / 1000 };
};
