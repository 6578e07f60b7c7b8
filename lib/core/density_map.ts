/**
 * Invertible maps that carry their log-determinant: the building blocks of normalising flows.
 * A RealNVP coupling and a Hamiltonian (symplectic) step are the same kind of thing here; the
 * symplectic one carries zero, by construction ({@link volumePreserving}).
 *
 * Each direction returns the image and `log |det J|` of that direction at the point, so for a
 * density `pi` pushed forward, `log p(y) = log pi(x) - logDet(x -> y)` and, pulling back,
 * `log p(y) = log pi(inverse(y).value) + inverse(y).logDet`.
 *
 * Laws (with `add` the log-det group's addition): composing sums the log-dets,
 * `andThen(f, g).forward(x).logDet = f.forward(x).logDet + g.forward(f(x)).logDet`; the inverse
 * direction's log-det is minus the forward one's at the corresponding point; `inverse` swaps the
 * directions; `identity` carries zero.
 *
 * @module
 */
import type { Invertible } from "./invertible.ts";

/**
 * The additive group log-determinants live in: numbers for one point in float64, a per-sample
 * tensor `[B]` for a batch (see `tensorLogDet` in `@hamiltonian/hgn/tensor`).
 */
export interface LogDetSpace<L> {
  readonly zero: L;
  readonly add: (a: L, b: L) => L;
}

/**
 * Log-determinants of one float64 point.
 *
 * @example
 * ```ts
 * import { numberLogDet } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(numberLogDet.add(numberLogDet.zero, 2), 2);
 * ```
 */
export const numberLogDet: LogDetSpace<number> = { zero: 0, add: (a, b) => a + b };

/** The image of a point and the log |det J| of the map there. */
export interface Pushed<A, L> {
  readonly value: A;
  readonly logDet: L;
}

/** An invertible map with the log |det J| of each direction. */
export interface DensityMap<A, L> {
  readonly forward: (x: A) => Pushed<A, L>;
  readonly inverse: (y: A) => Pushed<A, L>;
}

/** The operations on density maps over one log-det space; see {@link densityMaps}. */
export interface DensityMaps<L> {
  /** the identity, log-det zero */
  readonly identity: <A>() => DensityMap<A, L>;
  /** a volume-preserving invertible map (any symplectic step) with log-det zero */
  readonly volumePreserving: <A>(f: Invertible<A>) => DensityMap<A, L>;
  /** `f` first, then `g`, log-dets summed; data-last too: `pipe(f, andThen(g))` */
  readonly andThen: {
    <A>(f: DensityMap<A, L>, g: DensityMap<A, L>): DensityMap<A, L>;
    <A>(g: DensityMap<A, L>): (f: DensityMap<A, L>) => DensityMap<A, L>;
  };
  /** composes a list in order (the empty list is the identity) */
  readonly concatAll: <A>(fs: readonly DensityMap<A, L>[]) => DensityMap<A, L>;
}

/**
 * The density-map operations for log-dets in `space`.
 *
 * @example
 * ```ts
 * import { pipe } from "npm:fp-ts@2.16.11/lib/function.js";
 * import { densityMaps, numberLogDet } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const D = densityMaps(numberLogDet);
 * // x -> 3x has log |det J| = log 3; its inverse log(1/3)
 * const triple = {
 *   forward: (x: number) => ({ value: 3 * x, logDet: Math.log(3) }),
 *   inverse: (y: number) => ({ value: y / 3, logDet: -Math.log(3) }),
 * };
 * const shift = D.volumePreserving({ forward: (x: number) => x + 1, inverse: (x: number) => x - 1 });
 * const f = pipe(triple, D.andThen(shift), D.andThen(triple));
 * strictEqual(f.forward(1).value, 12);
 * strictEqual(f.forward(1).logDet, 2 * Math.log(3));
 * strictEqual(f.inverse(12).value, 1);
 * strictEqual(f.inverse(12).logDet, -2 * Math.log(3));
 * ```
 */
export const densityMaps = <L>(space: LogDetSpace<L>): DensityMaps<L> => {
  const identity = <A>(): DensityMap<A, L> => ({
    forward: (x) => ({ value: x, logDet: space.zero }),
    inverse: (y) => ({ value: y, logDet: space.zero }),
  });
  const volumePreserving = <A>(f: Invertible<A>): DensityMap<A, L> => ({
    forward: (x) => ({ value: f.forward(x), logDet: space.zero }),
    inverse: (y) => ({ value: f.inverse(y), logDet: space.zero }),
  });
  const both = <A>(f: DensityMap<A, L>, g: DensityMap<A, L>): DensityMap<A, L> => ({
    forward: (x) => {
      const a = f.forward(x);
      const b = g.forward(a.value);
      return { value: b.value, logDet: space.add(a.logDet, b.logDet) };
    },
    inverse: (y) => {
      const b = g.inverse(y);
      const a = f.inverse(b.value);
      return { value: a.value, logDet: space.add(b.logDet, a.logDet) };
    },
  });
  function andThen<A>(f: DensityMap<A, L>, g: DensityMap<A, L>): DensityMap<A, L>;
  function andThen<A>(g: DensityMap<A, L>): (f: DensityMap<A, L>) => DensityMap<A, L>;
  function andThen<A>(
    first: DensityMap<A, L>,
    second?: DensityMap<A, L>,
  ): DensityMap<A, L> | ((f: DensityMap<A, L>) => DensityMap<A, L>) {
    return second === undefined ? (f: DensityMap<A, L>) => both(f, first) : both(first, second);
  }
  const concatAll = <A>(fs: readonly DensityMap<A, L>[]): DensityMap<A, L> =>
    fs.reduce((acc, f) => both(acc, f), identity<A>());
  return { identity, volumePreserving, andThen, concatAll };
};

/**
 * Swaps the directions of a density map (the group inverse).
 *
 * @example
 * ```ts
 * import { invertDensityMap } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const triple = {
 *   forward: (x: number) => ({ value: 3 * x, logDet: Math.log(3) }),
 *   inverse: (y: number) => ({ value: y / 3, logDet: -Math.log(3) }),
 * };
 * strictEqual(invertDensityMap(triple).forward(3).value, 1);
 * ```
 */
export const invertDensityMap = <A, L>(f: DensityMap<A, L>): DensityMap<A, L> => ({
  forward: f.inverse,
  inverse: f.forward,
});

/**
 * The invertible map underneath, its log-dets dropped.
 *
 * @example
 * ```ts
 * import { densityMaps, numberLogDet, withoutLogDet } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const inc = { forward: (x: number) => x + 1, inverse: (x: number) => x - 1 };
 * strictEqual(withoutLogDet(densityMaps(numberLogDet).volumePreserving(inc)).forward(1), 2);
 * ```
 */
export const withoutLogDet = <A, L>(f: DensityMap<A, L>): Invertible<A> => ({
  forward: (x) => f.forward(x).value,
  inverse: (y) => f.inverse(y).value,
});
