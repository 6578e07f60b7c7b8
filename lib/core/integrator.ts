/**
 * Integrators: one-step maps of Hamilton's equations, as records with their metadata.
 *
 * Every integrator declares its `order`, whether it is `symmetric` (its adjoint is itself, so
 * `step(-dt)` inverts `step(dt)`) and `symplectic`, and what it `needs` of the Hamiltonian
 * (`"separable"` for the explicit splitting methods). Its `adjoint`, where one is known, gives
 * the exact inverse: `step(dt)^-1 = adjoint.step(-dt)`.
 *
 * @module
 */
import type { Endomorphism } from "../deps/fp.ts";
import type { Hamiltonian, Separable } from "./hamiltonian.ts";
import { type Phase, phase, phaseSpace } from "./phase.ts";
import type { VectorSpace } from "./vector_space.ts";

/** What every integrator declares about itself. */
export interface IntegratorInfo {
  /** a stable identifier, e.g. `"leapfrog"` */
  readonly name: string;
  /** global order of accuracy: error `O(dt^order)` over a fixed time */
  readonly order: number;
  /** its adjoint is itself: `step(-dt)` is the exact inverse of `step(dt)` */
  readonly symmetric: boolean;
  /** the one-step map is symplectic (hence volume preserving) for every `dt` */
  readonly symplectic: boolean;
  /** false when a step solves an implicit equation by fixed-point iteration */
  readonly explicit: boolean;
}

/** An integrator for any Hamiltonian `H(q, p)`. */
export interface GeneralIntegrator extends IntegratorInfo {
  readonly needs: "general";
  /** one step of size `dt` as an endomorphism of phase space */
  readonly step: <V, E>(
    space: VectorSpace<V>,
    h: Hamiltonian<V, E>,
    dt: number,
  ) => Endomorphism<Phase<V>>;
  /** the adjoint method (`step(dt)^-1 = adjoint.step(-dt)`), when known */
  readonly adjoint: GeneralIntegrator | undefined;
}

/** An integrator that needs a separable Hamiltonian `K(p) + V(q)`. */
export interface SeparableIntegrator extends IntegratorInfo {
  readonly needs: "separable";
  /** one step of size `dt` as an endomorphism of phase space */
  readonly step: <V, E>(
    space: VectorSpace<V>,
    h: Separable<V, E>,
    dt: number,
  ) => Endomorphism<Phase<V>>;
  /** the adjoint method (`step(dt)^-1 = adjoint.step(-dt)`), when known */
  readonly adjoint: SeparableIntegrator | undefined;
}

/**
 * Any integrator. Use {@link canIntegrate} before stepping a Hamiltonian that may not be
 * separable.
 */
export type Integrator = GeneralIntegrator | SeparableIntegrator;

/**
 * Whether `integrator` can step `h` (separable integrators need a separable Hamiltonian).
 *
 * @example
 * ```ts
 * import { canIntegrate, leapfrog, rk4 } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(canIntegrate(leapfrog, massSpring().hamiltonian), true);
 * strictEqual(canIntegrate(rk4, massSpring().hamiltonian), true);
 * ```
 */
export const canIntegrate = <V, E>(integrator: Integrator, h: Hamiltonian<V, E>): boolean =>
  integrator.needs === "general" || h.separable;

/**
 * One step of any integrator on any Hamiltonian it accepts; a `TypeError` when a separable
 * integrator meets a non-separable Hamiltonian.
 *
 * @example
 * ```ts
 * import { float64Space, leapfrog, phase, stepOf } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const f = stepOf(leapfrog, float64Space, massSpring().hamiltonian, 0.1);
 * ok(f(phase(Float64Array.of(1), Float64Array.of(0))).q[0] < 1);
 * ```
 */
export const stepOf = <V, E>(
  integrator: Integrator,
  space: VectorSpace<V>,
  h: Hamiltonian<V, E>,
  dt: number,
): Endomorphism<Phase<V>> => {
  if (integrator.needs === "general") return integrator.step(space, h, dt);
  if (!h.separable) {
    throw new TypeError(
      `integrator '${integrator.name}' needs a separable Hamiltonian K(p) + V(q); use a general one (implicitLeapfrog, rk4, euler, paperLeapfrog)`,
    );
  }
  return integrator.step(space, h as Separable<V, E>, dt);
};

/** Settings of the fixed-point solves inside implicit integrators. */
export interface FixedPointOptions {
  /** stop when an update changes no entry by more than `tol * (1 + |x|)`; default 1e-15 */
  readonly tol?: number;
  /** iterations allowed before giving up (or, without `normInf`, always run); default 100 */
  readonly maxIter?: number;
}

