// Float64 integrator throughput: `deno bench bench/integrators_bench.ts`. Each bench runs 1000
// steps of one integrator on the three-body system (the costliest paper system), so steps/s =
// 1000 / (time per iteration). Compare the rows: they run in the same process.
import {
  euler,
  float64Space,
  implicitLeapfrog,
  type Integrator,
  leapfrog,
  rk4,
  stepOf,
  suzuki4,
  symplecticEuler,
  yoshida4,
  yoshida6,
} from "../mod.ts";
import { random, threeBody } from "../mod.ts";

const system = threeBody();
const s0 = system.sample(random(1));
const STEPS = 1000;

const rows: Integrator[] = [
  euler,
  symplecticEuler,
  leapfrog,
  rk4,
  yoshida4(leapfrog),
  suzuki4(leapfrog),
  yoshida6(leapfrog),
  implicitLeapfrog,
];

for (const integrator of rows) {
  Deno.bench({
    name: `${integrator.name}: ${STEPS} steps, three-body`,
    group: "three-body",
    baseline: integrator === leapfrog,
    fn: () => {
      const step = stepOf(integrator, float64Space, system.hamiltonian, 0.01);
      let s = s0;
      for (let i = 0; i < STEPS; i++) s = step(s);
      if (!Number.isFinite(s.q[0])) throw new Error("diverged");
    },
  });
}
