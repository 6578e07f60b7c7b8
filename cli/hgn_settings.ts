/**
 * The flags of the HGN commands (`train`, and the subsets `eval` and `rollout` take), how they
 * build a run's settings, and the flag each setting is given by: the library's validation names
 * settings (`train.learningRate must be > 0`), the command line names flags (`--lr must be > 0`).
 *
 * @module
 */
import { E } from "../lib/deps/fp.ts";
import { HGN_RECIPES, type HgnConfig } from "../lib/models/hgn/config.ts";
import type { BackendRequest } from "../lib/tensor/backend.ts";
import type { NoiseMode } from "../lib/data/dataset.ts";
import type { Manifest } from "../lib/data/format.ts";
import { flagTerms, intFlag, numberFlag, type Options, UsageError } from "./usage.ts";
import { defaultThreads } from "../lib/runs/fit.ts";
import {
  checkMemory,
  datasetChoices,
  type HgnRunChoices,
  hgnRunSettings,
  type RunSettings,
  validateSettings,
} from "../lib/runs/hgn_settings.ts";

/** The flag that gives each setting a validation message can name. */
export const SETTING_FLAGS: Readonly<Record<string, string>> = {
  "data.dir": "--data",
  "data.system": "--system",
  "data.seed": "--data-seed",
  "data.noiseMode": "--noise-mode",
  "data.noiseStd": "--noise-std",
  "train.learningRate": "--lr",
  "train.decay.final": "--lr-decay",
  "train.batchSize": "--batch-size",
  "train.trainSize": "--train-size",
  "geco.learningRate": "--geco-lr",
  "geco.init": "--geco-init",
  "geco.tolerance": "--geco-tolerance",
  "objective.model.size": "--size",
  "objective.model.rolloutSteps": "--rollout-steps",
  "objective.curriculum.from": "--rollout-start",
  "objective.curriculum.hold": "--rollout-hold",
  "objective.curriculum.grow": "--rollout-grow",
  "objective.klWarmup.hold": "--kl-hold",
  "objective.klWarmup.grow": "--kl-grow",
  "objective.consistency.weight": "--consistency-weight",
  "objective.consistency.windows": "--consistency-windows",
  "run.backend": "--backend",
  "run.threads": "--threads",
  "run.minutes": "--minutes",
  "run.evalSteps": "--eval-steps",
  "run.extrapolateSteps": "--extrapolate-steps",
};

/**
 * A library message in flag terms: each setting path it names becomes its flag.
 *
 * @example
 * ```ts ignore
 * flagMessage("train.learningRate must be > 0, got 0"); // "--lr must be > 0, got 0"
 * ```
 */
export const flagMessage: (message: string) => string = flagTerms(SETTING_FLAGS);

/** The settings if valid, else a `UsageError` listing every problem in flag terms. */
export const checkedSettings = (settings: RunSettings): RunSettings => {
  const problems = validateSettings(settings);
  if (E.isLeft(problems)) throw new UsageError(problems.left.map(flagMessage).join("; "));
  return settings;
};

/** Refuses settings whose update would not fit in half of `totalBytes`, in flag terms. */
export const checkMemoryFlags = (settings: RunSettings, totalBytes: number): void => {
  try {
    checkMemory(settings, totalBytes);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(flagMessage(e.message));
    throw e;
  }
};

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

/** The flags of `train` as `parseFlags` gives them: strings, and booleans for switches. */
export type TrainFlags = {
  [K in keyof typeof trainOptions]?: (typeof trainOptions)[K]["type"] extends "boolean" ? boolean
    : string;
};

/**
 * Builds and validates run settings from flags (on the dataset of `--data`, given its manifest:
 * see `datasetChoices`); a `UsageError` listing every problem.
 */
