/**
 * The paper's datasets as pure functions of a seed: the resolved spec of a dataset and the
 * generator of its examples (sample, exact rollout, observation noise, rendering). Files are the
 * business of `lib/io`; the same spec and seed give the same bytes here and there.
 *
 * @module
 */
import { deriveSeed, random } from "../core/random.ts";
import { phase } from "../core/phase.ts";
import { systemByName } from "../systems/registry.ts";
import type { System } from "../systems/system.ts";
import { groundTruth } from "./ground_truth.ts";
import { bodyColours, RENDER_DEFAULTS, renderFrame, type ResolvedRenderConfig } from "./render.ts";

/**
 * Where the Gaussian noise goes. `"observation"` (default, the paper's section 4: "a 30 step
 * rollout following the ground truth Hamiltonian dynamics, before adding Gaussian noise ... to
 * each phase-space coordinate, and rendering"; the public reimplementation does the same):
 * independent noise on every coordinate of every frame of the exact rollout, and the noisy
 * states are rendered. `"initial"`: noise on the initial state only, then the exact rollout of
 * the noisy state is rendered. `"none"`: no noise.
 */
export type NoiseMode = "observation" | "initial" | "none";

/** The two splits of a dataset. */
export type Split = "train" | "test";

/** The index of a split in seed derivation and file headers. */
export const SPLIT_INDEX: Readonly<Record<Split, number>> = { train: 0, test: 1 };

/**
 * The paper's noise standard deviation per system. The paper writes "standard deviation
 * sigma^2 = 0.1" (two-body "sigma^2 = 0.05", three-body "sigma^2 = 0.2"); we read the number as
 * the standard deviation, as the sentence names it and as the public reimplementation does.
 * Systems not in the paper get 0.1.
 *
 * @example
 * ```ts
 * import { PAPER_NOISE_STD } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(PAPER_NOISE_STD["three-body"], 0.2);
 * ```
 */
export const PAPER_NOISE_STD: Readonly<Record<string, number>> = {
  "mass-spring": 0.1,
  "pendulum": 0.1,
  "two-body": 0.05,
  "three-body": 0.2,
};

/** What a user may set about a dataset; everything else has the paper's value. */
export interface DatasetConfig {
  /** a built-in system name, e.g. `"pendulum"` */
  readonly system: string;
  /** the dataset seed (a uint32; default 0) */
  readonly seed?: number;
  /** time between frames (paper: 0.125) */
  readonly dt?: number;
  /** rollout steps; `steps + 1` frames (paper: 30) */
  readonly steps?: number;
  /** noise standard deviation (default {@link PAPER_NOISE_STD} of the system) */
  readonly noiseStd?: number;
  /** where the noise goes (default `"observation"`) */
  readonly noiseMode?: NoiseMode;
  /** bound on the estimated ground-truth error per coordinate and frame (default 1e-9) */
  readonly tolerance?: number;
  /** sub-steps per frame to start the doubling from (default 4) */
  readonly substeps?: number;
  /** image side in pixels (default 32) */
  readonly size?: number;
  /** disc radius as a fraction of the image side (default 0.08) */
  readonly radius?: number;
  /** logistic edge steepness per image side (default 80) */
  readonly sharpness?: number;
}

/** A dataset spec with every value resolved: it determines every byte of the dataset. */
export interface DatasetSpec {
  readonly system: string;
  /** the system's physical parameters, as used */
  readonly params: Readonly<Record<string, number>>;
  /** position coordinates (`q` has `dim` entries, a state `2 dim`) */
  readonly dim: number;
  readonly bodies: number;
  /** scene half-width rendered into the image */
  readonly extent: number;
  /** the sampler's radius range */
  readonly radiusRange: readonly [number, number];
  readonly seed: number;
  readonly dt: number;
  readonly steps: number;
  /** `steps + 1` */
  readonly frames: number;
  readonly noise: { readonly std: number; readonly mode: NoiseMode };
  readonly tolerance: number;
  readonly substeps: number;
  /** `"yoshida6(leapfrog)"` or `"yoshida6(implicitLeapfrog)"` */
  readonly integrator: string;
  readonly render: ResolvedRenderConfig;
  /** RGB colour of each body in [0, 1] */
  readonly colours: readonly (readonly [number, number, number])[];
}

const NOISE_MODES: readonly NoiseMode[] = ["observation", "initial", "none"];

