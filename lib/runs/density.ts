/**
 * A density run end to end, for the CLI's `nhf`, `realnvp` and `nhf-compare` and for scripts: a
 * Neural Hamiltonian Flow or the RealNVP baseline on a built-in target, its settings (validated,
 * each problem naming its setting), training into a run folder, and the evaluation: test
 * log-likelihood (NHF: the importance-weighted bound; RealNVP: exact) against the target's own,
 * the KDE of 1000 samples beside the target density (and NHF's K(p), V(q)), the report.
 *
 * @module
 */
import { join } from "node:path";
import { E } from "../deps/fp.ts";
import { tf } from "../deps/tf.ts";
import { deriveSeed } from "../core/random.ts";
import { gridPoints, kde2d } from "../data/kde.ts";
import { targetByName, targets } from "../data/targets.ts";
import { writeFileAtomic, writeTextAtomic } from "../io/atomic.ts";
import { drawPaths, encodePng, heatmap } from "../io/image.ts";
import { lineChart, reportHtml } from "../io/report.ts";
import { readMetrics, writeRunConfig } from "../io/run.ts";
import type { DensityEstimatorModel, Model } from "../models/model.ts";
import {
  energyOf,
  nhf,
  NHF_2D,
  type NhfConfig,
  type NhfParams,
  nhfSteps,
  samplePrior,
} from "../models/nhf/model.ts";
import {
  realNvp,
  REALNVP_2D,
  type RealNvpConfig,
  type RealNvpParams,
} from "../models/realnvp/model.ts";
import { backendRequests } from "../tensor/backend.ts";
import { constrained, type GecoConfig } from "../train/constrained.ts";
import { targetBatches, targetTensor } from "../train/sources.ts";
import { disposeState, initState, type TrainOptions, type TrainState } from "../train/state.ts";
import { check, type Errors, validateAll } from "../core/validation.ts";
import {
  defaultThreads,
  type FitCallbacks,
  fitRun,
  type FitRunResult,
  readRunJson,
  resumeState,
  RunFolderError,
  type RunLog,
  type RunSchedule,
  runSchedule,
} from "./fit.ts";

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

/** Validates density settings (also those read back from `config.json`). */
export const validateDensity = (s: DensitySettings): E.Either<Errors, DensitySettings> => {
  const c = s.config as Partial<NhfConfig & { geco: GecoConfig }>;
  const decay = s.train.decay?.final ?? 1;
  return validateAll(s, [
    check(
      s.data.target,
      (t) => Object.hasOwn(targets, t),
      `unknown data.target '${s.data.target}'; accepted: ${Object.keys(targets).join(", ")}`,
    ),
    check(
      s.train.learningRate,
      (x) => Number.isFinite(x) && x > 0,
      `train.learningRate must be > 0, got ${s.train.learningRate}`,
    ),
    check(
      decay,
      (x) => Number.isFinite(x) && x >= 0 && x <= 1,
      `train.decay.final must be in [0, 1] (the final fraction of train.learningRate; 1: constant), got ${decay}`,
    ),
    check(
      s.run.minutes,
      (x) => Number.isFinite(x) && x >= 0,
      `run.minutes must be >= 0, got ${s.run.minutes}`,
    ),
    check(
      s.run.backend,
      (b) => (backendRequests as readonly string[]).includes(b),
      `run.backend must be one of ${backendRequests.join(", ")}, got '${s.run.backend}'`,
    ),
    ...(s.model === "nhf"
      ? [
        check(
          c.dt,
          (x) => Number.isFinite(x) && x !== 0 && Math.abs(x!) <= 10,
          `config.dt must be a non-zero number in [-10, 10], got ${c.dt}`,
        ),
        check(
          c.prior,
          (p) => p === "soft-uniform" || p === "normal",
          `config.prior must be soft-uniform or normal, got '${c.prior}'`,
        ),
        check(
          c.priorWidth,
          (x) => Number.isFinite(x) && x! > 0 && x! <= 1000,
          `config.priorWidth must be in (0, 1000], got ${c.priorWidth}`,
        ),
        check(
          c.priorSharpness,
          (x) => Number.isFinite(x) && x! > 0 && x! <= 1000,
          `config.priorSharpness must be in (0, 1000], got ${c.priorSharpness}`,
        ),
        ...(c.geco === undefined ? [] : [
          check(
            c.geco.tolerance,
            Number.isFinite,
            `config.geco.tolerance must be a number (nats), got ${c.geco.tolerance}`,
          ),
          check(
            c.geco.init,
            (x) => Number.isFinite(x) && x > 0,
            `config.geco.init must be > 0, got ${c.geco.init}`,
          ),
          check(
            c.geco.learningRate,
            (x) => Number.isFinite(x) && x > 0,
            `config.geco.learningRate must be > 0, got ${c.geco.learningRate}`,
          ),
        ]),
      ]
      : []),
  ]);
};

