/**
 * The settings of an HGN run, as a run's `config.json` holds them and the CLI's `train`, `eval`,
 * `rollout` and `table` share them: validated once (every problem reported, each naming its
 * setting by path, e.g. `train.learningRate`; the CLI names the flag instead).
 *
 * @module
 */
import { check, type Errors, validateAll } from "../core/validation.ts";
import { E } from "../deps/fp.ts";
import { HGN_RECIPES, type HgnConfig, validateHgnConfig } from "../models/hgn/config.ts";
import type { HgnObjectiveConfig } from "../models/hgn/config.ts";
import type { GecoConfig } from "../train/constrained.ts";
import { type BackendRequest, backendRequests } from "../tensor/backend.ts";
import { systems } from "../systems/registry.ts";
import type { NoiseMode } from "../data/dataset.ts";
import type { Manifest } from "../data/format.ts";
import { defaultThreads, type RunSchedule, runSchedule } from "./fit.ts";

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
      `data.noiseMode must be observation, initial or none, got '${s.data.noiseMode}'`,
    ),
    check(
      s.run.backend,
      (b) => backendRequests.includes(b),
      `run.backend must be one of ${backendRequests.join(", ")}, got '${s.run.backend}'`,
    ),
    check(
      s.run.threads,
      (t) => t === undefined || (Number.isInteger(t) && t >= 1 && t <= 256),
      `run.threads must be an integer in [1, 256], got ${s.run.threads}`,
    ),
    check(
      s.data.noiseStd,
      (x) => x === undefined || (Number.isFinite(x) && x >= 0 && x <= extent),
      `data.noiseStd must be in [0, ${extent}] (the scene's half-width for ${s.data.system}), got ${s.data.noiseStd}`,
    ),
    check(
      s.train.learningRate,
      positive,
      `train.learningRate must be > 0, got ${s.train.learningRate}`,
    ),
    check(
      s.train.decay,
      (d) =>
        d === undefined ||
        (Number.isFinite(d.final) && d.final >= 0 && d.final <= 1 && d.steps >= 1),
      `train.decay.final must be in [0, 1] (the final fraction of train.learningRate; 1: constant), got ${s.train.decay?.final}`,
    ),
    check(
      geco,
      (g) => g === undefined || (Number.isFinite(g.learningRate) && g.learningRate >= 0),
      `geco.learningRate must be >= 0, got ${geco?.learningRate}`,
    ),
    check(
      geco,
      (g) => g === undefined || positive(g.init),
      `geco.init must be > 0, got ${geco?.init}`,
    ),
    check(
      geco,
      (g) => g === undefined || (Number.isFinite(g.tolerance) && g.tolerance >= 0),
      `geco.tolerance must be >= 0, got ${geco?.tolerance}`,
    ),
    check(
      geco,
      (g) => (g === undefined) === m.deterministic,
      "the GECO settings are present exactly when the model is stochastic",
    ),
    check(
      s.run.minutes,
      (x) => Number.isFinite(x) && x >= 0,
      `run.minutes must be >= 0 (0: no limit), got ${s.run.minutes}`,
    ),
    check(
      s.objective.curriculum,
      (c) =>
        c === undefined ||
        (Number.isInteger(c.from) && c.from >= 1 && c.from <= m.rolloutSteps),
      `objective.curriculum.from must be an integer in [1, objective.model.rolloutSteps = ${m.rolloutSteps}], got ${s.objective.curriculum?.from}`,
    ),
    check(
      s.objective.klWarmup,
      (w) =>
        w === undefined ||
        (!m.deterministic && [w.hold, w.grow].every((u) => Number.isInteger(u) && u >= 0)),
      `objective.klWarmup.hold and objective.klWarmup.grow must be integers >= 0 on the stochastic variant, got ${s.objective.klWarmup?.hold} and ${s.objective.klWarmup?.grow}`,
    ),
    check(
      s.objective.consistency,
      (c) =>
        c === undefined ||
        (Number.isFinite(c.weight) && c.weight >= 0 && Number.isInteger(c.windows) &&
          c.windows >= 1),
      `objective.consistency.weight must be >= 0 and objective.consistency.windows an integer >= 1, got ${s.objective.consistency?.weight} and ${s.objective.consistency?.windows}`,
    ),
    check(
      s.objective.curriculum,
      (c) =>
        c === undefined ||
        [c.hold, c.grow].every((u) => Number.isInteger(u) && u >= 0),
      `objective.curriculum.hold and objective.curriculum.grow must be integers >= 0, got ${s.objective.curriculum?.hold} and ${s.objective.curriculum?.grow}`,
    ),
    check(
      s.run.evalSteps,
      (x) => x + 1 >= m.inputFrames,
      `run.evalSteps + 1 must cover the ${m.inputFrames} input frames, got ${s.run.evalSteps}`,
    ),
    check(
      s.run.extrapolateSteps,
      (x) =>
        x === undefined || x === 0 || (Number.isInteger(x) && x > s.run.evalSteps && x <= 1000),
      `run.extrapolateSteps must be 0 (none) or an integer in (run.evalSteps = ${s.run.evalSteps}, 1000], got ${s.run.extrapolateSteps}`,
    ),
    check(
      s.train.trainSize,
      (n) => n >= s.train.batchSize,
      `train.trainSize (${s.train.trainSize}) must be at least train.batchSize (${s.train.batchSize})`,
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
  throw new RangeError(
    `train.batchSize ${s.train.batchSize} (with run.evalSteps ${s.run.evalSteps}) needs about ${
      gb(need)
    } GB for one update, more than half of this machine's ${gb(totalBytes)} GB; ${
      fits >= 1 ? `at most train.batchSize ${fits} fits` : "the model is too large for this machine"
    }`,
  );
};

