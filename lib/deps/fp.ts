/**
 * The only door to fp-ts: full pinned `npm:` specifiers, so the library can be imported by URL.
 *
 * ```ts
 * import { pipe } from "npm:fp-ts@2.16.11/lib/function.js";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(pipe(1, (x) => x + 1), 2);
 * ```
 * @module
 */
export { flow, identity, pipe } from "npm:fp-ts@2.16.11/lib/function.js";
export type { Endomorphism } from "npm:fp-ts@2.16.11/lib/Endomorphism.js";
export * as Endo from "npm:fp-ts@2.16.11/lib/Endomorphism.js";
export * as E from "npm:fp-ts@2.16.11/lib/Either.js";
export * as R from "npm:fp-ts@2.16.11/lib/Reader.js";
export * as RNEA from "npm:fp-ts@2.16.11/lib/ReadonlyNonEmptyArray.js";
export * as RA from "npm:fp-ts@2.16.11/lib/ReadonlyArray.js";
export * as Ap from "npm:fp-ts@2.16.11/lib/Apply.js";
export * as M from "npm:fp-ts@2.16.11/lib/Monoid.js";
