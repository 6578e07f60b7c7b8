/**
 * `cli.ts nhf` and `cli.ts realnvp`: train a density model (a Neural Hamiltonian Flow, or the
 * RealNVP baseline) on a built-in target (`--data mixture|ring8|moons|rings|mixture6d`), with the
 * run folder, progress, checkpoints, resume and signals of every model command; then evaluate
 * test log-likelihood (NHF: the importance-weighted bound; RealNVP: exact) against the target's
 * own, and draw the KDE of 1000 samples beside the target density (and NHF's K(p), V(q)).
 *
 * @module
 */
import { join } from "node:path";
import { E } from "../lib/deps/fp.ts";
import { tf } from "../lib/deps/tf.ts";
import { deriveSeed } from "../lib/core/random.ts";
import { gridPoints, kde2d } from "../lib/data/kde.ts";
import { targetByName, targets } from "../lib/data/targets.ts";
import { writeFileAtomic, writeTextAtomic } from "../lib/io/atomic.ts";
import { drawPaths, encodePng, heatmap } from "../lib/io/image.ts";
import { lineChart, reportHtml } from "../lib/io/report.ts";
import { claimRunDir, readMetrics, writeRunConfig } from "../lib/io/run.ts";
import { type Model } from "../lib/models/model.ts";
import {
  energyOf,
  nhf,
  NHF_2D,
  nhfBound,
  type NhfConfig,
  type NhfParams,
  nhfSteps,
  sampleNhf,
  samplePrior,
} from "../lib/models/nhf/model.ts";
import {
  realNvp,
  REALNVP_2D,
  type RealNvpConfig,
  realNvpLogLikelihood,
  type RealNvpParams,
  sampleRealNvp,
} from "../lib/models/realnvp/model.ts";
import { backendRequests, useBackend } from "../lib/tensor/backend.ts";
import { constrained, type GecoConfig } from "../lib/train/constrained.ts";
import { targetBatches, targetTensor } from "../lib/train/sources.ts";
import { disposeState, initState, type StepMetrics, type TrainState } from "../lib/train/state.ts";
import { check, type Errors, validateAll } from "../lib/core/validation.ts";
import { defaultThreads, readRunJson, resumeState, type RunSchedule } from "../lib/runs/fit.ts";
import { runFit, signalStatus } from "./fit_run.ts";
import { intFlag, numberFlag, type Options, parseFlags, UsageError } from "./usage.ts";

/** Which density model. */
export type DensityModel = "nhf" | "realnvp";

/** Everything a density run needs, as saved in `config.json`. */
export interface DensitySettings {
  readonly version: 1;
  readonly kind: "density";
  readonly model: DensityModel;
  /** the model's hyperparameters; an NHF trained under the Lagrange multiplier adds `geco` */
  readonly config: NhfConfig | RealNvpConfig | (NhfConfig & { readonly geco: GecoConfig });
  readonly data: { readonly target: string };
  readonly train: {
    readonly batchSize: number;
    readonly learningRate: number;
    readonly seed: number;
    /** cosine learning-rate decay (absent: constant) */
    readonly decay?: { readonly steps: number; readonly final: number };
  };
  readonly run: RunSchedule & {
    /** test points drawn (seeded, apart from training draws) for the final evaluation */
    readonly testSize: number;
    /** NHF: momentum draws of the importance-weighted bound */
    readonly iwSamples: number;
    readonly backend: string;
    /** gradient workers per update (absent in runs written before it existed: 1) */
    readonly threads?: number;
  };
}

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

