// System identification: the polynomial Hamiltonian's gradients are its energy's; identify
// recovers a known Hamiltonian's coefficients (up to leapfrog's own O((omega dt)^2) bias), is
// deterministic for a seed, reports every iteration, and a diverging run is an error, not a result.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { random } from "@hamiltonian/hgn/core";
import { massSpring } from "@hamiltonian/hgn/systems";
import {
  IdentificationDivergedError,
  identify,
  type IdentifyProgress,
  polynomialHamiltonian,
} from "@hamiltonian/hgn/train";

Deno.test("identify: a polynomial Hamiltonian's dK and dV are its energy's derivatives", () => {
  const h = polynomialHamiltonian([0.5, -0.2, 0.03], [1.5, 0.1]);
  const r = random(3);
  for (let c = 0; c < 20; c++) {
    const q = Float64Array.from({ length: 3 }, () => r.uniform(-1.5, 1.5));
    const p = Float64Array.from({ length: 3 }, () => r.uniform(-1.5, 1.5));
    const dq = h.dV(q);
    const dp = h.dK(p);
    for (let i = 0; i < 3; i++) {
      const e = 1e-6;
      const at = (x: Float64Array, d: number) => x.map((v, j) => (j === i ? v + d : v));
      const nq = (h.potential(at(q, e)) - h.potential(at(q, -e))) / (2 * e);
      const np = (h.kinetic(at(p, e)) - h.kinetic(at(p, -e))) / (2 * e);
      ok(Math.abs(dq[i] - nq) < 1e-7 && Math.abs(dp[i] - np) < 1e-7, `coordinate ${i}`);
    }
    const s = { q, p };
    strictEqual(h.energy(s), h.kinetic(p) + h.potential(q));
  }
});

const config = {
  trajectories: 8,
  steps: 10,
  dt: 0.1,
  degree: 1,
  iterations: 500,
  learningRate: 0.05,
  seed: 1,
};

Deno.test("identify: recovers the mass-spring's H = p^2 / 2m + k q^2 / 2, the same for a seed", () => {
  const system = massSpring({ k: 2, m: 0.5 }); // H = p^2 + q^2
  const seen: IdentifyProgress[] = [];
  const out = identify(system, config, (p) => seen.push(p));
  // leapfrog's map at omega dt = 0.2 is the exact flow only of a nearby quadratic Hamiltonian, a
  // relative (omega dt)^2 / 6 = 6.7e-3 away (it lands at 0.99335 and 1.00335, its loss 1e-26)
  ok(Math.abs(out.kinetic[0] - 1) < 1e-2, `p^2 coefficient ${out.kinetic[0]}`);
  ok(Math.abs(out.potential[0] - 1) < 1e-2, `q^2 coefficient ${out.potential[0]}`);
  ok(out.finalLoss < out.initialLoss * 1e-4, `${out.initialLoss} -> ${out.finalLoss}`);
  strictEqual(seen.length, config.iterations);
  deepStrictEqual(seen.map((p) => p.iteration), seen.map((_, i) => i + 1));
  strictEqual(seen.at(-1)!.loss, out.finalLoss);
  const again = identify(system, config);
  deepStrictEqual([again.kinetic, again.potential], [out.kinetic, out.potential]);
  const other = identify(system, { ...config, seed: 2, iterations: 10 });
  ok(other.initialLoss !== out.initialLoss, "another seed, other data and start");
});

Deno.test("identify: a learning rate that diverges is an IdentificationDivergedError", () => {
  throws(
    () => identify(massSpring(), { ...config, degree: 3, learningRate: 50, iterations: 200 }),
    (e: Error) =>
      e instanceof IdentificationDivergedError && /diverged at iteration \d+/.test(e.message),
  );
});
