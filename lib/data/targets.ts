/**
 * Densities to learn, with seeded samplers and exact log-densities in float64: the 2-D targets of
 * the paper's density experiments (section 4, figures 9 and 10) and common benchmarks, plus one
 * higher-dimensional mixture to show how models scale with dimension.
 *
 * - `mixture`: the figure-10 Gaussian mixture (the paper does not list its parameters; this one
 *   has 4 equal components at (+-1.5, +-1.5) with standard deviation 0.35);
 * - `ring8`: 8 Gaussians on a circle of radius 2, standard deviation 0.2;
 * - `moons`: two interleaved half circles (radius 1), Gaussian noise 0.1 (its density is the
 *   arcs' uniform density convolved with the noise: an integral over the arc, computed by
 *   1024-point midpoint quadrature per arc, accurate to about 1e-5 relative for this noise);
 * - `rings`: two concentric circles (radii 1 and 2, half the mass each), radial noise 0.1;
 * - `mixture6d`: 6 equal Gaussians in 6 dimensions, at 2 on each axis in turn (2 e_k), standard
 *   deviation 0.5.
 *
 * @module
 */
import { type Random, random } from "../core/random.ts";

/** A density with a sampler and its exact log-density. */
export interface Target {
  readonly name: string;
  readonly dim: number;
  /** one draw (a fresh array of `dim` numbers) */
  readonly sample: (rng: Random) => Float64Array;
  /** `log p(x)` */
  readonly logDensity: (x: Float64Array) => number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** `log sum exp` of a list, stably. */
const logSumExp = (xs: readonly number[]): number => {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
};

/** An equal-weight mixture of isotropic Gaussians. */
const gaussianMixture = (
  name: string,
  means: readonly (readonly number[])[],
  std: number,
): Target => {
  const dim = means[0].length;
  const logNorm = -0.5 * dim * LOG_2PI - dim * Math.log(std) - Math.log(means.length);
  return {
    name,
    dim,
    sample: (rng) => {
      const m = means[rng.int(means.length)];
      return Float64Array.from(m, (mu) => mu + std * rng.normal());
    },
    logDensity: (x) =>
      logSumExp(means.map((m) => {
        let d2 = 0;
        for (let i = 0; i < dim; i++) d2 += (x[i] - m[i]) ** 2;
        return logNorm - d2 / (2 * std * std);
      })),
  };
};

const normalLogPdf = (x: number, std: number) =>
  -0.5 * LOG_2PI - Math.log(std) - (x * x) / (2 * std * std);

/** Circles of the given radii (equal mass), uniform angle, Gaussian radial noise. */
const rings = (name: string, radii: readonly number[], std: number): Target => ({
  name,
  dim: 2,
  sample: (rng) => {
    const r = radii[rng.int(radii.length)] + std * rng.normal();
    const a = 2 * Math.PI * rng.uniform();
    return Float64Array.of(r * Math.cos(a), r * Math.sin(a));
  },
  // The radius r = R + noise can be negative (the point then lies at angle a + pi): the density
  // at x collects both, p(x) = sum over R of [N(|x| - R) + N(-|x| - R)] / (2 pi |x| n).
  logDensity: (x) => {
    const rho = Math.hypot(x[0], x[1]);
    const terms = radii.flatMap((R) => [normalLogPdf(rho - R, std), normalLogPdf(-rho - R, std)]);
    return logSumExp(terms) - Math.log(2 * Math.PI * rho * radii.length);
  },
});

const MOON_POINTS = 1024;

/** Two interleaved unit half circles, Gaussian noise: the classic two moons. */
const moons = (std: number): Target => {
  // upper arc: (cos t, sin t), t in [0, pi]; lower arc: (1 - cos t, 0.5 - sin t)
  const arc = (k: number, t: number): [number, number] =>
    k === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
  const logNorm = -LOG_2PI - 2 * Math.log(std) - Math.log(2 * MOON_POINTS);
  return {
    name: "moons",
    dim: 2,
    sample: (rng) => {
      const k = rng.int(2);
      const [a, b] = arc(k, Math.PI * rng.uniform());
      return Float64Array.of(a + std * rng.normal(), b + std * rng.normal());
    },
    logDensity: (x) => {
      const terms: number[] = [];
      for (let k = 0; k < 2; k++) {
        for (let j = 0; j < MOON_POINTS; j++) {
          const [a, b] = arc(k, (Math.PI * (j + 0.5)) / MOON_POINTS);
          terms.push(logNorm - ((x[0] - a) ** 2 + (x[1] - b) ** 2) / (2 * std * std));
        }
      }
      return logSumExp(terms);
    },
  };
};

/**
 * The targets by name.
 *
 * @example
 * ```ts
 * import { targets } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(Object.keys(targets), ["mixture", "ring8", "moons", "rings", "mixture6d"]);
 * ```
 */
export const targets: Readonly<Record<string, Target>> = {
  mixture: gaussianMixture("mixture", [[-1.5, -1.5], [-1.5, 1.5], [1.5, -1.5], [1.5, 1.5]], 0.35),
  ring8: gaussianMixture(
    "ring8",
    Array.from({ length: 8 }, (_, k) => [
      2 * Math.cos((k * Math.PI) / 4),
      2 * Math.sin((k * Math.PI) / 4),
    ]),
    0.2,
  ),
  moons: moons(0.1),
  rings: rings("rings", [1, 2], 0.1),
  mixture6d: gaussianMixture(
    "mixture6d",
    Array.from({ length: 6 }, (_, k) => Array.from({ length: 6 }, (_, i) => (i === k ? 2 : 0))),
    0.5,
  ),
};

/**
 * A target by name; a `RangeError` listing the names otherwise.
 *
 * @example
 * ```ts
 * import { targetByName } from "@hamiltonian/hgn/data";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(targetByName("moons").dim, 2);
 * throws(() => targetByName("spiral"), /accepted: mixture, ring8/);
 * ```
 */
export const targetByName = (name: string): Target => {
  if (!Object.hasOwn(targets, name)) {
    throw new RangeError(`unknown target '${name}'; accepted: ${Object.keys(targets).join(", ")}`);
  }
  return targets[name];
};

/**
 * `count` draws of a target as one row-major `[count, dim]` array, from one seeded stream: the
 * same `(seed, count)` gives the same numbers.
 *
 * @example
 * ```ts
 * import { sampleTarget, targets } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * const a = sampleTarget(targets.mixture, 3, 7);
 * strictEqual(a.length, 6);
 * deepStrictEqual(a, sampleTarget(targets.mixture, 3, 7));
 * ```
 */
export const sampleTarget = (target: Target, count: number, seed: number): Float64Array => {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`count must be an integer >= 0, got ${count}`);
  }
  const rng = random(seed);
  const out = new Float64Array(count * target.dim);
  for (let i = 0; i < count; i++) out.set(target.sample(rng), i * target.dim);
  return out;
};
