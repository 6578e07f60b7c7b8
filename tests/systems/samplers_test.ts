import { float64Space, leapfrog, random, rollout, stepOf, yoshida6 } from "@hamiltonian/hgn/core";
import {
  massSpring,
  nBody,
  pendulum,
  systemByName,
  systems,
  threeBody,
  twoBody,
} from "@hamiltonian/hgn/systems";
import { ok, strictEqual, throws } from "node:assert/strict";

Deno.test("samplers: mass-spring and pendulum states lie on circles of radius in the paper's range", () => {
  for (const [system, [a, b]] of [[massSpring(), [0.1, 1.0]], [pendulum(), [1.3, 2.3]]] as const) {
    for (let seed = 0; seed < 200; seed++) {
      const s = system.sample(random(seed));
      const r = Math.hypot(s.q[0], s.p[0]);
      ok(r >= a && r < b, `${system.name}: r = ${r}`);
    }
  }
});

Deno.test("samplers: n-body starts have zero total momentum, bodies on a circle of radius r in range", () => {
  for (const [system, [a, b]] of [[twoBody(), [0.5, 1.5]], [threeBody(), [0.9, 1.2]]] as const) {
    for (let seed = 0; seed < 100; seed++) {
      const s = system.sample(random(seed));
      const n = system.bodies;
      const radii = Array.from({ length: n }, (_, i) => Math.hypot(s.q[2 * i], s.q[2 * i + 1]));
      ok(radii.every((r) => Math.abs(r - radii[0]) < 1e-12 && r >= a && r < b));
      for (let d = 0; d < 2; d++) {
        let total = 0;
        for (let i = 0; i < n; i++) total += s.p[2 * i + d];
        ok(Math.abs(total) < 1e-12);
      }
      ok(system.hamiltonian.energy(s) < 0, "bound");
    }
  }
});

Deno.test("samplers: without velocity noise the n-body start is an exact circular orbit", () => {
  for (const n of [2, 3, 5]) {
    const system = nBody({ n, radius: [1, 1.0000001], velocityNoise: 0 });
    const s0 = system.sample(random(4));
    const traj = rollout(stepOf(yoshida6(leapfrog), float64Space, system.hamiltonian, 0.01), 300)(
      s0,
    );
    for (const s of traj) {
      for (let i = 0; i < n; i++) ok(Math.abs(Math.hypot(s.q[2 * i], s.q[2 * i + 1]) - 1) < 1e-6);
    }
  }
});

Deno.test("systems: registry names, parameters as the paper's, and a clear error for unknown names", () => {
  strictEqual(Object.keys(systems).length, 6);
  const ms = systemByName("mass-spring");
  ok(ms.params.k === 2 && ms.params.m === 0.5);
  const pd = systemByName("pendulum");
  ok(pd.params.m === 0.5 && pd.params.g === 3 && pd.params.l === 1);
  ok(twoBody().params.m === 1 && twoBody().params.g === 1);
  throws(
    () => systemByName("three-bodies"),
    /unknown system 'three-bodies'; accepted: mass-spring, pendulum/,
  );
  throws(() => nBody({ n: 1, radius: [1, 2] }), RangeError);
});

Deno.test("systems: mass-spring exact solution agrees with a fine yoshida6 rollout", () => {
  const ms = massSpring();
  const s0 = ms.sample(random(8));
  const traj = rollout(stepOf(yoshida6(leapfrog), float64Space, ms.hamiltonian, 0.01), 300)(s0);
  const exact = ms.exact!(s0, 3);
  ok(
    Math.abs(traj[300].q[0] - exact.q[0]) < 1e-10 && Math.abs(traj[300].p[0] - exact.p[0]) < 1e-10,
  );
});
