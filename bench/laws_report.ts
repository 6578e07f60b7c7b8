// Prints, per integrator, the measured order slope (mass-spring, exact solution), the worst
// reversibility error and the worst |det J - 1| over every system it can step: the numbers the
// laws tests hold to their tolerances, shown rather than asserted.
//   deno run bench/laws_report.ts
import {
  canIntegrate,
  determinant,
  float64Space,
  flow,
  jacobian,
  power,
  random,
  rollout,
  stepOf,
} from "../mod.ts";
import { massSpring, nonSeparable, rk4, systems } from "../mod.ts";
import { integrators } from "../tests/laws/registry.ts";
import { logLogSlope, relativeDifference } from "@hamiltonian/hgn/laws";

const ms = massSpring();
const s0 = { q: Float64Array.of(0.7), p: Float64Array.of(-0.4) };
const T = 2;
const rowsOut: string[] = [];
rowsOut.push(
  "| integrator | declared order | slope (mass-spring) | slope (non-separable) | max reversibility error | max abs(det J - 1) |",
);
rowsOut.push("|---|---|---|---|---|---|");
const ns = nonSeparable();
const nsStart = { q: Float64Array.of(0.8), p: Float64Array.of(0.5) };
const endState = (integrator: (typeof integrators)[number], dt: number) => {
  const n = Math.round(T / dt);
  return rollout(stepOf(integrator, float64Space, ns.hamiltonian, dt), n)(nsStart)[n];
};
const nsTruth = endState(rk4, 1 / 8192);
for (const integrator of integrators) {
  const base = ({ 1: 0.05, 2: 0.1, 4: 0.25, 6: 0.25 } as Record<number, number>)[integrator.order];
  const dts = [base, base / 2, base / 4, base / 8];
  const errs = dts.map((dt) => {
    const n = Math.round(T / dt);
    return relativeDifference(
      rollout(stepOf(integrator, float64Space, ms.hamiltonian, dt), n)(s0)[n],
      ms.exact!(s0, T),
    );
  });
  const slope = logLogSlope(dts, errs);
  const nsSlope = integrator.needs === "general"
    ? logLogSlope(dts, dts.map((dt) => relativeDifference(endState(integrator, dt), nsTruth)))
      .toFixed(3)
    : "needs separable";
  let rev = 0;
  let det = 0;
  for (const make of Object.values(systems)) {
    const system = make();
    if (!canIntegrate(integrator, system.hamiltonian)) continue;
    for (let seed = 0; seed < 4; seed++) {
      const s = system.sample(random(seed));
      if (integrator.adjoint) {
        const f = power(flow(integrator, float64Space, system.hamiltonian)(0.05), 20);
        rev = Math.max(rev, relativeDifference(f.inverse(f.forward(s)), s));
      }
      const step = stepOf(integrator, float64Space, system.hamiltonian, 0.05);
      det = Math.max(det, Math.abs(determinant(jacobian((x) => rollout(step, 5)(x)[5], s)) - 1));
    }
  }
  rowsOut.push(
    `| ${integrator.name} | ${integrator.order} | ${slope.toFixed(3)} | ${nsSlope} | ${
      integrator.adjoint ? rev.toExponential(1) : "no adjoint"
    } | ${det.toExponential(1)} |`,
  );
}
console.log(rowsOut.join("\n"));
