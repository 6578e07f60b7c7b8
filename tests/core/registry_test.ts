// The integrator registry: every entry is found by its own key, carries a declared order and
// flags, and an unknown name is one line listing every accepted name.
import { ok, strictEqual, throws } from "node:assert/strict";
import { integratorByName, integrators } from "@hamiltonian/hgn/core";

Deno.test("integratorByName: each registry entry by its key; unknown names list the accepted ones", () => {
  for (const [key, integrator] of Object.entries(integrators)) {
    strictEqual(integratorByName(key), integrator);
    ok(Number.isInteger(integrator.order) && integrator.order >= 1, key);
    // a symmetric method is its own adjoint: its flow inverts by -dt
    if (integrator.symmetric) strictEqual(integrator.adjoint, integrator, key);
  }
  throws(
    () => integratorByName("verlet"),
    (e: Error) =>
      e instanceof RangeError && /unknown integrator 'verlet'/.test(e.message) &&
      Object.keys(integrators).every((k) => e.message.includes(k)),
  );
  // not a key inherited from Object.prototype
  throws(() => integratorByName("toString"), RangeError);
  strictEqual(integratorByName("yoshida6").order, 6);
});
