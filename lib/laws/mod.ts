/**
 * The laws of Hamiltonian maps as functions you call in your own `deno test`, on your own maps,
 * integrators and Hamiltonians: reversibility, volume preservation, symplecticity, the declared
 * order of convergence and bounded energy error. Each returns a {@link LawReport} (the law,
 * whether it holds, the worst value met, the tolerance, the state where it failed); states are
 * drawn from a seeded sampler, so a failure reproduces. Pure float64: no tfjs, no `Deno.*`.
 *
 * ```ts
 * import { assertLaws, reversibility, symplecticity, volumePreservation } from "@hamiltonian/hgn/laws";
 * import { float64Space, flow, leapfrog, power } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * const step = power(flow(leapfrog, float64Space, massSpring().hamiltonian)(0.1), 10);
 * assertLaws(
 *   reversibility(step, { dim: 1 }),
 *   volumePreservation(step.forward, { dim: 1 }),
 *   symplecticity(step.forward, { dim: 1 }),
 * );
 * ```
 * @module
 */
import { determinant, energyError, jacobian, symplecticDefect } from "../core/diagnostics.ts";
import type { Hamiltonian } from "../core/hamiltonian.ts";
import { float64Space } from "../core/vector_space.ts";
import { type Integrator, stepOf } from "../core/integrator.ts";
import type { Invertible } from "../core/invertible.ts";
import type { Phase } from "../core/phase.ts";
import { type Random, random } from "../core/random.ts";
import { rollout } from "../core/flow.ts";

type State = Phase<Float64Array>;

/** What checking one law found. */
export interface LawReport {
  /** the law, with what it was checked on */
  readonly law: string;
  readonly holds: boolean;
  /** the worst value met (the quantity the tolerance bounds) */
  readonly worst: number;
  readonly tolerance: number;
  /** the state where the worst value was met, when the law fails */
  readonly failing?: State;
  /** states checked */
  readonly cases: number;
}

/** Where the states a law is checked on come from. */
export interface SampleOptions {
  /** degrees of freedom of a state (for the default sampler: q, p ~ N(0, 1) per coordinate) */
  readonly dim?: number;
  /** your own sampler of states (overrides `dim`) */
  readonly sample?: (rng: Random) => State;
  /** states checked (default 8) */
  readonly cases?: number;
  /** seed of the sampler (default 0) */
  readonly seed?: number;
  /** the law's tolerance (each law has its default) */
  readonly tolerance?: number;
}

/** The states of a check: `cases` draws of the sampler from `seed`. */
const states = (o: SampleOptions): State[] => {
  const rng = random(o.seed ?? 0);
  const draw = o.sample ?? ((r: Random) => {
    if (!o.dim || !Number.isInteger(o.dim) || o.dim < 1) {
      throw new RangeError(
        `laws: give the state's dimension (dim >= 1) or a sampler; got ${o.dim}`,
      );
    }
    const v = () => Float64Array.from({ length: o.dim! }, () => r.normal());
    return { q: v(), p: v() };
  });
  return Array.from({ length: o.cases ?? 8 }, () => draw(rng));
};

/** The worst of `measure` over the states, as a report. */
const check = (
  law: string,
  tolerance: number,
  samples: readonly State[],
  measure: (s: State) => number,
): LawReport => {
  let worst = 0;
  let at: State | undefined;
  for (const s of samples) {
    const x = measure(s);
    // NaN is the worst of all
    if (!(x <= worst)) {
      worst = x;
      at = s;
      if (Number.isNaN(x)) break;
    }
  }
  const holds = worst <= tolerance;
  return { law, holds, worst, tolerance, cases: samples.length, ...(holds ? {} : { failing: at }) };
};

/**
 * max |a - b| over q and p, relative to 1 + max |a|.
 *
 * @example
 * ```ts
 * import { relativeDifference } from "@hamiltonian/hgn/laws";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(relativeDifference({ q: Float64Array.of(1), p: Float64Array.of(0) }, { q: Float64Array.of(1.5), p: Float64Array.of(0) }), 0.25);
 * ```
 */
export const relativeDifference = (a: State, b: State): number => {
  let diff = 0;
  let size = 0;
  for (const k of ["q", "p"] as const) {
    for (let i = 0; i < a[k].length; i++) {
      diff = Math.max(diff, Math.abs(a[k][i] - b[k][i]));
      size = Math.max(size, Math.abs(a[k][i]));
    }
  }
  return diff / (1 + size);
};

