/**
 * The CLI side of a training run, for every model command: signals (Ctrl-C exit 130, SIGTERM
 * exit 143, both save a checkpoint), the progress bar or line with an ETA, the stop reason in
 * flag terms, and the resume hint. The run itself (lock, workers, metrics, checkpoints, the NaN
 * stop) is the library's `fitRun`.
 *
 * @module
 */
import { SingleBar } from "../lib/deps/progress.ts";
import type { StepMetrics } from "../lib/train/state.ts";
import type { Params } from "../lib/tensor/params.ts";
import { intFlag, numberFlag, UsageError } from "./usage.ts";
import {
  claimRunFolder,
  type FitCallbacks,
  fitRun,
  type FitRunOptions,
  type FitRunResult,
  type FitStop,
  NonFiniteRunError,
  RESUME_CHANGES,
  type ResumeChanges,
  tookOverMessage,
} from "../lib/runs/fit.ts";
import type { RunLock } from "../lib/runs/lock.ts";

/** Quotes a path for a POSIX shell when it needs it. */
export const shellQuote = (s: string): string =>
  /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;

/** What {@link runFit} needs: the library's fit options, less what the CLI answers itself. */
export interface RunFitOptions<C, P extends Params, B>
  extends Omit<FitRunOptions<C, P, B>, keyof FitCallbacks>, Omit<ConsoleFitOptions, "steps"> {}

/** How a run stopped. */
export interface RunFitResult {
  /** e.g. "reached --steps", "interrupted (Ctrl-C)" */
  readonly reason: string;
  /** the signal that stopped it, if any */
  readonly signal?: "SIGINT" | "SIGTERM";
  /** the checkpoint written at the end */
  readonly checkpoint: string;
}

/**
 * What `--resume` changes, from a model command's flags: `--steps`, `--minutes`, `--backend` and
 * `--threads`. Any other flag given (other than at its default, in `defaults`) is a `UsageError`
 * naming it: a resumed run keeps its config.json.
 */
export const resumeFlags = (
  flags: Readonly<Record<string, unknown>>,
  defaults: Readonly<Record<string, unknown>> = {},
): ResumeChanges => {
  const accepted = new Set<string>(["resume", "help", ...RESUME_CHANGES]);
  const fixed = Object.entries(flags).filter(([k, v]) =>
    !accepted.has(k) && v !== undefined && v !== defaults[k]
  );
  if (fixed.length > 0) {
    throw new UsageError(
      `--${
        fixed[0][0]
      } cannot change on --resume (the run keeps its config.json); with --resume only --steps, --minutes, --backend and --threads are accepted`,
    );
  }
  const f = flags as { steps?: string; minutes?: string; backend?: string; threads?: string };
  return {
    steps: f.steps === undefined ? undefined : intFlag("steps", f.steps, 1),
    minutes: f.minutes === undefined ? undefined : numberFlag("minutes", f.minutes, 0),
    backend: f.backend === defaults.backend ? undefined : f.backend,
    threads: f.threads === undefined ? undefined : intFlag("threads", f.threads, 1, 1, 256),
  };
};

/** The exit status after a signal. */
export const signalStatus = (signal: "SIGINT" | "SIGTERM"): number =>
  signal === "SIGINT" ? 130 : 143;

const eta = (seconds: number) =>
  seconds >= 3600
    ? `${(seconds / 3600).toFixed(1)} h`
    : seconds >= 60
    ? `${(seconds / 60).toFixed(1)} min`
    : `${seconds.toFixed(0)} s`;

/** The stop reason in the command's own terms, e.g. `reached --steps`. */
const stopReason = (stop: FitStop): string =>
  stop.kind === "steps"
    ? "reached --steps"
    : stop.kind === "minutes"
    ? `reached --minutes ${stop.minutes}`
    : stop.why;