/**
 * Solves `x = g(x)` by fixed-point iteration from `x0`. With a space that has `normInf` it stops
 * at the tolerance and throws a `RangeError` if `maxIter` passes first; without it (tensors) it
 * runs exactly `maxIter` iterations, which keeps the solve differentiable.
 *
 * @example
 * ```ts
 * import { fixedPoint, float64Space } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * const x = fixedPoint(float64Space, (x) => x.map(Math.cos), Float64Array.of(1));
 * ok(Math.abs(x[0] - Math.cos(x[0])) < 1e-12);
 * ```
 */
export const fixedPoint = <V>(
  space: VectorSpace<V>,
  g: Endomorphism<V>,
  x0: V,
  options: FixedPointOptions = {},
): V => {
  const tol = options.tol ?? 1e-15;
  const maxIter = options.maxIter ?? (space.normInf ? 100 : 10);
  let x = x0;
  const norm = space.normInf;
  for (let i = 0; i < maxIter; i++) {
    const next = g(x);
    if (norm) {
      const change = norm(space.sub(next, x));
      if (change <= tol * (1 + norm(next))) return next;
      if (!Number.isFinite(change)) break;
    }
    x = next;
  }
  if (norm) {
    throw new RangeError(
      `fixed-point iteration did not converge to ${tol} in ${maxIter} iterations; use a smaller dt`,
    );
  }
  return x;
};

/**
 * Explicit (forward) Euler: `q' = q + dt dH/dp(q, p)`, `p' = p - dt dH/dq(q, p)`.
 * Order 1, neither symmetric nor symplectic (energy drifts, det J != 1). Its adjoint is
 * {@link implicitEuler}, which gives its exact inverse.
 *
 * @example
 * ```ts
 * import { euler, float64Space, phase } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * const s = euler.step(float64Space, massSpring().hamiltonian, 0.1)(phase(Float64Array.of(1), Float64Array.of(0)));
 * strictEqual(s.q[0], 1); // dH/dp = p/m = 0 at the start
 * ```
 */
export const euler: GeneralIntegrator = {
  name: "euler",
  order: 1,
  symmetric: false,
  symplectic: false,
  explicit: true,
  needs: "general",
  step: (space, h, dt) => (s) =>
    phase(space.axpy(dt, h.dHdp(s), s.q), space.axpy(-dt, h.dHdq(s), s.p)),
  get adjoint() {
    return implicitEuler;
  },
};

/**
 * Implicit (backward) Euler `x' = x + dt X(x')`, solved by fixed-point iteration
 * ({@link fixedPoint} defaults). Order 1, not symplectic; the adjoint of {@link euler}.
 *
 * @example
 * ```ts
 * import { euler, float64Space, implicitEuler, phase } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const h = massSpring().hamiltonian;
 * const s0 = phase(Float64Array.of(0.3), Float64Array.of(-0.2));
 * const back = implicitEuler.step(float64Space, h, -0.1)(euler.step(float64Space, h, 0.1)(s0));
 * ok(Math.abs(back.q[0] - 0.3) < 1e-12);
 * ```
 */
export const implicitEuler: GeneralIntegrator = {
  name: "implicitEuler",
  order: 1,
  symmetric: false,
  symplectic: false,
  explicit: false,
  needs: "general",
  step: (space, h, dt) => (s) => {
    const P = phaseSpace(space);
    return fixedPoint(
      P,
      (x) => phase(space.axpy(dt, h.dHdp(x), s.q), space.axpy(-dt, h.dHdq(x), s.p)),
      s,
    );
  },
  get adjoint() {
    return euler;
  },
};

/**
 * Symplectic Euler for separable `H`, kick then drift: `p' = p - dt dV(q)`, `q' = q + dt dK(p')`.
 * Order 1, symplectic, NOT symmetric: `step(-dt)` does not invert it; its adjoint
 * {@link symplecticEulerAdjoint} does (`step(dt)^-1 = adjoint.step(-dt)`).
 *
 * @example
 * ```ts
 * import { float64Space, phase, symplecticEuler } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const s = symplecticEuler.step(float64Space, massSpring().hamiltonian, 0.1)(phase(Float64Array.of(1), Float64Array.of(0)));
 * ok(s.q[0] < 1); // the kick moved p first, so q moves in the same step
 * ```
 */
