// Law: density maps carry log |det J|. Symplectic steps carry zero by construction, and their
// float64 finite-difference Jacobian agrees; a coupling that changes volume carries exactly its
// finite-difference log |det J|; composition sums log-dets; the inverse undoes both.
import {
  type DensityMap,
  densityMaps,
  determinant,
  float64Space,
  flow,
  invertDensityMap,
  jacobian,
  numberLogDet,
  type Phase,
  phase,
} from "@hamiltonian/hgn/core";
import { ok } from "node:assert/strict";
import { pipe } from "npm:fp-ts@2.16.11/lib/function.js";
import { fc } from "../deps.ts";
import { FC, pairs, TOL } from "./registry.ts";
import { relativeDifference } from "@hamiltonian/hgn/laws";
import { sampleState } from "./helpers.ts";

const D = densityMaps(numberLogDet);
type S = Phase<Float64Array>;

/** q' = q exp(s(p)) + t(p), p' = p: a RealNVP-style affine coupling, log |det J| = sum s(p). */
const coupling: DensityMap<S, number> = {
  forward: (x: S) => {
    const s = x.p.map((v) => 0.3 * Math.sin(v));
    const q = x.q.map((v, i) => v * Math.exp(s[i]) + 0.5 * x.p[i] ** 2);
    return { value: phase(q, x.p.slice()), logDet: s.reduce((a, b) => a + b, 0) };
  },
  inverse: (y: S) => {
    const s = y.p.map((v) => 0.3 * Math.sin(v));
    const q = y.q.map((v, i) => (v - 0.5 * y.p[i] ** 2) * Math.exp(-s[i]));
    return { value: phase(q, y.p.slice()), logDet: -s.reduce((a, b) => a + b, 0) };
  },
};

const fdLogDet = (f: (s: S) => S, s: S) => Math.log(Math.abs(determinant(jacobian(f, s))));

for (const { integrator, system } of pairs) {
  if (!integrator.symplectic || !integrator.symmetric && !integrator.adjoint) continue;
  Deno.test(`density map: ${integrator.name} on ${system.name} carries log |det J| = 0, as finite differences say`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const step = D.volumePreserving(flow(integrator, float64Space, system.hamiltonian)(0.1));
        const s = sampleState(system, seed);
        const carried = step.forward(s).logDet;
        ok(carried === 0);
        ok(Math.abs(fdLogDet((x) => step.forward(x).value, s) - carried) <= TOL.volume);
      }),
      { ...FC, numRuns: 2 },
    );
  });
}

Deno.test("density map: a coupling carries its finite-difference log |det J|; composition sums; inverse undoes", () => {
  const { integrator, system } = pairs.find((p) =>
    p.integrator.name === "leapfrog" && p.system.name === "two-body"
  )!;
  const step = D.volumePreserving(flow(integrator, float64Space, system.hamiltonian)(0.07));
  const f = pipe(coupling, D.andThen(step), D.andThen(coupling));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const s = sampleState(system, seed);
      const c = coupling.forward(s);
      ok(Math.abs(fdLogDet((x) => coupling.forward(x).value, s) - c.logDet) <= 1e-7, "coupling");
      const out = f.forward(s);
      const sum = c.logDet + step.forward(c.value).logDet +
        coupling.forward(step.forward(c.value).value).logDet;
      ok(Math.abs(out.logDet - sum) <= 1e-12, "composition sums");
      ok(Math.abs(fdLogDet((x) => f.forward(x).value, s) - out.logDet) <= 1e-6, "composite");
      const back = f.inverse(out.value);
      ok(relativeDifference(back.value, s) <= 1e-10, "inverse returns the input");
      ok(Math.abs(back.logDet + out.logDet) <= 1e-12, "inverse log-det is minus the forward one");
      const swapped = invertDensityMap(f).forward(out.value);
      ok(Math.abs(swapped.logDet - back.logDet) === 0);
      ok(D.concatAll([coupling, step, coupling]).forward(s).logDet === out.logDet);
      ok(D.concatAll<S>([]).forward(s).value === s);
    }),
    { ...FC, numRuns: 6 },
  );
});
