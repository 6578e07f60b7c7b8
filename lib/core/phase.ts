/**
 * Points of phase space.
 *
 * @module
 */
import type { VectorSpace } from "./vector_space.ts";

/**
 * A point `(q, p)` of phase space: positions and conjugate momenta, each a vector of `V`.
 *
 * @example
 * ```ts
 * import { phase, type Phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const s: Phase<Float64Array> = phase(Float64Array.of(1), Float64Array.of(0));
 * strictEqual(s.q[0], 1);
 * ```
 */
export interface Phase<V> {
  readonly q: V;
  readonly p: V;
}

/**
 * Builds a {@link Phase} from positions and momenta.
 *
 * @example
 * ```ts
 * import { phase } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(phase(Float64Array.of(2), Float64Array.of(3)).p[0], 3);
 * ```
 */
export const phase = <V>(q: V, p: V): Phase<V> => ({ q, p });

/**
 * The vector space of phase points over a vector space of coordinates: operations act on `q`
 * and `p` alike. `normInf` is present when the coordinate space has it.
 *
 * @example
 * ```ts
 * import { float64Space, phase, phaseSpace } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * const P = phaseSpace(float64Space);
 * const s = P.axpy(2, phase(Float64Array.of(1), Float64Array.of(1)), phase(Float64Array.of(0), Float64Array.of(5)));
 * strictEqual(s.p[0], 7);
 * ```
 */
export const phaseSpace = <V>(space: VectorSpace<V>): VectorSpace<Phase<V>> => {
  const norm = space.normInf;
  return {
    add: (a, b) => phase(space.add(a.q, b.q), space.add(a.p, b.p)),
    sub: (a, b) => phase(space.sub(a.q, b.q), space.sub(a.p, b.p)),
    scale: (a, k) => phase(space.scale(a.q, k), space.scale(a.p, k)),
    axpy: (k, x, y) => phase(space.axpy(k, x.q, y.q), space.axpy(k, x.p, y.p)),
    ...(norm ? { normInf: (a: Phase<V>) => Math.max(norm(a.q), norm(a.p)) } : {}),
  };
};

/**
 * Flattens a float64 phase point to `[q..., p...]`.
 *
 * @example
 * ```ts
 * import { flatten, phase } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(Array.from(flatten(phase(Float64Array.of(1), Float64Array.of(2)))), [1, 2]);
 * ```
 */
export const flatten = (s: Phase<Float64Array>): Float64Array => {
  const out = new Float64Array(s.q.length + s.p.length);
  out.set(s.q, 0);
  out.set(s.p, s.q.length);
  return out;
};

/**
 * Splits `[q..., p...]` back into a float64 phase point (inverse of {@link flatten}).
 *
 * @example
 * ```ts
 * import { unflatten } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(unflatten(Float64Array.of(1, 2, 3, 4)).p[1], 4);
 * ```
 */
export const unflatten = (x: Float64Array): Phase<Float64Array> => {
  const n = x.length / 2;
  if (!Number.isInteger(n)) {
    throw new RangeError(`phase vector length must be even, got ${x.length}`);
  }
  return phase(x.slice(0, n), x.slice(n));
};
