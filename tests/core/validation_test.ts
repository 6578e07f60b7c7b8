import * as E from "npm:fp-ts@2.16.11/lib/Either.js";
import { orThrow, phase, validateFlowSettings, validateState } from "@hamiltonian/hgn/core";
import { deepStrictEqual, ok, throws } from "node:assert/strict";

Deno.test("validateFlowSettings collects every problem, one message each", () => {
  const r = validateFlowSettings({ dt: Infinity, steps: -2 });
  ok(E.isLeft(r));
  deepStrictEqual(r.left, [
    "dt must be a finite non-zero number, got Infinity",
    "steps must be an integer >= 1, got -2",
  ]);
  deepStrictEqual(validateFlowSettings({ dt: -0.1, steps: 3 }), E.right({ dt: -0.1, steps: 3 }));
});

Deno.test("validateState checks dimensions and finiteness together", () => {
  const r = validateState(phase(Float64Array.of(NaN), Float64Array.of(1, 2)), 2);
  ok(E.isLeft(r));
  deepStrictEqual(r.left, ["q must have 2 entries, got 1", "state entries must be finite numbers"]);
  throws(
    () => orThrow(r),
    /^RangeError: q must have 2 entries, got 1; state entries must be finite numbers$/,
  );
  ok(E.isRight(validateState(phase(Float64Array.of(1, 2), Float64Array.of(3, 4)), 2)));
});