/**
 * What a script chooses for a density run; everything it leaves out is figure 10's recipe (the
 * CLI's `nhf` and `realnvp` flags map one to one onto these).
 */
export interface DensityRunChoices {
  /** a built-in target (default `mixture`, figure 10's); the model's `dim` follows it */
  readonly target?: string;
  /** total updates (default 1000) */
  readonly steps?: number;
  /** the model's hyperparameters over `NHF_2D` or `REALNVP_2D` */
  readonly config?: Partial<NhfConfig> | Partial<RealNvpConfig>;
  /** NHF: train under the paper's Lagrange multiplier (initial lambda 1, its rate 1e-2) */
  readonly geco?: Partial<GecoConfig> & { readonly tolerance: number };
  readonly train?: Partial<Omit<DensitySettings["train"], "decay">> & {
    /** the learning rate's final fraction under cosine decay (1: constant) */
    readonly lrDecay?: number;
  };
  readonly run?: Partial<Omit<DensitySettings["run"], "steps">>;
}

/**
 * The settings of a density run from a script's choices, validated: a `RangeError` lists every
 * problem, each naming its setting.
 *
 * @example
 * ```ts
 * import { densityRunSettings } from "@hamiltonian/hgn/runs";
 * import { strictEqual, throws } from "node:assert/strict";
 * const s = densityRunSettings("nhf", { target: "mixture6d", steps: 300 });
 * strictEqual(s.config.dim, 6);
 * strictEqual(s.run.iwSamples, 64);
 * throws(() => densityRunSettings("realnvp", { train: { learningRate: 0 } }), /train\.learningRate must be > 0/);
 * ```
 */
export const densityRunSettings = (
  model: DensityModel,
  c: DensityRunChoices = {},
): DensitySettings => {
  const target = c.target ?? "mixture";
  const dim = Object.hasOwn(targets, target) ? targets[target].dim : 2;
  const steps = c.steps ?? 1000;
  const lrDecay = c.train?.lrDecay ?? 1;
  if (model === "realnvp" && c.geco !== undefined) {
    throw new RangeError("config.geco applies to NHF only");
  }
  const geco = c.geco === undefined ? {} : {
    geco: {
      tolerance: c.geco.tolerance,
      init: c.geco.init ?? 1,
      learningRate: c.geco.learningRate ?? 1e-2,
    },
  };
  const config: DensitySettings["config"] = model === "nhf"
    ? { ...NHF_2D, dim, ...c.config as Partial<NhfConfig>, ...geco }
    : { ...REALNVP_2D, dim, ...c.config as Partial<RealNvpConfig> };
  const r = c.run ?? {};
  const settings: DensitySettings = {
    version: 1,
    kind: "density",
    model,
    config,
    data: { target },
    train: {
      batchSize: c.train?.batchSize ?? 256,
      learningRate: c.train?.learningRate ?? 1e-3,
      seed: c.train?.seed ?? 0,
      ...(lrDecay !== 1 ? { decay: { steps, final: lrDecay } } : {}),
    },
    run: {
      ...runSchedule(steps, r),
      testSize: r.testSize ?? 2000,
      iwSamples: r.iwSamples ?? 64,
      backend: r.backend ?? "auto",
      threads: r.threads ?? defaultThreads(),
    },
  };
  const problems = validateDensity(settings);
  if (E.isLeft(problems)) throw new RangeError(problems.left.join("; "));
  return settings;
};