export const symplecticEuler: SeparableIntegrator = {
  name: "symplecticEuler",
  order: 1,
  symmetric: false,
  symplectic: true,
  explicit: true,
  needs: "separable",
  step: (space, h, dt) => (s) => {
    const p = space.axpy(-dt, h.dV(s.q), s.p);
    return phase(space.axpy(dt, h.dK(p), s.q), p);
  },
  get adjoint() {
    return symplecticEulerAdjoint;
  },
};

/**
 * The adjoint of {@link symplecticEuler}, drift then kick: `q' = q + dt dK(p)`,
 * `p' = p - dt dV(q')`. Order 1, symplectic, not symmetric.
 *
 * @example
 * ```ts
 * import { float64Space, phase, symplecticEuler, symplecticEulerAdjoint } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const h = massSpring().hamiltonian;
 * const s0 = phase(Float64Array.of(0.5), Float64Array.of(0.1));
 * const back = symplecticEulerAdjoint.step(float64Space, h, -0.1)(symplecticEuler.step(float64Space, h, 0.1)(s0));
 * ok(Math.abs(back.q[0] - 0.5) < 1e-15 && Math.abs(back.p[0] - 0.1) < 1e-15);
 * ```
 */
export const symplecticEulerAdjoint: SeparableIntegrator = {
  name: "symplecticEulerAdjoint",
  order: 1,
  symmetric: false,
  symplectic: true,
  explicit: true,
  needs: "separable",
  step: (space, h, dt) => (s) => {
    const q = space.axpy(dt, h.dK(s.p), s.q);
    return phase(q, space.axpy(-dt, h.dV(q), s.p));
  },
  get adjoint() {
    return symplecticEuler;
  },
};

/**
 * Stormer-Verlet leapfrog for separable `H`, kick-drift-kick:
 * `p½ = p - dt/2 dV(q)`, `q' = q + dt dK(p½)`, `p' = p½ - dt/2 dV(q')`.
 * Order 2, symmetric (`step(-dt)` is its exact inverse), symplectic.
 *
 * A step remembers the last force it computed, keyed by the position object, so a rollout pays
 * one force evaluation per step instead of two (positions are never mutated in place).
 *
 * @example
 * ```ts
 * import { float64Space, leapfrog, phase } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const h = massSpring().hamiltonian;
 * const s0 = phase(Float64Array.of(0.5), Float64Array.of(0.1));
 * const back = leapfrog.step(float64Space, h, -0.1)(leapfrog.step(float64Space, h, 0.1)(s0));
 * ok(Math.abs(back.q[0] - 0.5) < 1e-15);
 * ```
 */
export const leapfrog: SeparableIntegrator = {
  name: "leapfrog",
  order: 2,
  symmetric: true,
  symplectic: true,
  explicit: true,
  needs: "separable",
  step: (space, h, dt) => {
    const force = lastForce(h.dV);
    return (s) => {
      const pHalf = space.axpy(-dt / 2, force(s.q), s.p);
      const q = space.axpy(dt, h.dK(pHalf), s.q);
      return phase(q, space.axpy(-dt / 2, force(q), pHalf));
    };
  },
  get adjoint() {
    return leapfrog;
  },
};

/**
 * Memoises the last `(q, f(q))` pair by identity of `q`; a cached value that has since been
 * disposed (a tensor freed by `tidy`) is recomputed.
 */
const lastForce = <V>(f: (q: V) => V): (q: V) => V => {
  let lastQ: V | undefined;
  let lastF: V | undefined;
  return (q) => {
    if (lastQ === q && lastF !== undefined && !(lastF as { isDisposed?: boolean }).isDisposed) {
      return lastF;
    }
    const out = f(q);
    lastQ = q;
    lastF = out;
    return out;
  };
};

/**
 * The generalized (implicit) leapfrog / Stormer-Verlet for any `H(q, p)`:
 * `p½ = p - dt/2 dH/dq(q, p½)` (implicit), `q' = q + dt/2 (dH/dp(q, p½) + dH/dp(q', p½))`
 * (implicit), `p' = p½ - dt/2 dH/dq(q', p½)`. Order 2, symmetric and symplectic, exactly up to
 * the fixed-point tolerance. For a separable `H` it reduces to {@link leapfrog}.
 *
 * @example
 * ```ts
 * import { float64Space, generalizedLeapfrog, phase } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * const step = generalizedLeapfrog({ tol: 1e-14 });
 * strictEqual(step.symmetric, true);
 * const s = step.step(float64Space, massSpring().hamiltonian, 0.1)(phase(Float64Array.of(1), Float64Array.of(0)));
 * strictEqual(s.q.length, 1);
 * ```
 */
