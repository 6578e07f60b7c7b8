/**
 * System identification in float64: learn a separable polynomial Hamiltonian
 * `H = sum_k a_k p^(2k) + sum_k b_k q^(2k)` (per coordinate) from observed trajectories, by
 * gradient descent on the one-step leapfrog prediction error. The smallest honest learning task
 * the core supports: no tensors, exact gradients by central differences over few parameters.
 *
 * @module
 */
import { float64Space } from "../core/vector_space.ts";
import { leapfrog, stepOf } from "../core/integrator.ts";
import { type Separable, separable } from "../core/hamiltonian.ts";
import type { Phase } from "../core/phase.ts";
import { deriveSeed, random } from "../core/random.ts";
import { rollout } from "../core/flow.ts";
import { yoshida6 } from "../core/composition.ts";
import type { System } from "../systems/system.ts";

/**
 * The identification diverged (a non-finite loss or coefficient): nothing it learned is kept.
 *
 * @example
 * ```ts
 * import { IdentificationDivergedError } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new IdentificationDivergedError("x").name, "IdentificationDivergedError");
 * ```
 */
export class IdentificationDivergedError extends Error {
  override name = "IdentificationDivergedError";
}

/** Settings of {@link identify}. */
export interface IdentifyConfig {
  /** trajectories observed */
  readonly trajectories: number;
  /** steps per trajectory */
  readonly steps: number;
  /** time between observations */
  readonly dt: number;
  /** polynomial degree in each of K and V (terms x^2, x^4, ..., x^(2 degree)) */
  readonly degree: number;
  /** gradient steps */
  readonly iterations: number;
  /** Adam learning rate */
  readonly learningRate: number;
  /** seed of the data and the initial coefficients */
  readonly seed: number;
}

/** Progress of {@link identify}, one per iteration. */
export interface IdentifyProgress {
  readonly iteration: number;
  readonly loss: number;
}

/** What {@link identify} learned. */
export interface IdentifyOutput {
  /** coefficients of p^2, p^4, ... */
  readonly kinetic: number[];
  /** coefficients of q^2, q^4, ... */
  readonly potential: number[];
  readonly initialLoss: number;
  readonly finalLoss: number;
  /** the learned Hamiltonian */
  readonly hamiltonian: Separable<Float64Array>;
}

/**
 * The separable polynomial Hamiltonian with the given even-power coefficients.
 *
 * @example
 * ```ts
 * import { polynomialHamiltonian } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * const h = polynomialHamiltonian([1], [1]); // p^2 + q^2
 * strictEqual(h.energy({ q: Float64Array.of(1), p: Float64Array.of(2) }), 5);
 * ```
 */
export const polynomialHamiltonian = (
  kinetic: readonly number[],
  potential: readonly number[],
): Separable<Float64Array> => {
  const value = (c: readonly number[]) => (x: Float64Array) => {
    let e = 0;
    for (const xi of x) for (let k = 0; k < c.length; k++) e += c[k] * xi ** (2 * k + 2);
    return e;
  };
  const grad = (c: readonly number[]) => (x: Float64Array) =>
    x.map((xi) => c.reduce((g, ck, k) => g + ck * (2 * k + 2) * xi ** (2 * k + 1), 0));
  return separable<Float64Array>({
    kinetic: value(kinetic),
    potential: value(potential),
    dK: grad(kinetic),
    dV: grad(potential),
    add: (a, b) => a + b,
  });
};

/**
 * Learns a polynomial Hamiltonian from `trajectories` ground-truth rollouts of `system`
 * (integrated with yoshida6 at 8 sub-steps per observation), minimising the mean squared error of
 * one leapfrog step from each observed state to the next. Deterministic for a seed.
 *
 * @example
 * ```ts
 * import { identify } from "@hamiltonian/hgn/train";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const out = identify(massSpring(), { trajectories: 8, steps: 10, dt: 0.1, degree: 1, iterations: 300, learningRate: 0.05, seed: 1 });
 * ok(out.finalLoss < out.initialLoss / 100);
 * ```
 */
export const identify = (
  system: System,
  config: IdentifyConfig,
  onProgress: (p: IdentifyProgress) => void = () => {},
): IdentifyOutput => {
  const truth = yoshida6(leapfrog);
  const sub = 8;
  const data: [Phase<Float64Array>, Phase<Float64Array>][] = [];
  for (let i = 0; i < config.trajectories; i++) {
    const s0 = system.sample(random(deriveSeed(config.seed, 0, i)));
    const fine = stepOf(truth, float64Space, system.hamiltonian, config.dt / sub);
    const traj = rollout(fine, config.steps * sub)(s0).filter((_, j) => j % sub === 0);
    for (let t = 0; t + 1 < traj.length; t++) data.push([traj[t], traj[t + 1]]);
  }
  const n = config.degree;
  const loss = (theta: readonly number[]) => {
    const h = polynomialHamiltonian(theta.slice(0, n), theta.slice(n));
    const step = stepOf(leapfrog, float64Space, h, config.dt);
    let sum = 0;
    let count = 0;
    for (const [a, b] of data) {
      const pred = step(a);
      for (let i = 0; i < a.q.length; i++) {
        sum += (pred.q[i] - b.q[i]) ** 2 + (pred.p[i] - b.p[i]) ** 2;
        count += 2;
      }
    }
    return sum / count;
  };
  const rng = random(deriveSeed(config.seed, 1));
  const theta = Array.from({ length: 2 * n }, () => rng.uniform(0.1, 0.5));
  const m = theta.map(() => 0);
  const v = theta.map(() => 0);
  const initialLoss = loss(theta);
  if (!Number.isFinite(initialLoss)) {
    throw new IdentificationDivergedError(
      `the one-step loss of the initial guess is ${initialLoss}: the integrator diverges at this dt`,
    );
  }
  let current = initialLoss;
  for (let it = 1; it <= config.iterations; it++) {
    const grad = theta.map((_, j) => {
      const e = 1e-6;
      const plus = theta.slice();
      const minus = theta.slice();
      plus[j] += e;
      minus[j] -= e;
      return (loss(plus) - loss(minus)) / (2 * e);
    });
    for (let j = 0; j < theta.length; j++) {
      m[j] = 0.9 * m[j] + 0.1 * grad[j];
      v[j] = 0.999 * v[j] + 0.001 * grad[j] ** 2;
      const mh = m[j] / (1 - 0.9 ** it);
      const vh = v[j] / (1 - 0.999 ** it);
      theta[j] -= (config.learningRate * mh) / (Math.sqrt(vh) + 1e-12);
    }
    current = loss(theta);
    // Divergence: a non-finite loss or coefficient, or a loss a million times the initial one.
    if (!Number.isFinite(current) || !theta.every(Number.isFinite) || current > 1e6 * initialLoss) {
      throw new IdentificationDivergedError(
        `diverged at iteration ${it} (one-step loss ${current}): the learning rate or dt is too large`,
      );
    }
    onProgress({ iteration: it, loss: current });
  }
  return {
    kinetic: theta.slice(0, n),
    potential: theta.slice(n),
    initialLoss,
    finalLoss: current,
    hamiltonian: polynomialHamiltonian(theta.slice(0, n), theta.slice(n)),
  };
};