/** The model record of a density run, whichever model it is. */
export type DensityRecord = Model<
  NhfConfig | RealNvpConfig,
  NhfParams | RealNvpParams,
  tf.Tensor2D
>;

/** A density estimator record of a density run, whichever model it is. */
type Estimator = DensityEstimatorModel<
  NhfConfig | RealNvpConfig,
  NhfParams | RealNvpParams,
  tf.Tensor2D
>;

/**
 * The density models a run can train: the record (its density capability evaluates and samples
 * it), a label, the training metric its reports plot. A new density family is a row here.
 */
export const DENSITY_MODELS: Readonly<
  Record<DensityModel, {
    readonly record: Estimator;
    readonly label: string;
    readonly metric: string;
  }>
> = {
  nhf: { record: nhf as unknown as Estimator, label: "NHF", metric: "elbo" },
  realnvp: { record: realNvp as unknown as Estimator, label: "RealNVP", metric: "logLikelihood" },
};

/** The density estimator of a run (evaluation and sampling: never under the multiplier). */
export const estimatorOf = (s: DensitySettings): Estimator => DENSITY_MODELS[s.model].record;

/** The model record a run trains (under the Lagrange multiplier when its config has `geco`). */
export const recordOf = (s: DensitySettings): DensityRecord => {
  const record = estimatorOf(s) as unknown as DensityRecord;
  return ("geco" in s.config ? constrained(record as never) : record) as unknown as DensityRecord;
};

/** The training options of a run: the optimiser, the seed and, fingerprinted, batch and data. */
export const optionsOf = (s: DensitySettings): TrainOptions => ({
  learningRate: s.train.learningRate,
  seed: s.train.seed,
  ...(s.train.decay ? { decay: s.train.decay } : {}),
  context: { batchSize: s.train.batchSize, data: s.data },
});

/**
 * Test log-likelihood per point, by the record's density capability: exact (RealNVP) or its
 * bound with `draws` (NHF's importance-weighted bound).
 */
export const testLogLikelihood = (
  s: DensitySettings,
  params: NhfParams | RealNvpParams,
  x: tf.Tensor2D,
  draws = s.run.iwSamples,
): tf.Tensor1D =>
  estimatorOf(s).logDensity(s.config, params, x, {
    draws,
    seed: deriveSeed(s.train.seed, 0x1e5),
  });

/** Test points of a run: seeded draws from a stream apart from the training batches. */
export const testPoints = (s: DensitySettings): tf.Tensor2D =>
  targetTensor(targetByName(s.data.target), s.run.testSize, deriveSeed(s.train.seed, 0x7e57));

