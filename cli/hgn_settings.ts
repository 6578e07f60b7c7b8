/**
 * The settings of an HGN run, as the `train`, `eval` and `rollout` commands share them: built from
 * flags, validated once (every problem reported), saved as the run's `config.json`.
 *
 * @module
 */
import { check, type Errors, validateAll } from "../lib/core/validation.ts";
import { E } from "../lib/deps/fp.ts";
import { HGN_RECIPES, type HgnConfig, validateHgnConfig } from "../lib/models/hgn/config.ts";
import type { HgnObjectiveConfig } from "../lib/models/hgn/loss.ts";
import type { GecoConfig } from "../lib/train/constrained.ts";
import { type BackendRequest, backendRequests } from "../lib/tensor/backend.ts";
import { systems } from "../lib/systems/registry.ts";
import type { NoiseMode } from "../lib/data/dataset.ts";
import { intFlag, numberFlag, type Options, UsageError } from "./usage.ts";
import { defaultThreads, type RunSchedule } from "./fit_run.ts";

/** The config.json version this code writes and reads. */
export const SETTINGS_VERSION = 2;

/** Everything a run needs, as saved in `config.json`. */
export interface RunSettings {
  readonly version: typeof SETTINGS_VERSION;
  readonly preset: "small" | "paper";
  /** the model record's config: the network, scored frames, curriculum */
  readonly objective: HgnObjectiveConfig;
  /** the Lagrange multiplier of the stochastic variant (absent: deterministic, plain MSE) */
  readonly geco?: GecoConfig;
  readonly train: {
    readonly batchSize: number;
    /** Adam learning rate of the weights (paper: 1.5e-4) */
    readonly learningRate: number;
    /** seed of the weights, the batch order and each update's randomness */
    readonly seed: number;
    /** training sequences cycled through (seeded shuffle per epoch) */
    readonly trainSize: number;
    /** cosine decay of the learning rate to `final` times its start over `steps` updates */
    readonly decay?: { readonly steps: number; readonly final: number };
  };
  readonly data: {
    /** a dataset directory written by `cli.ts generate` (absent: generated from the seed) */
    readonly dir?: string;
    readonly system: string;
    readonly seed: number;
    readonly noiseMode: NoiseMode;
    readonly noiseStd?: number;
  };
  readonly run: RunSchedule & {
    /** test sequences evaluated at the end */
    readonly testSize: number;
    /** unroll length of the evaluation (paper: 30) */
    readonly evalSteps: number;
    /**
     * a longer unroll also evaluated at the end, on test sequences generated (or stored) with
     * as many frames: extrapolation past the paper's horizon (0 or absent: none)
     */
    readonly extrapolateSteps?: number;
    readonly backend: BackendRequest;
    /**
     * workers computing each update's gradient on slices of the batch (1: in the main thread);
     * absent in runs written before it existed: 1
     */
    readonly threads?: number;
  };
}