/** Builds and validates the settings of a new run from flags. */
export const densitySettings = (model: DensityModel, flags: Flags): DensitySettings => {
  const foreign = (model === "nhf" ? REALNVP_ONLY : NHF_ONLY).filter((k) =>
    flags[k as keyof Flags] !== undefined
  );
  if (foreign.length > 0) {
    throw new UsageError(`--${foreign[0]} is not a flag of '${model}'`);
  }
  const int = (name: keyof Flags, fallback: number, min = 1, max = 1_000_000_000) =>
    intFlag(name, flags[name] as string | undefined, fallback, min, max);
  const num = (name: keyof Flags, fallback: number) =>
    numberFlag(name, flags[name] as string | undefined, fallback);
  const target = flags.data ?? "mixture";
  const dim = Object.hasOwn(targets, target) ? targets[target].dim : 2;
  const hidden = int("hidden", 128, 1, 4096);
  const steps = int("steps", 1000);
  const lrDecay = num("lr-decay", 1);
  const gecoFlags = ["geco-init", "geco-lr"].filter((k) => flags[k as keyof Flags] !== undefined);
  if (flags["geco-tolerance"] === undefined && gecoFlags.length > 0) {
    throw new UsageError(`--${gecoFlags[0]} needs --geco-tolerance (the Lagrange multiplier)`);
  }
  const geco = flags["geco-tolerance"] === undefined ? {} : {
    geco: {
      tolerance: num("geco-tolerance", 0),
      init: num("geco-init", 1),
      learningRate: num("geco-lr", 1e-2),
    },
  };
  const config: DensitySettings["config"] = model === "nhf"
    ? {
      ...NHF_2D,
      dim,
      hidden,
      flowSteps: int("flow-steps", NHF_2D.flowSteps, 1, 64),
      leapfrogSteps: int("leapfrog-steps", NHF_2D.leapfrogSteps, 1, 64),
      dt: num("dt", NHF_2D.dt),
      prior: (flags.prior ?? NHF_2D.prior) as NhfConfig["prior"],
      priorWidth: num("prior-width", NHF_2D.priorWidth),
      priorSharpness: num("prior-sharpness", NHF_2D.priorSharpness),
      ...geco,
    }
    : { ...REALNVP_2D, dim, hidden, layers: int("layers", REALNVP_2D.layers, 1, 64) };
  const settings: DensitySettings = {
    version: 1,
    kind: "density",
    model,
    config,
    data: { target },
    train: {
      batchSize: int("batch-size", 256, 1, 1_000_000),
      learningRate: num("lr", 1e-3),
      seed: int("seed", 0, 0, 0xffffffff),
      ...(lrDecay !== 1 ? { decay: { steps, final: lrDecay } } : {}),
    },
    run: {
      steps,
      minutes: num("minutes", 0),
      logEvery: int("log-every", 10),
      checkpointEvery: int("checkpoint-every", 200),
      keep: int("keep", 3),
      testSize: int("test-size", 2000, 1, 1_000_000),
      iwSamples: int("iw-samples", 64, 1, 100_000),
      backend: flags.backend ?? "auto",
      threads: int("threads", defaultThreads(), 1, 256),
    },
  };
  const valid = validateDensity(settings);
  if (E.isLeft(valid)) throw new UsageError(valid.left.join("; "));
  return settings;
};

/** Validates density settings (also those read back from `config.json`). */
export const validateDensity = (s: DensitySettings): E.Either<Errors, DensitySettings> => {
  const c = s.config as Partial<NhfConfig & { geco: GecoConfig }>;
  const decay = s.train.decay?.final ?? 1;
  return validateAll(s, [
    check(
      s.data.target,
      (t) => Object.hasOwn(targets, t),
      `unknown --data target '${s.data.target}'; accepted: ${Object.keys(targets).join(", ")}`,
    ),
    check(
      s.train.learningRate,
      (x) => Number.isFinite(x) && x > 0,
      `--lr must be > 0, got ${s.train.learningRate}`,
    ),
    check(
      decay,
      (x) => Number.isFinite(x) && x >= 0 && x <= 1,
      `--lr-decay must be in [0, 1] (the final fraction of --lr; 1: constant), got ${decay}`,
    ),
    check(
      s.run.minutes,
      (x) => Number.isFinite(x) && x >= 0,
      `--minutes must be >= 0, got ${s.run.minutes}`,
    ),
    check(
      s.run.backend,
      (b) => (backendRequests as readonly string[]).includes(b),
      `--backend must be one of ${backendRequests.join(", ")}, got '${s.run.backend}'`,
    ),
    ...(s.model === "nhf"
      ? [
        check(
          c.dt,
          (x) => Number.isFinite(x) && x !== 0 && Math.abs(x!) <= 10,
          `--dt must be a non-zero number in [-10, 10], got ${c.dt}`,
        ),
        check(
          c.prior,
          (p) => p === "soft-uniform" || p === "normal",
          `--prior must be soft-uniform or normal, got '${c.prior}'`,
        ),
        check(
          c.priorWidth,
          (x) => Number.isFinite(x) && x! > 0 && x! <= 1000,
          `--prior-width must be in (0, 1000], got ${c.priorWidth}`,
        ),
        check(
          c.priorSharpness,
          (x) => Number.isFinite(x) && x! > 0 && x! <= 1000,
          `--prior-sharpness must be in (0, 1000], got ${c.priorSharpness}`,
        ),
        ...(c.geco === undefined ? [] : [
          check(
            c.geco.tolerance,
            Number.isFinite,
            `--geco-tolerance must be a number (nats), got ${c.geco.tolerance}`,
          ),
          check(
            c.geco.init,
            (x) => Number.isFinite(x) && x > 0,
            `--geco-init must be > 0, got ${c.geco.init}`,
          ),
          check(
            c.geco.learningRate,
            (x) => Number.isFinite(x) && x > 0,
            `--geco-lr must be > 0, got ${c.geco.learningRate}`,
          ),
        ]),
      ]
      : []),
  ]);
};