const check = (ok: boolean, what: string) => {
  if (!ok) throw new RangeError(what);
};

/**
 * Resolves and validates a {@link DatasetConfig}: a `RangeError` saying what was wrong and what
 * is accepted.
 *
 * @example
 * ```ts
 * import { datasetSpec } from "@hamiltonian/hgn/data";
 * import { strictEqual, throws } from "node:assert/strict";
 * const spec = datasetSpec({ system: "two-body" });
 * strictEqual(spec.frames, 31);
 * strictEqual(spec.noise.std, 0.05);
 * throws(() => datasetSpec({ system: "pendulum", size: 3 }), /size/);
 * ```
 */
export const datasetSpec = (config: DatasetConfig): DatasetSpec => {
  const system = systemByName(config.system);
  const seed = config.seed ?? 0;
  const dt = config.dt ?? 0.125;
  const steps = config.steps ?? 30;
  const size = config.size ?? RENDER_DEFAULTS.size;
  const std = config.noiseStd ?? PAPER_NOISE_STD[system.name] ?? 0.1;
  const mode = config.noiseMode ?? "observation";
  const tolerance = config.tolerance ?? 1e-9;
  const substeps = config.substeps ?? 4;
  const radius = config.radius ?? RENDER_DEFAULTS.radius;
  const sharpness = config.sharpness ?? RENDER_DEFAULTS.sharpness;
  check(
    Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32,
    `seed must be an integer in [0, 2^32), got ${seed}`,
  );
  check(Number.isFinite(dt) && dt > 0, `dt must be a positive number, got ${dt}`);
  check(
    Number.isInteger(steps) && steps >= 1 && steps <= 10000,
    `steps must be an integer in [1, 10000], got ${steps}`,
  );
  check(
    Number.isInteger(size) && size >= 8 && size <= 512,
    `size must be an integer in [8, 512] pixels, got ${size}`,
  );
  check(Number.isFinite(std) && std >= 0, `noise std must be a number >= 0, got ${std}`);
  check(
    NOISE_MODES.includes(mode),
    `noise mode must be one of ${NOISE_MODES.join(", ")}, got '${mode}'`,
  );
  check(
    Number.isFinite(tolerance) && tolerance > 0 && tolerance < 1,
    `tolerance must be in (0, 1), got ${tolerance}`,
  );
  check(
    Number.isInteger(substeps) && substeps >= 1 && substeps <= 1024,
    `substeps must be an integer in [1, 1024], got ${substeps}`,
  );
  check(
    Number.isFinite(radius) && radius > 0 && radius < 0.5,
    `radius must be in (0, 0.5) image sides, got ${radius}`,
  );
  check(
    Number.isFinite(sharpness) && sharpness > 0,
    `sharpness must be a positive number, got ${sharpness}`,
  );
  return {
    system: system.name,
    params: { ...system.params },
    dim: system.dim,
    bodies: system.bodies,
    extent: system.extent,
    radiusRange: [system.radius[0], system.radius[1]],
    seed,
    dt,
    steps,
    frames: steps + 1,
    noise: { std, mode },
    tolerance,
    substeps,
    integrator: system.hamiltonian.separable ? "yoshida6(leapfrog)" : "yoshida6(implicitLeapfrog)",
    render: { ...RENDER_DEFAULTS, size, radius, sharpness },
    colours: bodyColours(system.bodies),
  };
};

/** One example: a trajectory, its rendering and what is known about its accuracy. */
export interface Example {
  readonly split: Split;
  readonly index: number;
  /** exact states, `frames x 2 dim`, each `[q..., p...]` */
  readonly states: Float64Array;
  /** the rendered states (exact states plus noise), `frames x 2 dim` */
  readonly observed: Float64Array;
  /** `H` of each exact state, `frames` entries */
  readonly energies: Float64Array;
  /** `frames x size x size x 3` RGB bytes */
  readonly pixels: Uint8Array;
  /** sub-steps per frame the ground truth took */
  readonly substeps: number;
  /** estimated largest state error (see `groundTruth`) */
  readonly errorEstimate: number;
  /** `max_t |H(s_t) - H(s_0)|` of the exact states */
  readonly energyDrift: number;
  /** largest difference from the closed-form solution, `NaN` when the system has none */
  readonly exactError: number;
  /** draws rejected because their ground truth could not meet the tolerance (usually 0) */
  readonly resampled: number;
}