/**
 * `inverse(forward(s)) = s`: the relative difference (see {@link relativeDifference}) at most the
 * tolerance (default 1e-12).
 *
 * @example
 * ```ts
 * import { reversibility } from "@hamiltonian/hgn/laws";
 * import type { Phase } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * type S = Phase<Float64Array>;
 * const shear = {
 *   forward: (s: S): S => ({ q: s.q.map((x, i) => x + s.p[i]), p: s.p }),
 *   inverse: (s: S): S => ({ q: s.q.map((x, i) => x - s.p[i]), p: s.p }),
 * };
 * ok(reversibility(shear, { dim: 2 }).holds);
 * ok(!reversibility({ ...shear, inverse: shear.forward }, { dim: 2 }).holds);
 * ```
 */
export const reversibility = (map: Invertible<State>, options: SampleOptions = {}): LawReport =>
  check(
    "reversibility: inverse(forward(s)) = s",
    options.tolerance ?? 1e-12,
    states(options),
    (s) => relativeDifference(map.inverse(map.forward(s)), s),
  );

/**
 * `det J = 1` for the map's Jacobian by float64 central differences: `|det J - 1|` at most the
 * tolerance (default 1e-7, what central differences resolve).
 *
 * @example
 * ```ts
 * import { volumePreservation } from "@hamiltonian/hgn/laws";
 * import { ok } from "node:assert/strict";
 * ok(volumePreservation((s) => ({ q: s.q.map((x, i) => x + s.p[i]), p: s.p }), { dim: 2 }).holds);
 * ok(!volumePreservation((s) => ({ q: s.q.map((x) => 2 * x), p: s.p }), { dim: 2 }).holds);
 * ```
 */
export const volumePreservation = (
  map: (s: State) => State,
  options: SampleOptions = {},
): LawReport =>
  check(
    "volume preservation: |det J - 1|",
    options.tolerance ?? 1e-7,
    states(options),
    (s) => Math.abs(determinant(jacobian(map, s)) - 1),
  );

/**
 * `J^T Omega J = Omega`: the largest entry of `J^T Omega J - Omega`, J by float64 central
 * differences, at most the tolerance (default 1e-7).
 *
 * @example
 * ```ts
 * import { symplecticity } from "@hamiltonian/hgn/laws";
 * import { ok } from "node:assert/strict";
 * // a shear of q by p is symplectic; swapping q1 and p1 (dim 2) alone is not
 * ok(symplecticity((s) => ({ q: s.q.map((x, i) => x + s.p[i]), p: s.p }), { dim: 2 }).holds);
 * ok(!symplecticity((s) => ({ q: Float64Array.of(s.p[0], s.q[1]), p: Float64Array.of(s.q[0], s.p[1]) }), { dim: 2 }).holds);
 * ```
 */
export const symplecticity = (map: (s: State) => State, options: SampleOptions = {}): LawReport =>
  check(
    "symplecticity: max |J^T Omega J - Omega|",
    options.tolerance ?? 1e-7,
    states(options),
    (s) => symplecticDefect(jacobian(map, s)),
  );

/** How {@link convergenceOrder} measures. */
export interface OrderOptions {
  /** the start state */
  readonly s0: State;
  /** the time integrated to (default 2) */
  readonly time?: number;
  /** the time steps, largest first (default: 4 halvings from a step suited to the order) */
  readonly dts?: readonly number[];
  /** the exact state at `time` (default: the integrator's own result at a step of time / 8192) */
  readonly exact?: State;
  /** the order to expect (default: the integrator's declared `order`) */
  readonly order?: number;
  /** |measured slope - order| allowed (default 0.25) */
  readonly tolerance?: number;
}

/** The coarsest step per order: large enough that the smallest error stays far above roundoff. */
const BASE_DT: Readonly<Record<number, number>> = { 1: 0.05, 2: 0.1, 4: 0.25, 6: 0.25 };

/**
 * The global error at a fixed time falls like `dt^order`: the least-squares slope of log(error)
 * against log(dt) within the tolerance of the declared order. `worst` is `|slope - order|`.
 *
 * @example
 * ```ts
 * import { convergenceOrder } from "@hamiltonian/hgn/laws";
 * import { leapfrog } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const ms = massSpring();
 * const s0 = { q: Float64Array.of(0.7), p: Float64Array.of(-0.4) };
 * ok(convergenceOrder(leapfrog, ms.hamiltonian, { s0, exact: ms.exact!(s0, 2) }).holds);
 * ok(!convergenceOrder(leapfrog, ms.hamiltonian, { s0, exact: ms.exact!(s0, 2), order: 4 }).holds);
 * ```
 */
