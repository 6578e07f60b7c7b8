/**
 * The fast path of the ground truth: allocation-free float64 forces of the paper's separable
 * systems, and the sixth-order symplectic integrator that runs on them.
 *
 * Each one computes exactly the same floating-point expressions as the system's own
 * `dK`/`dV` in `lib/systems` (same operations in the same order), so the fast path reproduces
 * the generic `yoshida6(leapfrog)` of `lib/core` bit for bit; `tests/data/fast_path_test.ts`
 * checks that, and {@link fastForcesFor} spot-checks each against its system when it is built.
 *
 * @module
 */
import type { Separable } from "../core/hamiltonian.ts";
import type { System } from "../systems/system.ts";
import { nBodyForce } from "../systems/n_body.ts";

/** In-place gradients of a separable Hamiltonian `K(p) + V(q)` over flat float64 arrays. */
export interface FastForces {
  /** number of position coordinates */
  readonly dim: number;
  /** writes `dK/dp` at `p` into `out` */
  readonly dK: (p: Float64Array, out: Float64Array) => void;
  /** writes `dV/dq` at `q` into `out` */
  readonly dV: (q: Float64Array, out: Float64Array) => void;
  /**
   * optional specialised {@link yoshida6Steps} for these forces (same contract, same arithmetic
   * in the same order, hence the same results; one-dimensional systems use it to keep the state
   * in registers)
   */
  readonly steps?: (
    q: Float64Array,
    p: Float64Array,
    force: Float64Array,
    h: number,
    n: number,
  ) => void;
}

const W0 = 0.784513610477560;
const W1 = 0.235573213359357;
const W2 = -1.17767998417887;

/**
 * Yoshida (1990) solution A: the fractions `w3 w2 w1 w0 w1 w2 w3` of the seven-stage
 * sixth-order composition of leapfrog, the same numbers as `yoshida6` in `lib/core`.
 *
 * @example
 * ```ts
 * import { YOSHIDA6_WEIGHTS } from "@hamiltonian/hgn/data";
 * import { ok } from "node:assert/strict";
 * ok(Math.abs(YOSHIDA6_WEIGHTS.reduce((a, b) => a + b, 0) - 1) < 1e-12);
 * ```
 */
export const YOSHIDA6_WEIGHTS: readonly number[] = (() => {
  const [w3, w2, w1] = [W0, W1, W2];
  const w0 = 1 - 2 * (w1 + w2 + w3);
  return [w3, w2, w1, w0, w1, w2, w3];
})();

/**
 * {@link yoshida6Steps} for one-dimensional forces given as scalar `dK(p) = p / kDiv` and
 * `dV(q) = vMul * v(q)`, with `q`, `p` and the force held in locals.
 */
const scalarSteps = (kDiv: number, vMul: number, v: (q: number) => number) =>
(
  qa: Float64Array,
  pa: Float64Array,
  fa: Float64Array,
  h: number,
  n: number,
): void => {
  const W = YOSHIDA6_WEIGHTS;
  let q = qa[0];
  let p = pa[0];
  let f = fa[0];
  for (let step = 0; step < n; step++) {
    for (let s = 0; s < 7; s++) {
      const dt = W[s] * h;
      const half = -dt / 2;
      p = half * f + p;
      q = dt * (p / kDiv) + q;
      f = vMul * v(q);
      p = half * f + p;
    }
  }
  qa[0] = q;
  pa[0] = p;
  fa[0] = f;
};

const identity = (q: number) => q;

const massSpringForces = (k: number, m: number): FastForces => ({
  dim: 1,
  steps: scalarSteps(m, k, identity),
  dK: (p, out) => {
    out[0] = p[0] / m;
  },
  dV: (q, out) => {
    out[0] = k * q[0];
  },
});

const pendulumForces = (m: number, g: number, l: number): FastForces => ({
  dim: 1,
  // m * l * l and m * g * l associate left to right, as in the system's own gradients
  steps: scalarSteps(m * l * l, m * g * l, Math.sin),
  dK: (p, out) => {
    out[0] = p[0] / (m * l * l);
  },
  dV: (q, out) => {
    out[0] = m * g * l * Math.sin(q[0]);
  },
});

