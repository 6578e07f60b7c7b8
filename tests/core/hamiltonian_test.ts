// Hamiltonians: a separable one wires its parts (dH/dq is dV, dH/dp is dK, H = K + V, in the
// energy type's own addition), a general one is marked non-separable, and the vector field is
// Hamilton's equations (dq/dt = dH/dp, dp/dt = -dH/dq).
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { float64Space, hamiltonian, phase, separable, vectorField } from "@hamiltonian/hgn/core";

const sq = (x: Float64Array) => x.reduce((a, v) => a + v * v, 0);
// K = |p|^2 / 2, V = |q|^4 / 4 (an anharmonic well)
const h = separable<Float64Array>({
  kinetic: (p) => sq(p) / 2,
  potential: (q) => sq(q) ** 2 / 4,
  dK: (p) => p.slice(),
  dV: (q) => q.map((v) => sq(q) * v),
  add: (a, b) => a + b,
});
const s = phase(Float64Array.of(1, 2), Float64Array.of(3, -1));

Deno.test("separable: dH/dq = dV(q), dH/dp = dK(p), H = K(p) + V(q)", () => {
  strictEqual(h.separable, true);
  deepStrictEqual(h.dHdq(s), Float64Array.of(5, 10));
  deepStrictEqual(h.dHdp(s), Float64Array.of(3, -1));
  strictEqual(h.energy(s), 5 + 25 / 4);
  strictEqual(h.kinetic(s.p), 5);
  strictEqual(h.potential(s.q), 25 / 4);
});

Deno.test("separable: energies add with the parts' own addition (e.g. a tensor's)", () => {
  const tagged = separable<Float64Array, string>({
    kinetic: () => "K",
    potential: () => "V",
    dK: (p) => p,
    dV: (q) => q,
    add: (a, b) => `${a}+${b}`,
  });
  strictEqual(tagged.energy(s), "K+V");
});

Deno.test("hamiltonian: a general H is not separable; vectorField is Hamilton's equations", () => {
  // H = q p (not separable): dH/dq = p, dH/dp = q
  const g = hamiltonian<Float64Array>({
    dHdq: (x) => x.p.slice(),
    dHdp: (x) => x.q.slice(),
    energy: (x) => x.q[0] * x.p[0],
  });
  strictEqual(g.separable, false);
  const f = vectorField(float64Space, g)(phase(Float64Array.of(2), Float64Array.of(3)));
  deepStrictEqual(f, phase(Float64Array.of(2), Float64Array.of(-3)));
  deepStrictEqual(
    vectorField(float64Space, h)(s),
    phase(Float64Array.of(3, -1), Float64Array.of(-5, -10)),
  );
});