export const convergenceOrder = (
  integrator: Integrator,
  h: Hamiltonian<Float64Array>,
  options: OrderOptions,
): LawReport => {
  const time = options.time ?? 2;
  const order = options.order ?? integrator.order;
  const base = BASE_DT[order] ?? 0.1;
  const dts = options.dts ?? [base, base / 2, base / 4, base / 8];
  const end = (dt: number) => {
    const n = Math.round(time / dt);
    return rollout(stepOf(integrator, float64Space, h, dt), n)(options.s0)[n];
  };
  const truth = options.exact ?? end(time / 8192);
  const errors = dts.map((dt) => relativeDifference(end(dt), truth));
  const slope = logLogSlope(dts, errors);
  const tolerance = options.tolerance ?? 0.25;
  const worst = Math.abs(slope - order);
  const holds = worst <= tolerance;
  return {
    law: `order ${order}: measured slope ${slope.toFixed(3)}`,
    holds,
    worst,
    tolerance,
    cases: dts.length,
    ...(holds ? {} : { failing: options.s0 }),
  };
};

/**
 * Least-squares slope of log(y) against log(x).
 *
 * @example
 * ```ts
 * import { logLogSlope } from "@hamiltonian/hgn/laws";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(logLogSlope([1, 2, 4], [1, 4, 16]) - 2) < 1e-12);
 * ```
 */
export const logLogSlope = (xs: readonly number[], ys: readonly number[]): number => {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
};

/** How {@link energyBound} runs. */
export interface EnergyOptions extends SampleOptions {
  /** steps of the rollout (default 10,000) */
  readonly steps?: number;
}

/**
 * The energy error stays bounded: over a long rollout from each state, the largest `|H - H0|` of
 * the second half is at most `tolerance` (default 2) times that of the first half (plus 1e-13 of
 * roundoff). A drifting method's error keeps growing and fails. `worst` is the ratio.
 *
 * @example
 * ```ts
 * import { energyBound } from "@hamiltonian/hgn/laws";
 * import { euler, float64Space, leapfrog, stepOf } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const h = massSpring().hamiltonian;
 * ok(energyBound(stepOf(leapfrog, float64Space, h, 0.1), h, { dim: 1, cases: 2 }).holds);
 * ok(!energyBound(stepOf(euler, float64Space, h, 0.01), h, { dim: 1, cases: 2 }).holds);
 * ```
 */
export const energyBound = (
  step: (s: State) => State,
  h: Hamiltonian<Float64Array>,
  options: EnergyOptions = {},
): LawReport => {
  const steps = options.steps ?? 10_000;
  return check(
    `bounded energy error over ${steps} steps: max second half / max first half`,
    options.tolerance ?? 2,
    states(options),
    (s) => {
      const errs = energyError(h.energy, rollout(step, steps)(s));
      const mid = Math.floor(errs.length / 2);
      const first = Math.max(...errs.slice(0, mid));
      const second = Math.max(...errs.slice(mid));
      return Number.isFinite(second) ? second / (first + 1e-13 / 2) : NaN;
    },
  );
};

/**
 * Throws one error naming every law that does not hold (with its worst value, tolerance and
 * failing state); returns nothing when all hold. For `deno test`.
 *
 * @example
 * ```ts
 * import { assertLaws } from "@hamiltonian/hgn/laws";
 * import { throws } from "node:assert/strict";
 * assertLaws({ law: "ok", holds: true, worst: 0, tolerance: 1, cases: 1 });
 * throws(() => assertLaws({ law: "broken", holds: false, worst: 2, tolerance: 1, cases: 1 }), /broken: worst 2 > tolerance 1/);
 * ```
 */
export const assertLaws = (...reports: readonly LawReport[]): void => {
  const failed = reports.filter((r) => !r.holds);
  if (failed.length === 0) return;
  const state = (s?: State) => s ? ` at q = [${Array.from(s.q)}], p = [${Array.from(s.p)}]` : "";
  throw new Error(
    failed.map((r) => `${r.law}: worst ${r.worst} > tolerance ${r.tolerance}${state(r.failing)}`)
      .join("; "),
  );
};