const nBodyForces = (n: number, m: number, g: number): FastForces => {
  const dV = (q: Float64Array, out: Float64Array) => {
    nBodyForce(q, out, n, m, g);
  };
  const d = 2 * n;
  return {
    dim: d,
    dK: (p, out) => {
      for (let i = 0; i < d; i++) out[i] = p[i] / m;
    },
    dV,
    // the drift inlines dK: q += dt * (p / m), the same arithmetic as dK then the update
    steps: (q, p, force, h, steps) => {
      const W = YOSHIDA6_WEIGHTS;
      for (let step = 0; step < steps; step++) {
        for (let s = 0; s < 7; s++) {
          const dt = W[s] * h;
          const half = -dt / 2;
          for (let i = 0; i < d; i++) {
            p[i] = half * force[i] + p[i];
            q[i] = dt * (p[i] / m) + q[i];
          }
          dV(q, force);
          for (let i = 0; i < d; i++) p[i] = half * force[i] + p[i];
        }
      }
    },
  };
};

const henonHeilesForces: FastForces = {
  dim: 2,
  dK: (p, out) => {
    out[0] = p[0];
    out[1] = p[1];
  },
  dV: (q, out) => {
    const x = q[0];
    const y = q[1];
    out[0] = x + 2 * x * y;
    out[1] = y + x * x - y * y;
  },
};

/** The fast forces matching a built-in system by name and parameters, before the spot check. */
const candidate = (system: System): FastForces | undefined => {
  const p = system.params;
  switch (system.name) {
    case "mass-spring":
      return massSpringForces(p.k, p.m);
    case "pendulum":
      return pendulumForces(p.m, p.g, p.l);
    case "two-body":
    case "three-body":
      return nBodyForces(p.n, p.m, p.g);
    case "henon-heiles":
      return henonHeilesForces;
    default:
      return undefined;
  }
};

/**
 * The allocation-free forces of a built-in separable system, or `undefined` when there is none
 * (a custom or non-separable system: the generic path is used). They are checked against
 * the system's own `dK`/`dV` at a few fixed states and must agree bit for bit, so a system that
 * shares a name but not a Hamiltonian gets none.
 *
 * @example
 * ```ts
 * import { fastForcesFor } from "@hamiltonian/hgn/data";
 * import { pendulum, nonSeparable } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(fastForcesFor(pendulum())?.dim, 1);
 * strictEqual(fastForcesFor(nonSeparable()), undefined);
 * ```
 */
export const fastForcesFor = (system: System): FastForces | undefined => {
  if (!system.hamiltonian.separable) return undefined;
  const h = system.hamiltonian as Separable<Float64Array>;
  const forces = candidate(system);
  if (!forces || forces.dim !== system.dim) return undefined;
  const d = system.dim;
  const out = new Float64Array(d);
  for (let trial = 0; trial < 3; trial++) {
    const x = new Float64Array(d);
    for (let i = 0; i < d; i++) x[i] = Math.sin(1.7 * (i + 1) + 2.3 * trial) * (1 + i);
    const want = [h.dV(x), h.dK(x)];
    forces.dV(x, out);
    if (!want[0].every((v, i) => Object.is(v, out[i]))) return undefined;
    forces.dK(x, out);
    if (!want[1].every((v, i) => Object.is(v, out[i]))) return undefined;
  }
  return forces;
};

/**
 * Advances `(q, p)` in place by `n` steps of `yoshida6(leapfrog)` with step `h`, on fast forces.
 * `force` must hold `dV(q)` on entry and holds it on exit; `vel` is scratch. One force
 * evaluation per leapfrog stage (seven per step). The same arithmetic, in the same order, as
 * `yoshida6(leapfrog).step(float64Space, h, dt)` of `lib/core`, so results are identical.
 *
 * @example
 * ```ts
 * import { fastForcesFor, yoshida6Steps } from "@hamiltonian/hgn/data";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const k = fastForcesFor(massSpring())!;
 * const q = Float64Array.of(1), p = Float64Array.of(0), f = new Float64Array(1), v = new Float64Array(1);
 * k.dV(q, f);
 * yoshida6Steps(k, q, p, f, v, 0.01, 100); // t = 1, omega = 2
 * ok(Math.abs(q[0] - Math.cos(2)) < 1e-12);
 * ```
 */
export const yoshida6Steps = (
  forces: FastForces,
  q: Float64Array,
  p: Float64Array,
  force: Float64Array,
  vel: Float64Array,
  h: number,
  n: number,
): void => {
  if (forces.steps) return forces.steps(q, p, force, h, n);
  const d = forces.dim;
  const W = YOSHIDA6_WEIGHTS;
  for (let step = 0; step < n; step++) {
    for (let s = 0; s < W.length; s++) {
      const dt = W[s] * h;
      const half = -dt / 2;
      for (let i = 0; i < d; i++) p[i] = half * force[i] + p[i];
      forces.dK(p, vel);
      for (let i = 0; i < d; i++) q[i] = dt * vel[i] + q[i];
      forces.dV(q, force);
      for (let i = 0; i < d; i++) p[i] = half * force[i] + p[i];
    }
  }
};
