// Phase states: the product space of a vector space (each operation on q and p alike), and the
// flat [q, p] layout that Jacobians use, with its round trip.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { flatten, float64Space, phase, phaseSpace, unflatten } from "@hamiltonian/hgn/core";

const P = phaseSpace(float64Space);
const s = phase(Float64Array.of(1, 2), Float64Array.of(-3, 0.5));
const t = phase(Float64Array.of(0.5, -1), Float64Array.of(2, 2));

Deno.test("phaseSpace: every operation acts on q and on p alike", () => {
  deepStrictEqual(P.add(s, t), phase(Float64Array.of(1.5, 1), Float64Array.of(-1, 2.5)));
  deepStrictEqual(P.sub(s, t), phase(Float64Array.of(0.5, 3), Float64Array.of(-5, -1.5)));
  deepStrictEqual(P.scale(s, 2), phase(Float64Array.of(2, 4), Float64Array.of(-6, 1)));
  deepStrictEqual(P.axpy(2, s, t), phase(Float64Array.of(2.5, 3), Float64Array.of(-4, 3)));
  strictEqual(P.normInf!(s), 3);
  strictEqual(P.normInf!(t), 2);
});

Deno.test("phaseSpace: no sup norm when the underlying space has none (tensors read asynchronously)", () => {
  const { normInf: _, ...noNorm } = float64Space;
  strictEqual(phaseSpace(noNorm).normInf, undefined);
});

Deno.test("flatten and unflatten: [q, p] in that order, a round trip; an odd length is refused", () => {
  deepStrictEqual(flatten(s), Float64Array.of(1, 2, -3, 0.5));
  deepStrictEqual(unflatten(flatten(s)), s);
  deepStrictEqual(flatten(unflatten(Float64Array.of(4, 5))), Float64Array.of(4, 5));
  throws(() => unflatten(Float64Array.of(1, 2, 3)), /length must be even, got 3/);
});