/**
 * What a script chooses for an HGN run; everything it leaves out comes from the preset's recipe
 * (the CLI's `train` flags map one to one onto these). Update counts of the curriculum, KL
 * warm-up and consistency default to the recipe's shares of `steps`.
 */
export interface HgnRunChoices {
  readonly preset?: "small" | "paper";
  readonly system?: string;
  /** total updates */
  readonly steps?: number;
  /** the network, integrator, rollout length, ... over the preset's */
  readonly model?: Partial<HgnConfig>;
  /** frames scored per update (0: every frame of the rollout) */
  readonly framesPerUpdate?: number;
  /** rollouts of `from` steps for `hold` updates, growing to the full length over `grow` */
  readonly curriculum?: { readonly from?: number; readonly hold?: number; readonly grow?: number };
  /** the stochastic variant's KL weight: 0 for `hold` updates, reaching 1 over `grow` */
  readonly klWarmup?: { readonly hold?: number; readonly grow?: number };
  /** latent consistency: its weight, windows, and the update it starts at */
  readonly consistency?: {
    readonly weight?: number;
    readonly windows?: number;
    readonly start?: number;
  };
  readonly geco?: Partial<GecoConfig>;
  readonly train?: Partial<Omit<RunSettings["train"], "decay">> & {
    /** the learning rate's final fraction under cosine decay (1: constant) */
    readonly lrDecay?: number;
  };
  readonly data?: Partial<RunSettings["data"]>;
  readonly run?: Partial<Omit<RunSettings["run"], "steps">>;
}

/**
 * The settings of an HGN run from a script's choices over a preset, validated: a `RangeError`
 * lists every problem, each naming its setting.
 *
 * @example
 * ```ts
 * import { hgnRunSettings } from "@hamiltonian/hgn/runs";
 * import { strictEqual, throws } from "node:assert/strict";
 * const s = hgnRunSettings({ system: "pendulum", steps: 300, run: { threads: 1 } });
 * strictEqual(s.data.system, "pendulum");
 * strictEqual(s.run.evalSteps, 30);
 * throws(() => hgnRunSettings({ train: { learningRate: 0 } }), /train\.learningRate must be > 0/);
 * ```
 */