/** The model record of a run. */
const recordOf = (s: DensitySettings) =>
  (s.model === "realnvp"
    ? realNvp
    : "geco" in s.config
    ? constrained(nhf)
    : nhf) as unknown as Model<
      NhfConfig | RealNvpConfig,
      NhfParams | RealNvpParams,
      tf.Tensor2D
    >;

const optionsOf = (s: DensitySettings) => ({
  learningRate: s.train.learningRate,
  seed: s.train.seed,
  ...(s.train.decay ? { decay: s.train.decay } : {}),
  context: { batchSize: s.train.batchSize, data: s.data },
});

/** Test log-likelihood per point: NHF's importance-weighted bound, RealNVP's exact value. */
export const testLogLikelihood = (
  s: DensitySettings,
  params: NhfParams | RealNvpParams,
  x: tf.Tensor2D,
  draws = s.run.iwSamples,
): tf.Tensor1D =>
  s.model === "nhf"
    ? nhfBound(
      s.config as NhfConfig,
      params as NhfParams,
      x,
      draws,
      deriveSeed(s.train.seed, 0x1e5),
    )
    : realNvpLogLikelihood(s.config as RealNvpConfig, params as RealNvpParams, x);

/** Test points of a run: seeded draws from a stream apart from the training batches. */
export const testPoints = (s: DensitySettings): tf.Tensor2D =>
  targetTensor(targetByName(s.data.target), s.run.testSize, deriveSeed(s.train.seed, 0x7e57));

/** The mean of a per-point tensor, in chunks (memory), disposed. */
const meanInChunks = async (
  x: tf.Tensor2D,
  f: (chunk: tf.Tensor2D) => tf.Tensor1D,
  chunk = 256,
): Promise<number> => {
  let sum = 0;
  for (let at = 0; at < x.shape[0]; at += chunk) {
    const n = Math.min(chunk, x.shape[0] - at);
    const part = tf.slice(x, [at, 0], [n, x.shape[1]]) as tf.Tensor2D;
    const v = f(part);
    sum += Array.from(await v.data()).reduce((a, b) => a + b, 0);
    tf.dispose([part, v]);
  }
  return sum / x.shape[0];
};