/** Generates the examples of one dataset spec; see {@link generator}. */
export interface Generator {
  readonly spec: DatasetSpec;
  readonly system: System;
  /** example `index` of `split`: a pure function of the spec, the split and the index */
  readonly example: (split: Split, index: number) => Example;
  /** renders `frames x 2 dim` states into `frames x size x size x 3` bytes */
  readonly render: (states: Float64Array) => Uint8Array;
}

/** Attempts per example before giving up (each with a seed derived from the attempt number). */
const MAX_ATTEMPTS = 16;

/**
 * The generator of a dataset: example `i` of a split uses its own random stream,
 * `random(deriveSeed(seed, splitIndex, i))` (train 0, test 1), so examples do not depend on the
 * order or chunking in which they are made. From the stream: the initial state
 * (`system.sample`), then the noise, frame by frame, coordinate by coordinate `[q..., p...]`.
 * The rare draw whose ground truth cannot meet the tolerance within 4096 sub-steps is redrawn
 * from `deriveSeed(seed, splitIndex, i, attempt)` and counted in `resampled`.
 *
 * @example
 * ```ts
 * import { datasetSpec, generator } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * const gen = generator(datasetSpec({ system: "pendulum", seed: 3, steps: 4 }));
 * const a = gen.example("train", 7);
 * strictEqual(a.pixels.length, 5 * 32 * 32 * 3);
 * deepStrictEqual(a.pixels, gen.example("train", 7).pixels);
 * ```
 */
export const generator = (spec: DatasetSpec): Generator => {
  const system = systemByName(spec.system);
  const d = system.dim;
  const frameBytes = spec.render.size * spec.render.size * 3;
  const render = (states: Float64Array): Uint8Array => {
    const frames = states.length / (2 * d);
    const out = new Uint8Array(frames * frameBytes);
    for (let t = 0; t < frames; t++) {
      const q = states.subarray(t * 2 * d, t * 2 * d + d);
      renderFrame(
        system.positions(q),
        system.extent,
        spec.colours,
        spec.render,
        out,
        t * frameBytes,
      );
    }
    return out;
  };
  const gtConfig = {
    dt: spec.dt,
    steps: spec.steps,
    tolerance: spec.tolerance,
    substeps: spec.substeps,
  };
  const example = (split: Split, index: number): Example => {
    const s = SPLIT_INDEX[split];
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const rng = random(
        attempt === 0 ? deriveSeed(spec.seed, s, index) : deriveSeed(spec.seed, s, index, attempt),
      );
      let s0 = system.sample(rng);
      const std = spec.noise.mode === "none" ? 0 : spec.noise.std;
      if (spec.noise.mode === "initial") {
        s0 = phase(
          s0.q.map((x) => x + std * rng.normal()),
          s0.p.map((x) => x + std * rng.normal()),
        );
      }
      let gt;
      try {
        gt = groundTruth(system, s0, gtConfig);
      } catch (e) {
        if (e instanceof RangeError) continue;
        throw e;
      }
      const states = gt.states;
      let observed = states;
      if (spec.noise.mode === "observation" && std > 0) {
        observed = states.slice();
        for (let i = 0; i < observed.length; i++) observed[i] += std * rng.normal();
      }
      const energies = new Float64Array(spec.frames);
      let drift = 0;
      let exactError = system.exact ? 0 : NaN;
      for (let t = 0; t < spec.frames; t++) {
        const st = phase(
          states.subarray(t * 2 * d, t * 2 * d + d),
          states.subarray(t * 2 * d + d, (t + 1) * 2 * d),
        );
        energies[t] = system.hamiltonian.energy(st);
        drift = Math.max(drift, Math.abs(energies[t] - energies[0]));
        if (system.exact) {
          const ex = system.exact(s0, t * spec.dt);
          for (let i = 0; i < d; i++) {
            exactError = Math.max(
              exactError,
              Math.abs(ex.q[i] - st.q[i]),
              Math.abs(ex.p[i] - st.p[i]),
            );
          }
        }
      }
      return {
        split,
        index,
        states,
        observed,
        energies,
        pixels: render(observed),
        substeps: gt.substeps,
        errorEstimate: gt.errorEstimate,
        energyDrift: drift,
        exactError,
        resampled: attempt,
      };
    }
    throw new RangeError(
      `example ${index} of ${split}: no draw met the tolerance ${spec.tolerance} in ${MAX_ATTEMPTS} attempts`,
    );
  };
  return { spec, system, example, render };
};