export const generalizedLeapfrog = (options: FixedPointOptions = {}): GeneralIntegrator => {
  const self: GeneralIntegrator = {
    name: "implicitLeapfrog",
    order: 2,
    symmetric: true,
    symplectic: true,
    explicit: false,
    needs: "general",
    step: (space, h, dt) => (s) => {
      const half = dt / 2;
      const pHalf = fixedPoint(
        space,
        (p) => space.axpy(-half, h.dHdq(phase(s.q, p)), s.p),
        space.axpy(-half, h.dHdq(s), s.p),
        options,
      );
      const vq = h.dHdp(phase(s.q, pHalf));
      const q = fixedPoint(
        space,
        (q) => space.axpy(half, space.add(vq, h.dHdp(phase(q, pHalf))), s.q),
        space.axpy(dt, vq, s.q),
        options,
      );
      return phase(q, space.axpy(-half, h.dHdq(phase(q, pHalf)), pHalf));
    },
    get adjoint() {
      return self;
    },
  };
  return self;
};

/**
 * {@link generalizedLeapfrog} with the default fixed-point settings (tolerance 1e-15 relative,
 * at most 100 iterations on float64; 10 fixed iterations on tensors).
 *
 * @example
 * ```ts
 * import { implicitLeapfrog } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(implicitLeapfrog.order, 2);
 * ```
 */
export const implicitLeapfrog: GeneralIntegrator = generalizedLeapfrog();

/**
 * The explicit leapfrog the paper (and its reference code) applies to a general `H(q, p)`:
 * `p½ = p - dt/2 dH/dq(q, p)`, `q' = q + dt dH/dp(q, p½)`, `p' = p½ - dt/2 dH/dq(q', p½)`.
 * Identical to {@link leapfrog} when `H` is separable; for non-separable `H` it is neither
 * exactly symplectic nor exactly reversible, and only first order (the laws test measures it).
 *
 * @example
 * ```ts
 * import { paperLeapfrog } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(paperLeapfrog.symplectic, false);
 * ```
 */
export const paperLeapfrog: GeneralIntegrator = {
  name: "paperLeapfrog",
  order: 1,
  symmetric: false,
  symplectic: false,
  explicit: true,
  needs: "general",
  step: (space, h, dt) => (s) => {
    const pHalf = space.axpy(-dt / 2, h.dHdq(s), s.p);
    const q = space.axpy(dt, h.dHdp(phase(s.q, pHalf)), s.q);
    return phase(q, space.axpy(-dt / 2, h.dHdq(phase(q, pHalf)), pHalf));
  },
  adjoint: undefined,
};

/**
 * The classical Runge-Kutta method: stages at `x`, `x + dt/2 k1`, `x + dt/2 k2`, `x + dt k3`
 * (the last with the full step), `x' = x + dt/6 (k1 + 2 k2 + 2 k3 + k4)`. Order 4, neither
 * symmetric nor symplectic (a negative control for the volume and energy laws).
 *
 * @example
 * ```ts
 * import { float64Space, phase, rk4 } from "@hamiltonian/hgn/core";
 * import { massSpring } from "@hamiltonian/hgn/systems";
 * import { ok } from "node:assert/strict";
 * const ms = massSpring();
 * const s0 = phase(Float64Array.of(1), Float64Array.of(0));
 * const s = rk4.step(float64Space, ms.hamiltonian, 0.01)(s0);
 * ok(Math.abs(s.q[0] - ms.exact!(s0, 0.01).q[0]) < 1e-10);
 * ```
 */
export const rk4: GeneralIntegrator = {
  name: "rk4",
  order: 4,
  symmetric: false,
  symplectic: false,
  explicit: true,
  needs: "general",
  step: <V, E>(space: VectorSpace<V>, h: Hamiltonian<V, E>, dt: number) => {
    const P = phaseSpace(space);
    const field = (s: Phase<V>) => phase(h.dHdp(s), space.scale(h.dHdq(s), -1));
    return (s: Phase<V>): Phase<V> => {
      const k1 = field(s);
      const k2 = field(P.axpy(dt / 2, k1, s));
      const k3 = field(P.axpy(dt / 2, k2, s));
      const k4 = field(P.axpy(dt, k3, s));
      const sum = P.add(P.add(k1, k4), P.scale(P.add(k2, k3), 2));
      return P.axpy(dt / 6, sum, s);
    };
  },
  adjoint: undefined,
};
