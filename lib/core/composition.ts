/**
 * Composition methods: higher-order symmetric integrators built from any symmetric base method
 * by chaining its steps with tuned fractions of `dt`.
 *
 * @module
 */
import type { Hamiltonian } from "./hamiltonian.ts";
import type { Integrator } from "./integrator.ts";
import type { Phase } from "./phase.ts";
import type { VectorSpace } from "./vector_space.ts";

/**
 * Composes `base` with step fractions `weights` (applied left to right, summing to 1).
 * The result is symmetric when the weights are palindromic and `base` is symmetric, and
 * symplectic when `base` is. `order` is the caller's claim, checked by the laws tests.
 * Throws a `TypeError` if `base` is not symmetric (the order conditions assume it).
 *
 * @example
 * ```ts
 * import { composition, leapfrog } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const twoHalves = composition("twoHalves", leapfrog, [0.5, 0.5], 2);
 * strictEqual(twoHalves.symmetric, true);
 * ```
 */
export const composition = <I extends Integrator>(
  name: string,
  base: I,
  weights: readonly number[],
  order: number,
): I => {
  if (!base.symmetric) {
    throw new TypeError(
      `composition '${name}' needs a symmetric base method; '${base.name}' is not (use leapfrog or implicitLeapfrog)`,
    );
  }
  const total = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-12) {
    throw new RangeError(`composition '${name}': weights must sum to 1, got ${total}`);
  }
  const palindromic = weights.every((w, i) => w === weights[weights.length - 1 - i]);
  const step = <V, E>(space: VectorSpace<V>, h: Hamiltonian<V, E>, dt: number) => {
    // Distinct fractions get their own step closure; repeated fractions share one.
    const byWeight = new Map<number, (s: Phase<V>) => Phase<V>>();
    const stages = weights.map((w) => {
      let f = byWeight.get(w);
      if (!f) {
        f = (base.step as (
          s: VectorSpace<V>,
          h: Hamiltonian<V, E>,
          dt: number,
        ) => (s: Phase<V>) => Phase<V>)(
          space,
          h,
          w * dt,
        );
        byWeight.set(w, f);
      }
      return f;
    });
    return (s: Phase<V>) => stages.reduce((x, f) => f(x), s);
  };
  const self = {
    name,
    order,
    symmetric: palindromic,
    symplectic: base.symplectic,
    explicit: base.explicit,
    needs: base.needs,
    step,
    get adjoint() {
      return palindromic ? self : undefined;
    },
  } as unknown as I;
  return self;
};

/**
 * Yoshida's triple jump: raises a symmetric method of even order `p` to order `p + 2` with
 * fractions `g, 1 - 2g, g`, `g = 1 / (2 - 2^(1/(p+1)))`.
 *
 * @example
 * ```ts
 * import { leapfrog, tripleJump } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(tripleJump(leapfrog).order, 4);
 * ```
 */
export const tripleJump = <I extends Integrator>(base: I, name = `tripleJump(${base.name})`): I => {
  const g = 1 / (2 - Math.pow(2, 1 / (base.order + 1)));
  return composition(name, base, [g, 1 - 2 * g, g], base.order + 2);
};

/**
 * Yoshida's fourth-order method: the triple jump of a symmetric second-order base (default
 * {@link leapfrog}). Order 4, symmetric; symplectic when the base is.
 *
 * @example
 * ```ts
 * import { implicitLeapfrog, yoshida4 } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(yoshida4(implicitLeapfrog).needs, "general");
 * ```
 */
export const yoshida4 = <I extends Integrator>(base: I): I =>
  tripleJump(base, `yoshida4(${base.name})`);

/**
 * Suzuki's fractal fourth-order method: five steps `g, g, 1 - 4g, g, g`, `g = 1 / (4 - 4^(1/3))`.
 * Order 4 from a symmetric second-order base, smaller error constant than the triple jump.
 *
 * @example
 * ```ts
 * import { leapfrog, suzuki4 } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(suzuki4(leapfrog).order, 4);
 * ```
 */
export const suzuki4 = <I extends Integrator>(base: I): I => {
  const g = 1 / (4 - Math.cbrt(4));
  return composition(`suzuki4(${base.name})`, base, [g, g, 1 - 4 * g, g, g], base.order + 2);
};

/** Yoshida (1990), solution A: the seven-stage sixth-order composition of a second-order method. */
const YOSHIDA6_A = [0.784513610477560, 0.235573213359357, -1.17767998417887] as const;

/**
 * Yoshida's sixth-order method (1990, solution A): seven steps of a symmetric second-order base,
 * `w3 w2 w1 w0 w1 w2 w3`. Order 6, symmetric; symplectic when the base is.
 *
 * @example
 * ```ts
 * import { leapfrog, yoshida6 } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(yoshida6(leapfrog).order, 6);
 * ```
 */
export const yoshida6 = <I extends Integrator>(base: I): I => {
  if (base.order !== 2) {
    throw new RangeError(
      `yoshida6 needs a second-order base method; '${base.name}' has order ${base.order}`,
    );
  }
  const [w3, w2, w1] = YOSHIDA6_A;
  const w0 = 1 - 2 * (w1 + w2 + w3);
  return composition(`yoshida6(${base.name})`, base, [w3, w2, w1, w0, w1, w2, w3], 6);
};
