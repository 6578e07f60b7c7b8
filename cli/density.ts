/**
 * `cli.ts nhf` and `cli.ts realnvp`: train a density model (a Neural Hamiltonian Flow, or the
 * RealNVP baseline) on a built-in target (`--data mixture|ring8|moons|rings|mixture6d`) behind
 * flags, with the progress, signals and resume of every model command. The run itself (training,
 * evaluation, pictures, report) is the library's `lib/runs/density.ts`.
 *
 * @module
 */
import { E } from "../lib/deps/fp.ts";
import { targets } from "../lib/data/targets.ts";
import { claimRunDir } from "../lib/io/run.ts";
import type { NhfConfig } from "../lib/models/nhf/model.ts";
import { useBackend } from "../lib/tensor/backend.ts";
import { disposeState, type StepMetrics } from "../lib/train/state.ts";
import { resumedSettings } from "../lib/runs/fit.ts";
import {
  type DensityModel,
  densityRunSettings,
  type DensitySettings,
  finishDensity,
  readDensitySettings,
  trainDensity,
  validateDensity,
} from "../lib/runs/density.ts";
import { consoleFit, resumeFlags, signalStatus } from "./fit_run.ts";
import { flagTerms, intFlag, numberFlag, type Options, parseFlags, UsageError } from "./usage.ts";

/** The flag that gives each density setting a validation message can name. */
const DENSITY_FLAGS: Readonly<Record<string, string>> = {
  "data.target": "--data target",
  "train.learningRate": "--lr",
  "train.decay.final": "--lr-decay",
  "run.minutes": "--minutes",
  "run.backend": "--backend",
  "config.dt": "--dt",
  "config.prior": "--prior",
  "config.priorWidth": "--prior-width",
  "config.priorSharpness": "--prior-sharpness",
  "config.geco.tolerance": "--geco-tolerance",
  "config.geco.init": "--geco-init",
  "config.geco.learningRate": "--geco-lr",
};
const inFlags = flagTerms(DENSITY_FLAGS);

/** A library message about density settings in flag terms (`train.learningRate` is `--lr`). */
export const densityFlagMessage: (message: string) => string = inFlags;

/** The settings if valid, else a `UsageError` listing every problem in flag terms. */
const checked = (settings: DensitySettings): DensitySettings => {
  const valid = validateDensity(settings);
  if (E.isLeft(valid)) throw new UsageError(valid.left.map(inFlags).join("; "));
  return settings;
};