/** The mean of a per-point tensor, in chunks (memory), disposed. */
export const meanInChunks = async (
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
export const pictures = async (
  s: DensitySettings,
  params: NhfParams | RealNvpParams,
  dir: string,
): Promise<[string, string][]> => {
  if (s.config.dim !== 2) return [];
  const target = targetByName(s.data.target);
  const grid = { extent: 4, n: 96 };
  const samples = estimatorOf(s).sample(s.config, params, 1000, deriveSeed(s.train.seed, 0x5a));
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

/** Reads `DIR/config.json` of a density run. */
export const readDensitySettings = async (
  dir: string,
  model: DensityModel,
): Promise<DensitySettings> => {
  const file = join(dir, "config.json");
  const s = await readRunJson(dir) as DensitySettings;
  if (s?.kind !== "density" || s.version !== 1 || s.model !== model) {
    throw new RunFolderError(`${file}: not a '${model}' run (resume it with its own command)`);
  }
  const valid = validateDensity(s);
  if (E.isLeft(valid)) throw new RunFolderError(`${file}: ${valid.left.join("; ")}`);
  return s;
};

/** What {@link trainDensity} needs: a run folder, its settings, and the caller's callbacks. */
export interface TrainDensityOptions extends FitCallbacks {
  readonly dir: string;
  readonly settings: DensitySettings;
  /** continue the run's newest checkpoint (its config.json must be these settings) */
  readonly resumed: boolean;
  /** the caller holds the run folder's lock already (default: the fit takes it) */
  readonly holdsLock?: boolean;
}

/** The state of a density run. */
export type DensityState = TrainState<
  NhfConfig | RealNvpConfig,
  NhfParams | RealNvpParams,
  tf.Tensor2D
>;

/**
 * Trains a density run into `dir`: a new run writes its `config.json` and starts from the seed,
 * a resumed one continues its newest checkpoint (said to `onMessage`); then fits to the
 * settings' schedule with their gradient workers. The caller owns the returned state.
 */
export const trainDensity = async (
  o: TrainDensityOptions,
): Promise<{ readonly state: DensityState; readonly fit: FitRunResult }> => {
  const { settings, dir } = o;
  const record = recordOf(settings);
  let state: DensityState;
  if (o.resumed) {
    state = await resumeState(record, dir, {
      config: settings.config,
      options: optionsOf(settings),
    });
    o.onMessage?.(`resuming ${dir} at step ${state.step}`);
  } else {
    await writeRunConfig(dir, settings);
    state = initState(record, settings.config, optionsOf(settings));
  }
  o.onMessage?.(`${JSON.stringify(settings.config)} on ${settings.data.target} -> ${dir}`);
  const r = settings.run;
  try {
    const fit = await fitRun({
      ...o,
      state,
      source: targetBatches(targetByName(settings.data.target), {
        seed: settings.train.seed,
        batchSize: settings.train.batchSize,
      }),
      workers: {
        threads: r.threads ?? 1,
        batchSize: settings.train.batchSize,
      },
      schedule: r,
    });
    return { state, fit };
  } catch (e) {
    disposeState(state);
    throw e;
  }
};

/** What a density run's evaluation writes to `eval.json`. */
export interface DensityEval {
  readonly step: number;
  readonly testPoints: number;
  /** nats per point: NHF's importance-weighted bound, RealNVP's exact value */
  readonly testLogLikelihood: number;
  /** e.g. `importance-weighted bound, K = 64` or `exact` */
  readonly kind: string;
  /** the target's own log-density of the same points */
  readonly targetLogLikelihood: number;
  /** the target's own minus the model's, nats */
  readonly gap: number;
  readonly msPerDensityEvaluation: number;
  readonly msPerSample: number;
}

/** Reads a finished density run's `eval.json`. */
export const readDensityEval = async (dir: string): Promise<DensityEval> =>
  JSON.parse(await Deno.readTextFile(join(dir, "eval.json"))) as DensityEval;

/**
 * The end of a density run: test log-likelihood against the target's own, the cost of a density
 * evaluation and of a sample, `eval.json`, the pictures and `report.html`; what it does goes to
 * `log`.
 */
export const finishDensity = async (
  settings: DensitySettings,
  dir: string,
  state: DensityState,
  log: RunLog = () => {},
): Promise<DensityEval> => {
  const model = settings.model;
  const r = settings.run;
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
  const drawn = estimatorOf(settings).sample(settings.config, state.params, 1000, 1);
  await drawn.data();
  const sampleMs = (performance.now() - s0) / 1000;
  drawn.dispose();
  const evaluation: DensityEval = {
    step: state.step,
    testPoints: settings.run.testSize,
    testLogLikelihood: ll,
    kind: estimatorOf(settings).exact ? "exact" : `importance-weighted bound, K = ${r.iwSamples}`,
    targetLogLikelihood: own,
    gap: own - ll,
    msPerDensityEvaluation: evalMs,
    msPerSample: sampleMs,
  };
  await writeTextAtomic(join(dir, "eval.json"), JSON.stringify(evaluation, null, 2) + "\n");
  log(
    `test log-likelihood ${ll.toFixed(4)} (${evaluation.kind}); the target's own ${
      own.toFixed(4)
    } (gap ${(own - ll).toFixed(4)} nats)`,
    "status",
  );
  const images = await pictures(settings, state.params, dir);
  const metrics = await readMetrics(dir);
  const key = DENSITY_MODELS[model].metric;
  const report = join(dir, "report.html");
  await writeTextAtomic(
    report,
    reportHtml({
      title: `${DENSITY_MODELS[model].label} on ${settings.data.target}`,
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
  log(
    `outputs: ${dir} (config.json, metrics.jsonl, checkpoints/, eval.json, pictures/, ${report})`,
    "result",
  );
  return evaluation;
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