export const hgnRunSettings = (c: HgnRunChoices = {}): RunSettings => {
  const presetName = c.preset ?? "small";
  const preset = HGN_RECIPES[presetName];
  if (preset === undefined) {
    throw new RangeError(`preset must be small or paper, got '${presetName}'`);
  }
  const model: HgnConfig = { ...preset.model, ...c.model };
  if (c.klWarmup !== undefined && model.deterministic) {
    throw new RangeError(
      "objective.klWarmup applies to the stochastic variant only (model.deterministic: false)",
    );
  }
  const steps = c.steps ?? preset.steps;
  // the recipe's curriculum in shares of the updates, its start no longer than the rollout
  const pc = preset.curriculum;
  const hold = c.curriculum?.hold ?? (pc ? Math.round(pc.hold * steps) : 0);
  const grow = c.curriculum?.grow ?? (pc ? Math.round(pc.grow * steps) : 0);
  const start = c.curriculum?.from ?? Math.min(pc?.from ?? Infinity, model.rolloutSteps);
  const stochastic = !model.deterministic;
  const framesPerUpdate = c.framesPerUpdate ?? preset.framesPerUpdate;
  const klHold = c.klWarmup?.hold ?? preset.klWarmup?.hold ?? 0;
  const klGrow = c.klWarmup?.grow ?? preset.klWarmup?.grow ?? 0;
  const pk = preset.consistency;
  const consistencyWeight = c.consistency?.weight ?? pk?.weight ?? 0;
  const evalSteps = c.run?.evalSteps ?? 30;
  const lrDecay = c.train?.lrDecay ?? preset.lrDecay;
  const d = c.data ?? {};
  const r = c.run ?? {};
  const settings: RunSettings = {
    version: SETTINGS_VERSION,
    preset: presetName,
    objective: {
      model,
      ...(framesPerUpdate > 0 ? { framesPerUpdate } : {}),
      // (one that starts at the full length is none; one past it is reported by validation)
      ...(hold + grow > 0 && start !== model.rolloutSteps
        ? { curriculum: { from: start, hold, grow } }
        : {}),
      ...(stochastic && klHold + klGrow > 0 ? { klWarmup: { hold: klHold, grow: klGrow } } : {}),
      ...(consistencyWeight !== 0
        ? {
          consistency: {
            weight: consistencyWeight,
            windows: c.consistency?.windows ?? pk?.windows ?? 2,
            start: c.consistency?.start ?? Math.round((pk?.start ?? 0) * steps),
          },
        }
        : {}),
    },
    ...(stochastic
      ? {
        geco: {
          tolerance: c.geco?.tolerance ?? 1e-3,
          init: c.geco?.init ?? preset.gecoInit,
          learningRate: c.geco?.learningRate ?? preset.gecoLearningRate,
        },
      }
      : {}),
    train: {
      batchSize: c.train?.batchSize ?? preset.batchSize,
      learningRate: c.train?.learningRate ?? preset.learningRate,
      seed: c.train?.seed ?? 0,
      trainSize: c.train?.trainSize ?? 50000,
      ...(lrDecay !== 1 ? { decay: { steps, final: lrDecay } } : {}),
    },
    data: {
      ...(d.dir !== undefined ? { dir: d.dir } : {}),
      system: d.system ?? c.system ?? "mass-spring",
      seed: d.seed ?? 0,
      noiseMode: d.noiseMode ?? preset.noiseMode,
      ...(d.noiseStd !== undefined ? { noiseStd: d.noiseStd } : {}),
    },
    run: {
      ...runSchedule(steps, r),
      testSize: r.testSize ?? preset.testSize,
      evalSteps,
      extrapolateSteps: r.extrapolateSteps ?? 2 * evalSteps,
      backend: r.backend ?? "auto",
      threads: r.threads ?? defaultThreads(),
    },
  };
  const problems = validateSettings(settings);
  if (E.isLeft(problems)) throw new RangeError(problems.left.join("; "));
  return settings;
};

/**
 * The choices of a run on the dataset folder `dir` with this manifest: the dataset's system,
 * seed, noise, image size and training count replace the recipe's, and the test count is at most
 * the dataset's. A choice made explicitly that contradicts the dataset is a `RangeError` naming
 * every clash, each by its setting (nothing is silently overridden).
 *
 * @example
 * ```ts ignore
 * const { manifest } = await openDataset("data/pendulum");
 * const s = hgnRunSettings(datasetChoices({ steps: 300 }, "data/pendulum", manifest));
 * ```
 */
export const datasetChoices = (
  c: HgnRunChoices,
  dir: string,
  manifest: Pick<Manifest, "spec" | "splits">,
): HgnRunChoices => {
  const { spec, splits } = manifest;
  const given: [string, unknown, unknown][] = [
    ["data.system", c.data?.system ?? c.system, spec.system],
    ["data.seed", c.data?.seed, spec.seed],
    ["data.noiseMode", c.data?.noiseMode, spec.noise.mode],
    ["data.noiseStd", c.data?.noiseStd, spec.noise.std],
    ["objective.model.size", c.model?.size, spec.render.size],
    ["train.trainSize", c.train?.trainSize, splits.train.count],
  ];
  const clash = given.filter(([, chosen, actual]) => chosen !== undefined && chosen !== actual);
  if (clash.length > 0) {
    throw new RangeError(
      `data.dir ${dir}: ${
        clash.map(([k, chosen, actual]) => `${k} ${chosen} contradicts the dataset's ${actual}`)
          .join("; ")
      } (left out, the dataset's value is used)`,
    );
  }
  const preset = HGN_RECIPES[c.preset ?? "small"];
  return {
    ...c,
    model: { ...c.model, size: spec.render.size },
    train: { ...c.train, trainSize: splits.train.count },
    data: {
      dir,
      system: spec.system,
      seed: spec.seed,
      noiseMode: spec.noise.mode,
      noiseStd: spec.noise.std,
    },
    run: {
      ...c.run,
      testSize: Math.min(c.run?.testSize ?? preset?.testSize ?? Infinity, splits.test.count),
    },
  };
};
