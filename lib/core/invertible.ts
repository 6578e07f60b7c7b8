/**
 * Invertible maps: a forward map with its inverse. They form a group under composition.
 *
 * Laws: `andThen(identity(), f) = f = andThen(f, identity())`;
 * `andThen(andThen(f, g), h) = andThen(f, andThen(g, h))`;
 * `inverse(andThen(f, g)) = andThen(inverse(g), inverse(f))`;
 * `andThen(f, inverse(f)).forward = id` (up to the map's own accuracy).
 *
 * @module
 */
import { Endo, type Endomorphism, identity as id, M } from "../deps/fp.ts";

/**
 * A map together with its inverse.
 *
 * @example
 * ```ts
 * import { type Invertible, inverse } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const double: Invertible<number> = { forward: (x) => 2 * x, inverse: (x) => x / 2 };
 * strictEqual(inverse(double).forward(8), 4);
 * ```
 */
export interface Invertible<A> {
  readonly forward: Endomorphism<A>;
  readonly inverse: Endomorphism<A>;
}

/**
 * The identity map (the group's unit).
 *
 * @example
 * ```ts
 * import { identity } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(identity<number>().forward(3), 3);
 * ```
 */
export const identity = <A>(): Invertible<A> => ({ forward: id, inverse: id });

/**
 * Swaps the directions: the group inverse.
 *
 * @example
 * ```ts
 * import { inverse } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(inverse({ forward: (x: number) => x + 1, inverse: (x: number) => x - 1 }).forward(1), 0);
 * ```
 */
export const inverse = <A>(f: Invertible<A>): Invertible<A> => ({
  forward: f.inverse,
  inverse: f.forward,
});

/**
 * Composition in reading order: `andThen(f, g)` applies `f` first, then `g`; its inverse undoes
 * `g` first, then `f`. Data-last too, for `pipe`: `pipe(f, andThen(g))` is `andThen(f, g)`.
 *
 * @example
 * ```ts
 * import { pipe } from "npm:fp-ts@2.16.11/lib/function.js";
 * import { andThen, power } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const inc = { forward: (x: number) => x + 1, inverse: (x: number) => x - 1 };
 * const dbl = { forward: (x: number) => 2 * x, inverse: (x: number) => x / 2 };
 * strictEqual(andThen(inc, dbl).forward(1), 4);
 * strictEqual(andThen(inc, dbl).inverse(4), 1);
 * strictEqual(pipe(inc, andThen(dbl), power(3)).forward(0), 14); // ((0+1)*2+1)*2+1)*2
 * ```
 */
export function andThen<A>(g: Invertible<A>): (f: Invertible<A>) => Invertible<A>;
export function andThen<A>(f: Invertible<A>, g: Invertible<A>): Invertible<A>;
export function andThen<A>(
  first: Invertible<A>,
  second?: Invertible<A>,
): Invertible<A> | ((f: Invertible<A>) => Invertible<A>) {
  return second === undefined ? (f: Invertible<A>) => both(f, first) : both(first, second);
}

const both = <A>(f: Invertible<A>, g: Invertible<A>): Invertible<A> => {
  const E = Endo.getMonoid<A>();
  return { forward: E.concat(f.forward, g.forward), inverse: E.concat(g.inverse, f.inverse) };
};

/**
 * The monoid of invertible maps under {@link andThen}, with {@link identity} as unit; use it with
 * fp-ts `concatAll`.
 *
 * @example
 * ```ts
 * import { concatAll, invertibleMonoid } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const inc = { forward: (x: number) => x + 1, inverse: (x: number) => x - 1 };
 * strictEqual(concatAll(invertibleMonoid<number>())([inc, inc, inc]).forward(0), 3);
 * ```
 */
export const invertibleMonoid = <A>(): M.Monoid<Invertible<A>> => ({
  concat: both,
  empty: identity<A>(),
});

/**
 * fp-ts `concatAll` for a monoid, re-exported for composing many maps at once.
 *
 * @example
 * ```ts
 * import { concatAll, invertibleMonoid } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(concatAll(invertibleMonoid<number>())([]).forward(7), 7);
 * ```
 */
export const concatAll = M.concatAll;

/**
 * `f` composed with itself `n >= 0` times (n = 0 is the identity). Data-last too:
 * `pipe(f, power(n))`.
 *
 * @example
 * ```ts
 * import { pipe } from "npm:fp-ts@2.16.11/lib/function.js";
 * import { power } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const dbl = { forward: (x: number) => 2 * x, inverse: (x: number) => x / 2 };
 * strictEqual(power(dbl, 10).forward(1), 1024);
 * strictEqual(pipe(dbl, power(3)).inverse(8), 1);
 * ```
 */
export function power(n: number): <A>(f: Invertible<A>) => Invertible<A>;
export function power<A>(f: Invertible<A>, n: number): Invertible<A>;
export function power<A>(
  a: Invertible<A> | number,
  b?: number,
): Invertible<A> | (<B>(f: Invertible<B>) => Invertible<B>) {
  return typeof a === "number" ? <B>(f: Invertible<B>) => repeatMap(f, a) : repeatMap(a, b!);
}

const repeatMap = <A>(f: Invertible<A>, n: number): Invertible<A> => {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`power: n must be an integer >= 0, got ${n}`);
  }
  const repeat = (g: Endomorphism<A>) => (a: A) => {
    let x = a;
    for (let i = 0; i < n; i++) x = g(x);
    return x;
  };
  return { forward: repeat(f.forward), inverse: repeat(f.inverse) };
};
