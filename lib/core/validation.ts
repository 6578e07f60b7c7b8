/**
 * Validation of flow settings at the edges, collecting every problem (fp-ts Either,
 * the applicative-validation way: every check runs, every failure is kept).
 *
 * @module
 */
import { E, RA, RNEA } from "../deps/fp.ts";
import type { Phase } from "./phase.ts";

/** Validated settings of a rollout. */
export interface FlowSettings {
  /** time step, finite and non-zero (negative runs time backwards) */
  readonly dt: number;
  /** number of steps, an integer >= 1 */
  readonly steps: number;
}

/** Every problem found, one message each. */
export type Errors = RNEA.ReadonlyNonEmptyArray<string>;

/**
 * Lifts a predicate into a validation with one message.
 *
 * @example
 * ```ts
 * import * as E from "npm:fp-ts@2.16.11/lib/Either.js";
 * import { check } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * ok(E.isLeft(check(-1, (x) => x > 0, "x must be > 0")));
 * ```
 */
export const check = <A>(value: A, ok: (a: A) => boolean, message: string): E.Either<Errors, A> =>
  ok(value) ? E.right(value) : E.left(RNEA.of(message));

/**
 * Runs every check and keeps every failure: `value` when all pass, else all their messages in
 * order (what fp-ts' applicative validation gives, in one call that types cleanly).
 *
 * @example
 * ```ts
 * import * as E from "npm:fp-ts@2.16.11/lib/Either.js";
 * import { check, validateAll } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * const r = validateAll(0, [check(0, (x) => x > 0, "a"), check(0, (x) => x < 0, "b")]);
 * deepStrictEqual(r, E.left(["a", "b"]));
 * ```
 */
export const validateAll = <A>(
  value: A,
  checks: readonly E.Either<Errors, unknown>[],
): E.Either<Errors, A> => {
  const errors = checks.flatMap((c) => (E.isLeft(c) ? c.left : []));
  return RA.isNonEmpty(errors) ? E.left(errors) : E.right(value);
};

/**
 * Validates `dt` (finite, non-zero) and `steps` (integer >= 1), reporting all problems at once.
 *
 * @example
 * ```ts
 * import * as E from "npm:fp-ts@2.16.11/lib/Either.js";
 * import { validateFlowSettings } from "@hamiltonian/hgn/core";
 * import { deepStrictEqual } from "node:assert/strict";
 * const r = validateFlowSettings({ dt: 0, steps: 0.5 });
 * deepStrictEqual(E.isLeft(r) && r.left.length, 2);
 * ```
 */
export const validateFlowSettings = (
  s: { readonly dt: number; readonly steps: number },
): E.Either<Errors, FlowSettings> =>
  validateAll({ dt: s.dt, steps: s.steps }, [
    check(s.dt, (dt) =>
      Number.isFinite(dt) && dt !== 0, `dt must be a finite non-zero number, got ${s.dt}`),
    check(s.steps, (n) =>
      Number.isInteger(n) && n >= 1, `steps must be an integer >= 1, got ${s.steps}`),
  ]);

/**
 * Validates that a float64 state has `q` and `p` of the system's dimension, with finite entries.
 *
 * @example
 * ```ts
 * import * as E from "npm:fp-ts@2.16.11/lib/Either.js";
 * import { phase, validateState } from "@hamiltonian/hgn/core";
 * import { ok } from "node:assert/strict";
 * ok(E.isLeft(validateState(phase(Float64Array.of(1, 2), Float64Array.of(0)), 2)));
 * ```
 */
export const validateState = (
  s: Phase<Float64Array>,
  dim: number,
): E.Either<Errors, Phase<Float64Array>> =>
  validateAll(s, [
    check(s.q, (q) => q.length === dim, `q must have ${dim} entries, got ${s.q.length}`),
    check(s.p, (p) => p.length === dim, `p must have ${dim} entries, got ${s.p.length}`),
    check(
      s,
      (x) => x.q.every(Number.isFinite) && x.p.every(Number.isFinite),
      "state entries must be finite numbers",
    ),
  ]);

/**
 * Turns collected errors into one line (for the CLI) or the value.
 *
 * @example
 * ```ts
 * import { orThrow, validateFlowSettings } from "@hamiltonian/hgn/core";
 * import { throws } from "node:assert/strict";
 * throws(() => orThrow(validateFlowSettings({ dt: NaN, steps: 1 })), /dt must be/);
 * ```
 */
export const orThrow = <A>(r: E.Either<Errors, A>): A => {
  if (E.isRight(r)) return r.right;
  throw new RangeError(r.left.join("; "));
};