/** How {@link consoleFit} shows a fit and says how to resume it. */
export interface ConsoleFitOptions {
  /** the command, e.g. `train` or `nhf` (messages and the resume hint) */
  readonly command: string;
  readonly dir: string;
  /** the run's total updates */
  readonly steps: number;
  /** the metrics worth a line, e.g. `mse 1.2e-3` */
  readonly describe: (m: StepMetrics) => string;
  /** the permissions the resume command needs besides read and write on the run */
  readonly extraPermissions?: string;
  /**
   * the command line that resumes this run, printed after a signal (default: the command with
   * `--resume DIR`); for a run inside a bigger job, e.g. a table cell, the job's own command
   */
  readonly resumeCommand?: string;
}

/**
 * Runs `fit` (a library call that fits into a run folder with the callbacks it is given) as every
 * model command does: Ctrl-C and SIGTERM stop it at the next update, progress is a bar on a
 * terminal and a line per logged update otherwise, the stop is said in flag terms with the resume
 * command after a signal, and a NaN stop is one line naming the last good checkpoint.
 */
export const consoleFit = async <T extends { readonly fit: FitRunResult }>(
  o: ConsoleFitOptions,
  fit: (callbacks: FitCallbacks) => Promise<T>,
): Promise<T & RunFitResult> => {
  let signal: "SIGINT" | "SIGTERM" | undefined;
  const onInt = () => (signal ??= "SIGINT");
  const onTerm = () => (signal ??= "SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  const { steps } = o;
  const bar = Deno.stderr.isTerminal()
    ? new SingleBar({
      format: `${o.command} [{bar}] {value}/{total} | {what} | {rate} steps/s | ETA {eta}`,
      hideCursor: true,
    })
    : undefined;
  let barStarted = false;
  let result: T;
  try {
    result = await fit({
      shouldStop: () =>
        signal === "SIGINT"
          ? "interrupted (Ctrl-C)"
          : signal === "SIGTERM"
          ? "terminated (SIGTERM)"
          : undefined,
      onMessage: (line) => console.log(`${o.command}: ${line}`),
      onProgress: (p) => {
        const left = eta(p.etaSeconds);
        const what = o.describe(p.metrics);
        if (p.logged && !bar) {
          console.log(
            `step ${p.metrics.step}/${steps} ${what} ${
              p.stepsPerSecond.toFixed(2)
            } steps/s ETA ${left}`,
          );
        }
        if (bar && !barStarted) {
          bar.start(steps, p.step - 1, { what: "-", rate: "-", eta: "-" });
          barStarted = true;
        }
        bar?.update(p.step, { what, rate: p.stepsPerSecond.toFixed(2), eta: left });
      },
    });
  } catch (e) {
    if (e instanceof NonFiniteRunError) {
      throw new UsageError(
        `${e.message} (lower --lr, or resume with --resume ${shellQuote(o.dir)})`,
      );
    }
    throw e;
  } finally {
    if (barStarted) bar?.stop();
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
  const r = result.fit;
  const reason = stopReason(r.stop);
  console.log(
    `${o.command}: stopped at step ${r.step} (${reason}) after ${
      (r.seconds / 60).toFixed(1)
    } min; checkpoint ${r.checkpoint}`,
  );
  if (signal !== undefined) {
    const q = shellQuote(o.dir);
    const extra = o.extraPermissions ? ` ${o.extraPermissions}` : "";
    console.log(
      `${o.command}: resume with: ${
        o.resumeCommand ??
          `deno run --allow-read --allow-write=${q}${extra} cli.ts ${o.command} --resume ${q}`
      }`,
    );
  }
  return { ...result, reason, signal, checkpoint: r.checkpoint };
};

/** Trains with the library's `fitRun` under {@link consoleFit}. */
export const runFit = async <C, P extends Params, B>(
  o: RunFitOptions<C, P, B>,
): Promise<RunFitResult> =>
  await consoleFit(
    { ...o, steps: o.schedule.steps },
    async (callbacks) => ({ fit: await fitRun({ ...o, ...callbacks }) }),
  );

/**
 * The run folder's one-writer lock for a command that holds it across more than the fit (a
 * second writer is a one-line error naming the holder); a stale lock is taken over with a message.
 */
export const takeRunLock = async (command: string, dir: string): Promise<RunLock> => {
  const lock = await claimRunFolder(dir);
  const took = tookOverMessage(lock);
  if (took) console.log(`${command}: ${took}`);
  return lock;
};
