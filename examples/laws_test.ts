// The README's law check of a flow of your own: the laws of @hamiltonian/hgn/laws in deno test.
import {
  assertLaws,
  convergenceOrder,
  energyBound,
  reversibility,
  symplecticity,
  volumePreservation,
} from "@hamiltonian/hgn/laws";
import { float64Space, flow, leapfrog, power, stepOf } from "@hamiltonian/hgn/core";
import { pendulum } from "@hamiltonian/hgn/systems";

Deno.test("my flow keeps the laws", () => {
  const { hamiltonian: h, sample } = pendulum();
  const block = power(flow(leapfrog, float64Space, h)(0.1), 10);
  assertLaws(
    reversibility(block, { sample }), // inverse(forward(s)) = s, 1e-12
    volumePreservation(block.forward, { sample }), // |det J - 1| <= 1e-7
    symplecticity(block.forward, { sample }), // J^T Omega J = Omega
    convergenceOrder(leapfrog, h, { s0: { q: Float64Array.of(1.2), p: Float64Array.of(0.9) } }),
    energyBound(stepOf(leapfrog, float64Space, h, 0.1), h, { sample, cases: 2 }),
  );
});
