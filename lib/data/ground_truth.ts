/**
 * Ground truth in float64: trajectories of the exact dynamics sampled at the frame times, with
 * sub-steps chosen per trajectory until the estimated state error is below a tolerance.
 *
 * @module
 */
import { stepOf } from "../core/integrator.ts";
import { implicitLeapfrog, leapfrog } from "../core/integrator.ts";
import { yoshida6 } from "../core/composition.ts";
import { float64Space } from "../core/vector_space.ts";
import { type Phase, phase } from "../core/phase.ts";
import type { System } from "../systems/system.ts";
import { type FastForces, fastForcesFor, yoshida6Steps } from "./fast_path.ts";

/** Settings of a ground-truth simulation. */
export interface GroundTruthConfig {
  /** time between frames (paper: 0.125) */
  readonly dt: number;
  /** number of steps; the trajectory has `steps + 1` frames (paper: 30) */
  readonly steps: number;
  /** bound on the error of every coordinate of every frame (default 1e-9; see {@link groundTruth}) */
  readonly tolerance?: number;
  /** sub-steps per frame to start from; doubled until the tolerance is met (default 4) */
  readonly substeps?: number;
  /** give up (a `RangeError`) beyond this many sub-steps per frame (default 4096) */
  readonly maxSubsteps?: number;
  /** `"auto"` (default) takes the allocation-free fast path when one exists; `"generic"` never */
  readonly path?: "auto" | "generic";
}

/** A ground-truth trajectory and what is known about its accuracy. */
export interface GroundTruth {
  /** `frames x 2 dim` states, each frame `[q..., p...]` */
  readonly states: Float64Array;
  /** number of frames (`steps + 1`) */
  readonly frames: number;
  /** sub-steps per frame of the returned trajectory */
  readonly substeps: number;
  /**
   * Richardson estimate of the largest absolute error over all coordinates and frames:
   * `max |x_n - x_2n| / (2^6 - 1)` for the order-6 method, where `x_2n` is the returned result
   */
  readonly errorEstimate: number;
  /** `"fast"` or `"generic"`: which implementation ran */
  readonly path: "fast" | "generic";
}

/** The integrator of the ground truth: sixth order, symplectic, symmetric. */
const ORDER = 6;
/**
 * Safety factor on the Richardson estimate: a trajectory is accepted when `2 * estimate <=
 * tolerance`. Against references with 16x the sub-steps the true error was at most 1.6x the
 * estimate (three-body, 500 draws; `tests/data/ground_truth_test.ts` checks 2x).
 */
const SAFETY = 2;

const runFast = (
  forces: FastForces,
  s0: Phase<Float64Array>,
  dt: number,
  steps: number,
  n: number,
): Float64Array => {
  const d = forces.dim;
  const out = new Float64Array((steps + 1) * 2 * d);
  const q = Float64Array.from(s0.q);
  const p = Float64Array.from(s0.p);
  const force = new Float64Array(d);
  const vel = new Float64Array(d);
  forces.dV(q, force);
  out.set(q, 0);
  out.set(p, d);
  const h = dt / n;
  for (let t = 1; t <= steps; t++) {
    yoshida6Steps(forces, q, p, force, vel, h, n);
    out.set(q, t * 2 * d);
    out.set(p, t * 2 * d + d);
  }
  return out;
};

const runGeneric = (
  system: System,
  s0: Phase<Float64Array>,
  dt: number,
  steps: number,
  n: number,
): Float64Array => {
  const d = system.dim;
  const method = system.hamiltonian.separable ? yoshida6(leapfrog) : yoshida6(implicitLeapfrog);
  const f = stepOf(method, float64Space, system.hamiltonian, dt / n);
  const out = new Float64Array((steps + 1) * 2 * d);
  let s = s0;
  out.set(s.q, 0);
  out.set(s.p, d);
  for (let t = 1; t <= steps; t++) {
    for (let j = 0; j < n; j++) s = f(s);
    out.set(s.q, t * 2 * d);
    out.set(s.p, t * 2 * d + d);
  }
  return out;
};

const maxAbsDiff = (a: Float64Array, b: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i] - b[i]);
    if (!(v <= m)) m = v; // NaN propagates
  }
  return m;
};

/**
 * Simulates `system` from `s0` for `steps` frames of spacing `dt` with `yoshida6(leapfrog)`
 * (`yoshida6(implicitLeapfrog)` for a non-separable system), sub-stepped: it runs `n` and `2n`
 * sub-steps per frame, doubling `n` until twice the Richardson estimate
 * `max |x_n - x_2n| / 63` is at most `tolerance`, and returns the `2n` run: its error on every
 * coordinate of every frame is then below `tolerance` (the estimate is asymptotically exact;
 * the factor 2 covers the measured excess of up to 1.6x). Deterministic: the
 * result depends only on the system, `s0` and the config. The allocation-free fast path gives
 * exactly the same numbers as the generic path.
 *
 * @example
 * ```ts
 * import { groundTruth } from "@hamiltonian/hgn/data";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { phase } from "@hamiltonian/hgn/core";
 * import { ok, strictEqual } from "node:assert/strict";
 * const ms = massSpring();
 * const s0 = phase(Float64Array.of(0.5), Float64Array.of(0.2));
 * const gt = groundTruth(ms, s0, { dt: 0.125, steps: 30 });
 * strictEqual(gt.frames, 31);
 * const exact = ms.exact!(s0, 30 * 0.125);
 * ok(Math.abs(gt.states[60] - exact.q[0]) < 1e-9 && gt.errorEstimate <= 1e-9);
 * ```
 */
export const groundTruth = (
  system: System,
  s0: Phase<Float64Array>,
  config: GroundTruthConfig,
): GroundTruth => {
  const { dt, steps } = config;
  const tol = config.tolerance ?? 1e-9;
  const maxN = config.maxSubsteps ?? 4096;
  const forces = config.path === "generic" ? undefined : fastForcesFor(system);
  const run = (n: number) =>
    forces ? runFast(forces, s0, dt, steps, n) : runGeneric(system, s0, dt, steps, n);
  let n = config.substeps ?? 4;
  let coarse = run(n);
  for (;;) {
    if (2 * n > maxN) {
      throw new RangeError(
        `ground truth of ${system.name} did not reach tolerance ${tol} within ${maxN} sub-steps per frame`,
      );
    }
    const fine = run(2 * n);
    const err = maxAbsDiff(coarse, fine) / (2 ** ORDER - 1);
    if (SAFETY * err <= tol) {
      return {
        states: fine,
        frames: steps + 1,
        substeps: 2 * n,
        errorEstimate: err,
        path: forces ? "fast" : "generic",
      };
    }
    coarse = fine;
    n *= 2;
  }
};

/**
 * The state of frame `t` of a flat `frames x 2 dim` trajectory as a {@link Phase}.
 *
 * @example
 * ```ts
 * import { frameState } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(frameState(Float64Array.of(1, 2, 3, 4), 1, 1).p[0], 4);
 * ```
 */
export const frameState = (states: Float64Array, dim: number, t: number): Phase<Float64Array> =>
  phase(
    states.slice(t * 2 * dim, t * 2 * dim + dim),
    states.slice(t * 2 * dim + dim, (t + 1) * 2 * dim),
  );
