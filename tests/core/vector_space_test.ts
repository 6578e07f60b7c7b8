// float64Space: the vector-space operations entry by entry, fresh arrays (inputs untouched), and
// the sup norm that lets a NaN through rather than hiding it.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { float64Space as S } from "@hamiltonian/hgn/core";

const a = Float64Array.of(1, -2, 3.5);
const b = Float64Array.of(0.25, 4, -1);

Deno.test("float64Space: add, sub, scale and axpy entry by entry, inputs untouched", () => {
  deepStrictEqual(S.add(a, b), Float64Array.of(1.25, 2, 2.5));
  deepStrictEqual(S.sub(a, b), Float64Array.of(0.75, -6, 4.5));
  deepStrictEqual(S.scale(a, -2), Float64Array.of(-2, 4, -7));
  deepStrictEqual(S.axpy(3, a, b), Float64Array.of(3.25, -2, 9.5));
  deepStrictEqual(a, Float64Array.of(1, -2, 3.5));
  deepStrictEqual(b, Float64Array.of(0.25, 4, -1));
  ok(S.add(a, S.scale(a, 0)) !== a, "a fresh array");
});

Deno.test("float64Space: the laws of a vector space hold exactly on dyadic entries", () => {
  deepStrictEqual(S.add(a, b), S.add(b, a));
  deepStrictEqual(S.sub(S.add(a, b), b), a);
  deepStrictEqual(S.axpy(0.5, a, b), S.add(S.scale(a, 0.5), b));
  deepStrictEqual(S.scale(S.add(a, b), 2), S.add(S.scale(a, 2), S.scale(b, 2)));
});

Deno.test("float64Space.normInf: the largest |entry|; NaN wins; 0 for the empty vector", () => {
  strictEqual(S.normInf!(a), 3.5);
  strictEqual(S.normInf!(Float64Array.of(-7, 2)), 7);
  ok(Number.isNaN(S.normInf!(Float64Array.of(1, NaN, 2))));
  ok(Number.isNaN(S.normInf!(Float64Array.of(NaN, 5))));
  strictEqual(S.normInf!(new Float64Array(0)), 0);
});
