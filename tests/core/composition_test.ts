// Compositions of a symmetric method: weights must sum to 1, a palindrome is symmetric (its own
// adjoint, so its flow inverts by -dt) and raises the order as declared, measured on the
// harmonic oscillator's exact solution.
import { ok, strictEqual, throws } from "node:assert/strict";
import {
  composition,
  float64Space,
  leapfrog,
  phase,
  stepOf,
  suzuki4,
  symplecticEuler,
  tripleJump,
  yoshida4,
  yoshida6,
} from "@hamiltonian/hgn/core";
import { massSpring } from "@hamiltonian/hgn/systems";
import type { Integrator, Phase } from "@hamiltonian/hgn/core";

// H = p^2/2 + q^2/2 (k = m = 1): a rotation of phase space, solved exactly
const h = massSpring({ k: 1, m: 1 }).hamiltonian;
const s0 = phase(Float64Array.of(1), Float64Array.of(0));

/** The error at t = 1 against the exact rotation, with n steps. */
const errorAt = (integrator: Integrator, n: number): number => {
  const step = stepOf(integrator, float64Space, h, 1 / n);
  let s: Phase<Float64Array> = s0;
  for (let i = 0; i < n; i++) s = step(s);
  return Math.hypot(s.q[0] - Math.cos(1), s.p[0] + Math.sin(1));
};

Deno.test("composition: weights must sum to 1 and the base be symmetric", () => {
  throws(() => composition("bad", leapfrog, [0.5, 0.6], 2), /weights must sum to 1, got 1.1/);
  throws(() => composition("bad", symplecticEuler, [0.5, 0.5], 1), /needs a symmetric base/);
});

Deno.test("composition: a palindrome is symmetric and its own adjoint; other weights are neither", () => {
  const pal = composition("pal", leapfrog, [0.25, 0.5, 0.25], 2);
  strictEqual(pal.symmetric, true);
  strictEqual(pal.adjoint, pal);
  const lopsided = composition("lop", leapfrog, [0.25, 0.75], 2);
  strictEqual(lopsided.symmetric, false);
  strictEqual(lopsided.adjoint, undefined);
  strictEqual(pal.symplectic, true);
});

Deno.test("tripleJump, yoshida4, suzuki4, yoshida6: the declared order, by the error ratio on halving dt", () => {
  for (
    const [m, order] of [
      [tripleJump(leapfrog), 4],
      [yoshida4(leapfrog), 4],
      [suzuki4(leapfrog), 4],
      [yoshida6(leapfrog), 6],
    ] as const
  ) {
    strictEqual(m.order, order);
    const slope = Math.log2(errorAt(m, 8) / errorAt(m, 16));
    ok(Math.abs(slope - order) < 0.3, `${m.name}: slope ${slope.toFixed(2)}`);
  }
  // the base itself is second order: its compositions beat it
  ok(Math.abs(Math.log2(errorAt(leapfrog, 8) / errorAt(leapfrog, 16)) - 2) < 0.1);
  throws(() => yoshida6(tripleJump(leapfrog)), /needs a second-order base method/);
});