/** The flags of `train` (eval and rollout take a subset). */
export const trainOptions = {
  preset: { type: "string", default: "small" },
  system: { type: "string" },
  size: { type: "string" },
  steps: { type: "string" },
  minutes: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  "lr-decay": { type: "string" },
  "rollout-steps": { type: "string" },
  "input-frames": { type: "string" },
  dt: { type: "string" },
  integrator: { type: "string" },
  hamiltonian: { type: "string" },
  deterministic: { type: "boolean" },
  stochastic: { type: "boolean" },
  "no-fpsi": { type: "boolean" },
  "state-channels": { type: "string" },
  "encoder-width": { type: "string" },
  "encoder-layers": { type: "string" },
  "fpsi-width": { type: "string" },
  "fpsi-layers": { type: "string" },
  "hamiltonian-width": { type: "string" },
  "hamiltonian-layers": { type: "string" },
  "decoder-width": { type: "string" },
  "geco-tolerance": { type: "string" },
  "frames-per-update": { type: "string" },
  "rollout-start": { type: "string" },
  "rollout-hold": { type: "string" },
  "rollout-grow": { type: "string" },
  "geco-init": { type: "string" },
  "geco-lr": { type: "string" },
  "consistency-weight": { type: "string" },
  "consistency-windows": { type: "string" },
  "consistency-start": { type: "string" },
  "kl-hold": { type: "string" },
  "kl-grow": { type: "string" },
  seed: { type: "string" },
  "data-seed": { type: "string" },
  "train-size": { type: "string" },
  "test-size": { type: "string" },
  "eval-steps": { type: "string" },
  "extrapolate-steps": { type: "string" },
  "noise-mode": { type: "string" },
  "noise-std": { type: "string" },
  "log-every": { type: "string" },
  "checkpoint-every": { type: "string" },
  keep: { type: "string" },
  backend: { type: "string", default: "auto" },
  threads: { type: "string" },
  data: { type: "string" },
  out: { type: "string" },
  resume: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

type Flags = {
  [K in keyof typeof trainOptions]?: (typeof trainOptions)[K]["type"] extends "boolean" ? boolean
    : string;
};

/**
 * Builds and validates run settings from flags; a `UsageError` listing every problem.
 */
export const settingsFromFlags = (flags: Flags): RunSettings => {
  const presetName = flags.preset ?? "small";
  if (presetName !== "small" && presetName !== "paper") {
    throw new UsageError(`--preset must be small or paper, got '${presetName}'`);
  }
  if (flags.deterministic && flags.stochastic) {
    throw new UsageError("--deterministic and --stochastic contradict each other; give one");
  }
  const preset = HGN_RECIPES[presetName];
  const m = preset.model;
  const num = (name: keyof Flags, fallback: number) =>
    numberFlag(name, flags[name] as string | undefined, fallback);
  const int = (name: keyof Flags, fallback: number, min = 1, max?: number) =>
    intFlag(name, flags[name] as string | undefined, fallback, min, max);
  const model: HgnConfig = {
    ...m,
    size: int("size", m.size),
    rolloutSteps: int("rollout-steps", m.rolloutSteps),
    inputFrames: int("input-frames", m.inputFrames),
    dt: num("dt", m.dt),
    integrator: flags.integrator ?? m.integrator,
    hamiltonian: (flags.hamiltonian ?? m.hamiltonian) as HgnConfig["hamiltonian"],
    deterministic: flags.stochastic ? false : flags.deterministic ?? m.deterministic,
    fpsi: !(flags["no-fpsi"] ?? !m.fpsi),
    stateChannels: int("state-channels", m.stateChannels),
    encoderWidth: int("encoder-width", m.encoderWidth),
    encoderLayers: int("encoder-layers", m.encoderLayers),
    transformerWidth: int("fpsi-width", m.transformerWidth),
    transformerLayers: int("fpsi-layers", m.transformerLayers),
    hamiltonianWidth: int("hamiltonian-width", m.hamiltonianWidth),
    hamiltonianLayers: int("hamiltonian-layers", m.hamiltonianLayers),
    decoderWidth: int("decoder-width", m.decoderWidth),
  };
  const steps = int("steps", preset.steps);
  // The recipe's curriculum in shares of the updates, its start no longer than the rollout.
  const c = preset.curriculum;
  const hold = int("rollout-hold", c ? Math.round(c.hold * steps) : 0, 0);
  const grow = int("rollout-grow", c ? Math.round(c.grow * steps) : 0, 0);
  const start = int("rollout-start", Math.min(c?.from ?? Infinity, model.rolloutSteps));
  const backend = flags.backend ?? "auto";
  const noiseMode = flags["noise-mode"] ?? preset.noiseMode;
  const stochastic = !model.deterministic;
  const framesPerUpdate = int("frames-per-update", preset.framesPerUpdate, 0);
  if (!stochastic && (flags["kl-hold"] ?? flags["kl-grow"]) !== undefined) {
    throw new UsageError(
      "--kl-hold and --kl-grow apply to the stochastic variant only (add --stochastic)",
    );
  }
  const klHold = int("kl-hold", preset.klWarmup?.hold ?? 0, 0);
  const klGrow = int("kl-grow", preset.klWarmup?.grow ?? 0, 0);
  const consistencyWeight = num("consistency-weight", preset.consistency?.weight ?? 0);
  const consistencyWindows = int("consistency-windows", preset.consistency?.windows ?? 2);
  const evalSteps = int("eval-steps", 30);
  const lrDecay = num("lr-decay", preset.lrDecay);
  const settings: RunSettings = {
    version: SETTINGS_VERSION,
    preset: presetName,
    objective: {
      model,
      ...(framesPerUpdate > 0 ? { framesPerUpdate } : {}),
      // (one that starts at the full length is none; one past it is reported below)
      ...(hold + grow > 0 && start !== model.rolloutSteps
        ? { curriculum: { from: start, hold, grow } }
        : {}),
      ...(stochastic && klHold + klGrow > 0 ? { klWarmup: { hold: klHold, grow: klGrow } } : {}),
      ...(consistencyWeight !== 0
        ? {
          consistency: {
            weight: consistencyWeight,
            windows: consistencyWindows,
            start: int(
              "consistency-start",
              Math.round((preset.consistency?.start ?? 0) * steps),
              0,
            ),
          },
        }
        : {}),
    },
    ...(stochastic
      ? {
        geco: {
          tolerance: num("geco-tolerance", 1e-3),
          init: num("geco-init", preset.gecoInit),
          learningRate: num("geco-lr", preset.gecoLearningRate),
        },
      }
      : {}),
    train: {
      batchSize: int("batch-size", preset.batchSize),
      learningRate: num("lr", preset.learningRate),
      seed: int("seed", 0, 0, 0xffffffff),
      trainSize: int("train-size", 50000),
      ...(lrDecay !== 1 ? { decay: { steps, final: lrDecay } } : {}),
    },
    data: {
      ...(flags.data !== undefined ? { dir: flags.data } : {}),
      system: flags.system ?? "mass-spring",
      seed: int("data-seed", 0, 0, 0xffffffff),
      noiseMode: noiseMode as NoiseMode,
      ...(flags["noise-std"] !== undefined ? { noiseStd: num("noise-std", 0) } : {}),
    },
    run: {
      steps,
      minutes: num("minutes", 0),
      logEvery: int("log-every", 10),
      checkpointEvery: int("checkpoint-every", 200),
      keep: int("keep", 3),
      testSize: int("test-size", preset.testSize),
      evalSteps,
      extrapolateSteps: int("extrapolate-steps", 2 * evalSteps, 0, 1000),
      backend: backend as BackendRequest,
      threads: int("threads", defaultThreads(), 1, 256),
    },
  };
  const problems = validateSettings(settings);
  if (E.isLeft(problems)) throw new UsageError(problems.left.join("; "));
  return settings;
};

/** Validates settings (also those read back from a run's `config.json`). */
export const validateSettings = (s: RunSettings): E.Either<Errors, RunSettings> => {
  const extent = Object.hasOwn(systems, s.data.system)
    ? systems[s.data.system as keyof typeof systems]().extent
    : Infinity;
  const model = validateHgnConfig(s.objective.model);
  const m = s.objective.model;
  const geco = s.geco;
  const positive = (x: number) => Number.isFinite(x) && x > 0;
  return validateAll(s, [
    ...(E.isLeft(model) ? [model] : []),
    check(
      s.data.system,
      (n) => Object.hasOwn(systems, n),
      `unknown system '${s.data.system}'; accepted: ${Object.keys(systems).join(", ")}`,
    ),
    check(
      s.data.noiseMode,
      (n) => ["observation", "initial", "none"].includes(n),
      `--noise-mode must be observation, initial or none, got '${s.data.noiseMode}'`,
    ),
    check(
      s.run.backend,
      (b) => backendRequests.includes(b),
      `--backend must be one of ${backendRequests.join(", ")}, got '${s.run.backend}'`,
    ),
    check(
      s.run.threads,
      (t) => t === undefined || (Number.isInteger(t) && t >= 1 && t <= 256),
      `--threads must be an integer in [1, 256], got ${s.run.threads}`,
    ),
    check(
      s.data.noiseStd,
      (x) => x === undefined || (Number.isFinite(x) && x >= 0 && x <= extent),
      `--noise-std must be in [0, ${extent}] (the scene's half-width for ${s.data.system}), got ${s.data.noiseStd}`,
    ),
    check(s.train.learningRate, positive, `--lr must be > 0, got ${s.train.learningRate}`),
    check(
      s.train.decay,
      (d) =>
        d === undefined ||
        (Number.isFinite(d.final) && d.final >= 0 && d.final <= 1 && d.steps >= 1),
      `--lr-decay must be in [0, 1] (the final fraction of --lr; 1: constant), got ${s.train.decay?.final}`,
    ),
    check(
      geco,
      (g) => g === undefined || (Number.isFinite(g.learningRate) && g.learningRate >= 0),
      `--geco-lr must be >= 0, got ${geco?.learningRate}`,
    ),
    check(
      geco,
      (g) => g === undefined || positive(g.init),
      `--geco-init must be > 0, got ${geco?.init}`,
    ),
    check(
      geco,
      (g) => g === undefined || (Number.isFinite(g.tolerance) && g.tolerance >= 0),
      `--geco-tolerance must be >= 0, got ${geco?.tolerance}`,
    ),
    check(
      geco,
      (g) => (g === undefined) === m.deterministic,
      "the GECO settings are present exactly when the model is stochastic",
    ),
    check(
      s.run.minutes,
      (x) => Number.isFinite(x) && x >= 0,
      `--minutes must be >= 0 (0: no limit), got ${s.run.minutes}`,
    ),
    check(
      s.objective.curriculum,
      (c) =>
        c === undefined ||
        (Number.isInteger(c.from) && c.from >= 1 && c.from <= m.rolloutSteps),
      `--rollout-start must be an integer in [1, --rollout-steps = ${m.rolloutSteps}], got ${s.objective.curriculum?.from}`,
    ),
    check(
      s.objective.klWarmup,
      (w) =>
        w === undefined ||
        (!m.deterministic && [w.hold, w.grow].every((u) => Number.isInteger(u) && u >= 0)),
      `--kl-hold and --kl-grow must be integers >= 0 on the stochastic variant, got ${s.objective.klWarmup?.hold} and ${s.objective.klWarmup?.grow}`,
    ),
    check(
      s.objective.consistency,
      (c) =>
        c === undefined ||
        (Number.isFinite(c.weight) && c.weight >= 0 && Number.isInteger(c.windows) &&
          c.windows >= 1),
      `--consistency-weight must be >= 0 and --consistency-windows an integer >= 1, got ${s.objective.consistency?.weight} and ${s.objective.consistency?.windows}`,
    ),
    check(
      s.objective.curriculum,
      (c) =>
        c === undefined ||
        [c.hold, c.grow].every((u) => Number.isInteger(u) && u >= 0),
      `--rollout-hold and --rollout-grow must be integers >= 0, got ${s.objective.curriculum?.hold} and ${s.objective.curriculum?.grow}`,
    ),
    check(
      s.run.evalSteps,
      (x) => x + 1 >= m.inputFrames,
      `--eval-steps + 1 must cover the ${m.inputFrames} input frames, got ${s.run.evalSteps}`,
    ),
    check(
      s.run.extrapolateSteps,
      (x) =>
        x === undefined || x === 0 || (Number.isInteger(x) && x > s.run.evalSteps && x <= 1000),
      `--extrapolate-steps must be 0 (none) or an integer in (--eval-steps = ${s.run.evalSteps}, 1000], got ${s.run.extrapolateSteps}`,
    ),
    check(
      s.train.trainSize,
      (n) => n >= s.train.batchSize,
      `--train-size (${s.train.trainSize}) must be at least --batch-size (${s.train.batchSize})`,
    ),
  ]);
};

/**
 * A rough upper bound of the memory one training update and one evaluation batch take, in bytes:
 * the decoder's activations at full resolution dominate (kept for the backward pass and its
 * second-order terms), then the encoder's.
 */
export const memoryEstimate = (s: RunSettings): number => {
  const m = s.objective.model;
  const pixels = m.size * m.size;
  const scored = s.objective.framesPerUpdate || m.rolloutSteps + 1;
  const decoderLayers = 2 * Math.round(Math.log2(m.size / 4)) + 2;
  const perFrame = pixels * m.decoderWidth * decoderLayers * 4;
  const encoder = pixels * (3 * m.inputFrames + 2 * m.encoderWidth * m.encoderLayers) * 4;
  const update = s.train.batchSize * (scored * perFrame + encoder) * 3;
  const evaluation = 16 * ((s.run.evalSteps + 1) * perFrame + encoder);
  return Math.max(update, evaluation);
};

/** Refuses settings whose update would not fit in half of `totalBytes` of memory. */
export const checkMemory = (s: RunSettings, totalBytes: number): void => {
  const need = memoryEstimate(s);
  if (need <= totalBytes / 2) return;
  const gb = (x: number) => (x / 2 ** 30).toFixed(x < 2 ** 30 ? 2 : 0);
  const perSequence = memoryEstimate({ ...s, train: { ...s.train, batchSize: 1 } });
  const fits = Math.floor(totalBytes / 2 / perSequence);
  throw new UsageError(
    `--batch-size ${s.train.batchSize} (with --eval-steps ${s.run.evalSteps}) needs about ${
      gb(need)
    } GB for one update, more than half of this machine's ${gb(totalBytes)} GB; ${
      fits >= 1 ? `at most --batch-size ${fits} fits` : "the model is too large for this machine"
    }`,
  );
};
