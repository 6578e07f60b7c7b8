// The ground truth's fast path: its allocation-free forces against the systems' own gradients and the generic core path.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { random } from "@hamiltonian/hgn/core";
import { fastForcesFor, groundTruth } from "@hamiltonian/hgn/data";
import { massSpring, pendulum, systemByName } from "@hamiltonian/hgn/systems";

const KERNEL_SYSTEMS = ["mass-spring", "pendulum", "two-body", "three-body", "henon-heiles"];

Deno.test("fast path: every built-in separable system has forces that match dK and dV bit for bit", () => {
  for (const name of KERNEL_SYSTEMS) {
    const sys = systemByName(name);
    const k = fastForcesFor(sys);
    ok(k, name);
    const rng = random(11);
    const out = new Float64Array(sys.dim);
    for (let trial = 0; trial < 50; trial++) {
      const x = Float64Array.from({ length: sys.dim }, () => rng.uniform(-2, 2));
      k.dV(x, out);
      deepStrictEqual(out, sys.hamiltonian.dHdq({ q: x, p: x }), `${name} dV`);
      k.dK(x, out);
      deepStrictEqual(out, sys.hamiltonian.dHdp({ q: x, p: x }), `${name} dK`);
    }
  }
});

Deno.test("fast path: it gives exactly the generic yoshida6(leapfrog) trajectory", () => {
  for (const name of KERNEL_SYSTEMS) {
    const sys = systemByName(name);
    for (let seed = 0; seed < 3; seed++) {
      const s0 = sys.sample(random(seed));
      const fast = groundTruth(sys, s0, { dt: 0.125, steps: 30 });
      const slow = groundTruth(sys, s0, { dt: 0.125, steps: 30, path: "generic" });
      strictEqual(fast.path, "fast");
      strictEqual(slow.path, "generic");
      strictEqual(fast.substeps, slow.substeps);
      deepStrictEqual(fast.states, slow.states, `${name} seed ${seed}`);
    }
  }
});

Deno.test("fast path: a system that shares a name but not a Hamiltonian gets none", () => {
  strictEqual(fastForcesFor({ ...pendulum(), hamiltonian: massSpring().hamiltonian }), undefined);
  strictEqual(fastForcesFor(pendulum({ g: 9.81 }))?.dim, 1); // other parameters: still its forces
  strictEqual(fastForcesFor(systemByName("non-separable")), undefined);
});