/** Pictures of a 2-D run: KDE of 1000 samples beside the target density; NHF's K and V. */
const pictures = async (
  s: DensitySettings,
  params: NhfParams | RealNvpParams,
  dir: string,
): Promise<[string, string][]> => {
  if (s.config.dim !== 2) return [];
  const target = targetByName(s.data.target);
  const grid = { extent: 4, n: 96 };
  const samples = s.model === "nhf"
    ? sampleNhf(s.config as NhfConfig, params as NhfParams, 1000, deriveSeed(s.train.seed, 0x5a))
    : sampleRealNvp(
      s.config as RealNvpConfig,
      params as RealNvpParams,
      1000,
      deriveSeed(s.train.seed, 0x5a),
    );
  const xs = Float64Array.from(await samples.data());
  samples.dispose();
  const pts = gridPoints(grid);
  const truth = Float64Array.from(
    { length: grid.n * grid.n },
    (_, i) => Math.exp(target.logDensity(pts.subarray(2 * i, 2 * i + 2))),
  );
  const images: [string, string][] = [];
  const png = async (name: string, values: Float64Array, caption: string) => {
    const img = heatmap(values, grid.n, grid.n, 3);
    await writeFileAtomic(join(dir, "pictures", name), encodePng(img.rgb, img.width, img.height));
    images.push([`pictures/${name}`, caption]);
  };
  await png("target.png", truth, `target density (${s.data.target}), [-4, 4]^2`);
  await png("kde.png", kde2d(xs, grid, 0.3), "KDE of 1000 model samples (bandwidth 0.3)");
  if (s.model === "nhf") {
    const c = s.config as NhfConfig;
    const p = params as NhfParams;
    const at = tf.tensor2d(Float32Array.from(pts), [grid.n * grid.n, 2]);
    for (let i = 0; i < p.hamiltonians.length; i++) {
      for (const [name, net] of [["K", p.hamiltonians[i].K], ["V", p.hamiltonians[i].V]] as const) {
        const e = energyOf(c, net)(at);
        await png(
          `${name}${i + 1}.png`,
          Float64Array.from(await e.data()),
          `${name === "K" ? "kinetic K(p)" : "potential V(q)"} of flow step ${i + 1}`,
        );
        e.dispose();
      }
    }
    at.dispose();
    // figure 9: 64 prior samples through every leapfrog step of the flow
    const steps = nhfSteps(c, p);
    const s0 = samplePrior(c, 64, deriveSeed(s.train.seed, 0x9));
    let state: { q: tf.Tensor; p: tf.Tensor } = {
      q: tf.slice(s0, [0, 0], [64, 2]),
      p: tf.slice(s0, [0, 2], [64, 2]),
    };
    const qs = [Array.from(await state.q.data())];
    for (const step of steps) {
      for (let k = 0; k < c.leapfrogSteps; k++) {
        const next = step.forward(state);
        tf.dispose([state.q, state.p]);
        state = { q: next.q, p: next.p };
        qs.push(Array.from(await state.q.data()));
      }
    }
    tf.dispose([s0, state.q, state.p]);
    const paths = Array.from(
      { length: 64 },
      (_, i) => qs.map((q) => [q[2 * i], q[2 * i + 1]] as [number, number]),
    );
    const img = drawPaths(paths, grid.extent, 288);
    await writeFileAtomic(
      join(dir, "pictures", "trajectories.png"),
      encodePng(img.rgb, img.width, img.height),
    );
    images.push([
      "pictures/trajectories.png",
      "64 prior samples through every leapfrog step of the flow (light: start, yellow: end)",
    ]);
  }
  return images;
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

/** Reads `DIR/config.json` of a density run. */
export const readDensitySettings = async (
  dir: string,
  model: DensityModel,
): Promise<DensitySettings> => {
  const file = join(dir, "config.json");
  const s = await readRunJson(dir) as DensitySettings;
  if (s?.kind !== "density" || s.version !== 1 || s.model !== model) {
    throw new UsageError(`${file}: not a '${model}' run (resume it with its own command)`);
  }
  const valid = validateDensity(s);
  if (E.isLeft(valid)) throw new UsageError(`${file}: ${valid.left.join("; ")}`);
  return s;
};

/** Trains and evaluates; resolves to the exit status. */
export const runDensity = async (model: DensityModel, argv: string[]): Promise<number> => {
  const flags = parseFlags(argv, densityOptions);
  if (flags.help) {
    console.log(HELP(model));
    return 0;
  }
  let settings: DensitySettings;
  if (flags.resume !== undefined) {
    const allowed = new Set(["resume", "steps", "minutes", "backend", "threads"]);
    const fixed = Object.keys(flags).filter((k) => !allowed.has(k));
    if (fixed.length > 0) {
      throw new UsageError(
        `--${fixed[0]} cannot change on --resume; only --steps, --minutes, --backend and --threads`,
      );
    }
    const saved = await readDensitySettings(flags.resume, model);
    settings = {
      ...saved,
      run: {
        ...saved.run,
        ...(flags.steps !== undefined
          ? { steps: intFlag("steps", flags.steps, 1, 1, 1_000_000_000) }
          : {}),
        ...(flags.minutes !== undefined
          ? { minutes: numberFlag("minutes", flags.minutes, 0) }
          : {}),
        ...(flags.backend !== undefined ? { backend: flags.backend } : {}),
        ...(flags.threads !== undefined
          ? { threads: intFlag("threads", flags.threads, 1, 1, 256) }
          : {}),
      },
    };
    const valid = validateDensity(settings);
    if (E.isLeft(valid)) throw new UsageError(valid.left.join("; "));
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
  const record = recordOf(settings);
  let state: TrainState<NhfConfig | RealNvpConfig, NhfParams | RealNvpParams, tf.Tensor2D>;
  if (flags.resume !== undefined) {
    state = await resumeState(record, dir, {
      config: settings.config,
      options: optionsOf(settings),
    });
    console.log(`${model}: resuming ${dir} at step ${state.step}`);
  } else {
    await writeRunConfig(dir, settings);
    state = initState(record, settings.config, optionsOf(settings));
  }
  console.log(`${model}: ${JSON.stringify(settings.config)} on ${settings.data.target} -> ${dir}`);
  const r = settings.run;
  const result = await runFit({
    command: model,
    dir,
    state,
    source: targetBatches(targetByName(settings.data.target), {
      seed: settings.train.seed,
      batchSize: settings.train.batchSize,
    }),
    workers: {
      model: {
        module: new URL(`../lib/models/${model}/model.ts`, import.meta.url).href,
        name: model === "nhf" ? "nhf" : "realNvp",
        constrained: "geco" in settings.config,
      },
      threads: r.threads ?? 1,
      batchSize: settings.train.batchSize,
    },
    schedule: r,
    resumed: flags.resume !== undefined,
    describe: (m: StepMetrics) =>
      model === "nhf"
        ? `elbo ${m.elbo.toFixed(4)}`
        : `log-likelihood ${m.logLikelihood.toFixed(4)}`,
  });
  if (result.signal !== undefined) {
    disposeState(state);
    return signalStatus(result.signal);
  }
  const test = testPoints(settings);
  const t0 = performance.now();
  const ll = await meanInChunks(test, (x) => testLogLikelihood(settings, state.params, x));
  const evalMs = (performance.now() - t0) / settings.run.testSize;
  const xs = Array.from(await test.data());
  const target = targetByName(settings.data.target);
  let own = 0;
  for (let i = 0; i < settings.run.testSize; i++) {
    own += target.logDensity(Float64Array.from(xs.slice(i * target.dim, (i + 1) * target.dim)));
  }
  own /= settings.run.testSize;
  test.dispose();
  const s0 = performance.now();
  const drawn = settings.model === "nhf"
    ? sampleNhf(settings.config as NhfConfig, state.params as NhfParams, 1000, 1)
    : sampleRealNvp(settings.config as RealNvpConfig, state.params as RealNvpParams, 1000, 1);
  await drawn.data();
  const sampleMs = (performance.now() - s0) / 1000;
  drawn.dispose();
  const evaluation = {
    step: state.step,
    testPoints: settings.run.testSize,
    testLogLikelihood: ll,
    kind: model === "nhf" ? `importance-weighted bound, K = ${r.iwSamples}` : "exact",
    targetLogLikelihood: own,
    gap: own - ll,
    msPerDensityEvaluation: evalMs,
    msPerSample: sampleMs,
  };
  await writeTextAtomic(join(dir, "eval.json"), JSON.stringify(evaluation, null, 2) + "\n");
  console.log(
    `${model}: test log-likelihood ${ll.toFixed(4)} (${evaluation.kind}); the target's own ${
      own.toFixed(4)
    } (gap ${(own - ll).toFixed(4)} nats)`,
  );
  const images = await pictures(settings, state.params, dir);
  const metrics = await readMetrics(dir);
  const key = model === "nhf" ? "elbo" : "logLikelihood";
  const report = join(dir, "report.html");
  await writeTextAtomic(
    report,
    reportHtml({
      title: `${model === "nhf" ? "NHF" : "RealNVP"} on ${settings.data.target}`,
      summary: [
        ["steps", String(state.step)],
        ["config", JSON.stringify(settings.config)],
        ["test log-likelihood", `${ll.toFixed(4)} (${evaluation.kind})`],
        ["target's own", own.toFixed(4)],
      ],
      charts: [
        lineChart(`training ${key}`, [{
          name: key,
          points: metrics.map((m) => [m.step, m[key] as number] as [number, number]),
        }]),
      ],
      images,
    }),
  );
  console.log(
    `outputs: ${dir} (config.json, metrics.jsonl, checkpoints/, eval.json, pictures/, ${report})`,
  );
  disposeState(state);
  return 0;
};

/** A finished density run: its settings and its newest checkpoint's state (for benchmarks). */
export const loadDensityRun = async (
  dir: string,
  model: DensityModel,
): Promise<
  { settings: DensitySettings; state: TrainState<unknown, NhfParams | RealNvpParams, unknown> }
> => {
  const settings = await readDensitySettings(dir, model);
  const state = await resumeState(recordOf(settings), dir, {
    config: settings.config,
    options: optionsOf(settings),
  });
  return { settings, state: state as never };
};
