// Diagnostics in float64: the finite-difference Jacobian of a map, its determinant (with row
// pivoting), the symplectic defect |J^T Omega J - Omega| and the energy error along a trajectory,
// each on matrices whose answer is known exactly.
import { ok, strictEqual, throws } from "node:assert/strict";
import {
  determinant,
  energyError,
  jacobian,
  type Phase,
  phase,
  symplecticDefect,
} from "@hamiltonian/hgn/core";

const close = (a: number, b: number, tol: number) => ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("jacobian: a linear map's matrix, row-major over [q, p]; a nonlinear one's derivative", () => {
  // (q, p) -> (q + 2p, 3q - p)
  const J = jacobian(
    (s) => phase(s.q.map((q, i) => q + 2 * s.p[i]), s.q.map((q, i) => 3 * q - s.p[i])),
    phase(Float64Array.of(0.3), Float64Array.of(-2)),
  );
  [1, 2, 3, -1].forEach((v, i) => close(J[i], v, 1e-9));
  // (q, p) -> (q^2, sin p) at (1.5, 0.7)
  const K = jacobian(
    (s) => phase(s.q.map((q) => q * q), s.p.map(Math.sin)),
    phase(Float64Array.of(1.5), Float64Array.of(0.7)),
  );
  [3, 0, 0, Math.cos(0.7)].forEach((v, i) => close(K[i], v, 1e-8));
});

Deno.test("determinant: exact on triangular and permuted matrices, 0 when singular, a square only", () => {
  strictEqual(determinant(Float64Array.of(2, 7, 1, 0, 3, 5, 0, 0, 4)), 24);
  // a zero leading pivot needs a row swap, which flips the sign
  strictEqual(determinant(Float64Array.of(0, 1, 1, 0)), -1);
  strictEqual(determinant(Float64Array.of(0, 2, 0, 0, 0, 3, 5, 0, 0)), 30);
  strictEqual(determinant(Float64Array.of(1, 2, 2, 4)), 0);
  strictEqual(determinant(Float64Array.of(7)), 7);
  throws(() => determinant(new Float64Array(6)), /not a square matrix \(6 entries\)/);
});

Deno.test("symplecticDefect: 0 for a rotation and a shear of phase space, not for a scaling", () => {
  const c = Math.cos(0.4), s = Math.sin(0.4);
  ok(symplecticDefect(Float64Array.of(c, s, -s, c)) < 1e-15);
  ok(symplecticDefect(Float64Array.of(1, 0.5, 0, 1)) === 0);
  // (q, p) -> (2q, p) doubles the area: J^T Omega J = 2 Omega
  strictEqual(symplecticDefect(Float64Array.of(2, 0, 0, 1)), 1);
  // volume-preserving but not symplectic in 4 dimensions: q1 <-> q2 swap alone, p untouched
  const swapQ = Float64Array.of(0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
  strictEqual(Math.abs(determinant(swapQ)), 1);
  strictEqual(symplecticDefect(swapQ), 1);
  throws(() => symplecticDefect(new Float64Array(9)), /even/);
});

Deno.test("energyError: |H(s_t) - H(s_0)| at every state, 0 at the first", () => {
  const H = (x: Phase<Float64Array>) => x.q[0] ** 2 + x.p[0];
  const t = [
    phase(Float64Array.of(1), Float64Array.of(0)),
    phase(Float64Array.of(2), Float64Array.of(-1)),
    phase(Float64Array.of(0), Float64Array.of(0.5)),
  ];
  const e = energyError(H, t);
  strictEqual(e.length, 3);
  strictEqual(e[0], 0);
  strictEqual(e[1], 2);
  strictEqual(e[2], 0.5);
});
