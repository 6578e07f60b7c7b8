/**
 * Seeded randomness: every random draw in the library comes from an explicit seed, and the same
 * seed gives the same numbers on every machine (32-bit integer arithmetic only).
 *
 * @module
 */

/**
 * A stream of random numbers from a seed (sfc32 seeded through splitmix32).
 *
 * @example
 * ```ts
 * import { random } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(random(7).uniform(), random(7).uniform());
 * ```
 */
export interface Random {
  /** a uniform integer in [0, 2^32) */
  readonly uint32: () => number;
  /** a uniform float in [a, b) with 53 random bits (default [0, 1)) */
  readonly uniform: (a?: number, b?: number) => number;
  /** a standard normal draw (Box-Muller) */
  readonly normal: () => number;
  /** a uniform integer in [0, n) */
  readonly int: (n: number) => number;
}

/** splitmix32: a good 32-bit mixer, used for seeding and for deriving child seeds. */
const mix32 = (x: number): number => {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
};

/**
 * A seed derived from a parent seed and a path of integers (e.g. `deriveSeed(seed, split, index)`),
 * so example `i` of a dataset has its own stream, whatever order examples are generated in.
 *
 * @example
 * ```ts
 * import { deriveSeed } from "@hamiltonian/hgn/core";
 * import { notStrictEqual } from "node:assert/strict";
 * notStrictEqual(deriveSeed(1, 0), deriveSeed(1, 1));
 * ```
 */
export const deriveSeed = (seed: number, ...path: readonly number[]): number =>
  path.reduce((s, k) => mix32(s ^ mix32(k >>> 0)), mix32(seed >>> 0));

/**
 * A {@link Random} stream from a seed (any number; it is read as a uint32).
 *
 * @example
 * ```ts
 * import { random } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * const r = random(42);
 * const u = r.uniform(2, 3);
 * ok(u >= 2 && u < 3);
 * ```
 */
export const random = (seed: number): Random => {
  let a = mix32(seed >>> 0);
  let b = mix32(a);
  let c = mix32(b);
  let d = mix32(c);
  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) uint32();
  const unit = () => ((uint32() >>> 5) * 67108864 + (uint32() >>> 6)) / 9007199254740992;
  let spare: number | undefined;
  return {
    uint32,
    uniform: (lo = 0, hi = 1) => lo + (hi - lo) * unit(),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = unit();
      while (u === 0) u = unit();
      const r = Math.sqrt(-2 * Math.log(u));
      const th = 2 * Math.PI * unit();
      spare = r * Math.sin(th);
      return r * Math.cos(th);
    },
    int: (n) => Math.floor(unit() * n),
  };
};

/**
 * Shuffles `xs` in place with `rng` (Fisher-Yates, from the last element down) and returns it.
 *
 * @example
 * ```ts
 * import { random, shuffle } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * const xs = shuffle(random(3), [0, 1, 2, 3, 4]);
 * deepStrictEqual([...xs].sort(), [0, 1, 2, 3, 4]);
 * deepStrictEqual(xs, shuffle(random(3), [0, 1, 2, 3, 4]));
 * ```
 */
export const shuffle = <A extends { length: number; [i: number]: unknown }>(
  rng: Random,
  xs: A,
): A => {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
};