/** The flags of `nhf` and `realnvp` (each uses its own model's). */
export const densityOptions = {
  data: { type: "string" },
  steps: { type: "string" },
  minutes: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  "lr-decay": { type: "string" },
  seed: { type: "string" },
  hidden: { type: "string" },
  "flow-steps": { type: "string" },
  "leapfrog-steps": { type: "string" },
  dt: { type: "string" },
  prior: { type: "string" },
  "prior-width": { type: "string" },
  "prior-sharpness": { type: "string" },
  "geco-tolerance": { type: "string" },
  "geco-init": { type: "string" },
  "geco-lr": { type: "string" },
  layers: { type: "string" },
  "test-size": { type: "string" },
  "iw-samples": { type: "string" },
  "log-every": { type: "string" },
  "checkpoint-every": { type: "string" },
  keep: { type: "string" },
  backend: { type: "string" },
  threads: { type: "string" },
  out: { type: "string" },
  resume: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

type Flags = ReturnType<typeof parseFlags<typeof densityOptions>>;

const NHF_ONLY = [
  "flow-steps",
  "leapfrog-steps",
  "dt",
  "prior",
  "prior-width",
  "prior-sharpness",
  "iw-samples",
  "geco-tolerance",
  "geco-init",
  "geco-lr",
];
const REALNVP_ONLY = ["layers"];

/** Builds and validates the settings of a new run from flags (the defaults are the library's). */
export const densitySettings = (model: DensityModel, flags: Flags): DensitySettings => {
  const foreign = (model === "nhf" ? REALNVP_ONLY : NHF_ONLY).filter((k) =>
    flags[k as keyof Flags] !== undefined
  );
  if (foreign.length > 0) {
    throw new UsageError(`--${foreign[0]} is not a flag of '${model}'`);
  }
  const int = (name: keyof Flags, min = 1, max = 1_000_000_000) =>
    flags[name] === undefined ? undefined : intFlag(name, flags[name] as string, 0, min, max);
  const num = (name: keyof Flags) =>
    flags[name] === undefined ? undefined : numberFlag(name, flags[name] as string, 0);
  const gecoFlags = ["geco-init", "geco-lr"].filter((k) => flags[k as keyof Flags] !== undefined);
  if (flags["geco-tolerance"] === undefined && gecoFlags.length > 0) {
    throw new UsageError(`--${gecoFlags[0]} needs --geco-tolerance (the Lagrange multiplier)`);
  }
  const tolerance = num("geco-tolerance");
  const config = model === "nhf"
    ? {
      hidden: int("hidden", 1, 4096),
      flowSteps: int("flow-steps", 1, 64),
      leapfrogSteps: int("leapfrog-steps", 1, 64),
      dt: num("dt"),
      prior: flags.prior as NhfConfig["prior"] | undefined,
      priorWidth: num("prior-width"),
      priorSharpness: num("prior-sharpness"),
    }
    : { hidden: int("hidden", 1, 4096), layers: int("layers", 1, 64) };
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  try {
    return densityRunSettings(model, {
      target: flags.data,
      steps: int("steps"),
      config: defined(config),
      ...(tolerance === undefined ? {} : {
        geco: { tolerance, ...defined({ init: num("geco-init"), learningRate: num("geco-lr") }) },
      }),
      train: defined({
        batchSize: int("batch-size", 1, 1_000_000),
        learningRate: num("lr"),
        seed: int("seed", 0, 0xffffffff),
        lrDecay: num("lr-decay"),
      }),
      run: defined({
        minutes: num("minutes"),
        logEvery: int("log-every"),
        checkpointEvery: int("checkpoint-every"),
        keep: int("keep"),
        testSize: int("test-size", 1, 1_000_000),
        iwSamples: int("iw-samples", 1, 100_000),
        backend: flags.backend,
        threads: int("threads", 1, 256),
      }),
    });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(inFlags(e.message));
    throw e;
  }
};

const HELP = (model: DensityModel) =>
  `usage: deno run --allow-read --allow-write=runs cli.ts ${model} [flags]
Trains ${
    model === "nhf" ? "a Neural Hamiltonian Flow" : "the RealNVP baseline"
  } on a density target, then evaluates test
log-likelihood (${
    model === "nhf" ? "importance-weighted bound" : "exact"
  }) and draws the KDE of 1000 samples beside the target.
  --data TARGET          ${Object.keys(targets).join(", ")} (default mixture, figure 10's)
  --steps N (1000) --minutes X --batch-size N (256) --lr X (1e-3) --seed N --hidden N (128)
  --lr-decay X           cosine-decay the learning rate to X times --lr over --steps (1: constant)
${
    model === "nhf"
      ? "  --flow-steps N (2) --leapfrog-steps N (2) --dt X (0.5)\n  --prior soft-uniform|normal --prior-width X (6) --prior-sharpness X (4) --iw-samples K (64)\n  --geco-tolerance X     train under the paper's Lagrange multiplier: -ELBO + lambda (E[-log pi(s_0)] - X)\n  --geco-init X (1) --geco-lr X (1e-2)   its initial lambda and its (ascent) learning rate"
      : "  --layers N (2)"
  }
  --test-size N (2000) --log-every N --checkpoint-every N --keep N --backend auto|webgpu|wasm|cpu
  --threads N (every core) gradient workers per update (another N: the same to float32 rounding)
  --out DIR (default runs/${model}-<target>-<time>)   --resume DIR (with --steps, --minutes, --backend)`;

/** Trains and evaluates; resolves to the exit status. */
export const runDensity = async (model: DensityModel, argv: string[]): Promise<number> => {
  const flags = parseFlags(argv, densityOptions);
  if (flags.help) {
    console.log(HELP(model));
    return 0;
  }
  let settings: DensitySettings;
  if (flags.resume !== undefined) {
    const saved = await readDensitySettings(flags.resume, model);
    settings = checked(resumedSettings(saved, resumeFlags(flags)));
  } else {
    settings = densitySettings(model, flags);
  }
  const choice = await useBackend(settings.run.backend as never);
  const dir = flags.resume ?? await claimRunDir(
    flags.out !== undefined ? { dir: flags.out } : {
      base: "runs",
      name: `${model}-${settings.data.target}-${
        new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)
      }`,
    },
  );
  console.log(`${model}: ${choice.report}`);
  const resumed = flags.resume !== undefined;
  const { state, signal } = await consoleFit(
    {
      command: model,
      dir,
      steps: settings.run.steps,
      describe: (m: StepMetrics) =>
        model === "nhf"
          ? `elbo ${m.elbo.toFixed(4)}`
          : `log-likelihood ${m.logLikelihood.toFixed(4)}`,
    },
    (callbacks) => trainDensity({ dir, settings, resumed, ...callbacks }),
  );
  try {
    if (signal !== undefined) return signalStatus(signal);
    await finishDensity(
      settings,
      dir,
      state,
      (line, kind) => console.log(kind === "status" ? `${model}: ${line}` : line),
    );
    return 0;
  } finally {
    disposeState(state);
  }
};