export const settingsFromFlags = (
  flags: TrainFlags,
  manifest?: Pick<Manifest, "spec" | "splits">,
): RunSettings => {
  const preset = flags.preset ?? "small";
  if (preset !== "small" && preset !== "paper") {
    throw new UsageError(`--preset must be small or paper, got '${preset}'`);
  }
  if (flags.deterministic && flags.stochastic) {
    throw new UsageError("--deterministic and --stochastic contradict each other; give one");
  }
  const given = (name: keyof TrainFlags) => flags[name] as string | undefined;
  // a flag's value, or undefined: the library's recipe then decides
  const num = (name: keyof TrainFlags) =>
    given(name) === undefined ? undefined : numberFlag(name, given(name), 0);
  const int = (name: keyof TrainFlags, min = 1, max?: number) =>
    given(name) === undefined ? undefined : intFlag(name, given(name), 0, min, max);
  const deterministic = flags.stochastic
    ? false
    : flags.deterministic ?? HGN_RECIPES[preset].model.deterministic;
  if (deterministic && (flags["kl-hold"] ?? flags["kl-grow"]) !== undefined) {
    throw new UsageError(
      "--kl-hold and --kl-grow apply to the stochastic variant only (add --stochastic)",
    );
  }
  const model: Partial<HgnConfig> = {
    size: int("size"),
    rolloutSteps: int("rollout-steps"),
    inputFrames: int("input-frames"),
    dt: num("dt"),
    integrator: flags.integrator,
    hamiltonian: flags.hamiltonian as HgnConfig["hamiltonian"] | undefined,
    deterministic,
    ...(flags["no-fpsi"] ? { fpsi: false } : {}),
    stateChannels: int("state-channels"),
    encoderWidth: int("encoder-width"),
    encoderLayers: int("encoder-layers"),
    transformerWidth: int("fpsi-width"),
    transformerLayers: int("fpsi-layers"),
    hamiltonianWidth: int("hamiltonian-width"),
    hamiltonianLayers: int("hamiltonian-layers"),
    decoderWidth: int("decoder-width"),
  };
  const choices: HgnRunChoices = {
    preset,
    steps: int("steps"),
    // (undefined values leave the preset's)
    model: Object.fromEntries(Object.entries(model).filter(([, v]) => v !== undefined)),
    framesPerUpdate: int("frames-per-update", 0),
    curriculum: {
      from: int("rollout-start"),
      hold: int("rollout-hold", 0),
      grow: int("rollout-grow", 0),
    },
    ...(deterministic ? {} : { klWarmup: { hold: int("kl-hold", 0), grow: int("kl-grow", 0) } }),
    consistency: {
      weight: num("consistency-weight"),
      windows: int("consistency-windows"),
      start: int("consistency-start", 0),
    },
    geco: {
      tolerance: num("geco-tolerance"),
      init: num("geco-init"),
      learningRate: num("geco-lr"),
    },
    train: {
      batchSize: int("batch-size"),
      learningRate: num("lr"),
      seed: int("seed", 0, 0xffffffff),
      trainSize: int("train-size"),
      lrDecay: num("lr-decay"),
    },
    data: {
      dir: flags.data,
      system: flags.system,
      seed: int("data-seed", 0, 0xffffffff),
      noiseMode: flags["noise-mode"] as NoiseMode | undefined,
      noiseStd: num("noise-std"),
    },
    run: {
      minutes: num("minutes"),
      logEvery: int("log-every"),
      checkpointEvery: int("checkpoint-every"),
      keep: int("keep"),
      testSize: int("test-size"),
      evalSteps: int("eval-steps"),
      extrapolateSteps: int("extrapolate-steps", 0, 1000),
      backend: (flags.backend ?? "auto") as BackendRequest,
      threads: int("threads", 1, 256) ?? defaultThreads(),
    },
  };
  try {
    return hgnRunSettings(
      flags.data !== undefined && manifest !== undefined
        ? datasetChoices(choices, flags.data, manifest)
        : choices,
    );
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(flagMessage(e.message));
    throw e;
  }
};
