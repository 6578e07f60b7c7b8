// Ground truth: agreement with the closed-form mass-spring, with a much finer reference, and
// energy conservation on every system.
import { ok, strictEqual, throws } from "node:assert/strict";
import { phase, random } from "@hamiltonian/hgn/core";
import { frameState, groundTruth } from "@hamiltonian/hgn/data";
import { massSpring, systemByName, systems } from "@hamiltonian/hgn/systems";

const CONFIG = { dt: 0.125, steps: 30, tolerance: 1e-9 };

Deno.test("ground truth: mass-spring agrees with the analytic solution within 1e-9 on every frame", () => {
  const ms = massSpring();
  let worst = 0;
  for (let seed = 0; seed < 50; seed++) {
    const s0 = ms.sample(random(seed));
    const gt = groundTruth(ms, s0, CONFIG);
    ok(gt.errorEstimate <= 1e-9);
    for (let t = 0; t < gt.frames; t++) {
      const want = ms.exact!(s0, t * CONFIG.dt);
      const got = frameState(gt.states, 1, t);
      worst = Math.max(worst, Math.abs(got.q[0] - want.q[0]), Math.abs(got.p[0] - want.p[0]));
    }
  }
  ok(worst < 1e-9, `worst error ${worst}`);
  ok(worst > 0, "the check compares two different computations");
});

Deno.test("ground truth: the error estimate bounds the error against a 16x finer reference", () => {
  for (const name of ["pendulum", "two-body", "three-body", "henon-heiles"]) {
    const sys = systemByName(name);
    for (let seed = 0; seed < 20; seed++) {
      const s0 = sys.sample(random(seed));
      const gt = groundTruth(sys, s0, CONFIG);
      // tolerance 1 accepts the first pair, so this returns exactly 16x the sub-steps.
      const ref = groundTruth(sys, s0, { ...CONFIG, tolerance: 1, substeps: 8 * gt.substeps });
      strictEqual(ref.substeps, 16 * gt.substeps);
      let err = 0;
      for (let i = 0; i < gt.states.length; i++) {
        err = Math.max(err, Math.abs(gt.states[i] - ref.states[i]));
      }
      ok(err < 1e-9, `${name} seed ${seed}: error ${err}`);
      ok(
        err <= 2 * gt.errorEstimate + 1e-13,
        `${name} seed ${seed}: estimate ${gt.errorEstimate} vs ${err}`,
      );
    }
  }
});

Deno.test("ground truth: energy is conserved on every built-in system", () => {
  for (const name of Object.keys(systems)) {
    const sys = systemByName(name);
    for (let seed = 0; seed < (name === "non-separable" ? 2 : 10); seed++) {
      const gt = groundTruth(sys, sys.sample(random(seed)), CONFIG);
      const h = sys.hamiltonian;
      const e0 = h.energy(frameState(gt.states, sys.dim, 0));
      for (let t = 1; t < gt.frames; t++) {
        const drift = Math.abs(h.energy(frameState(gt.states, sys.dim, t)) - e0);
        // a state error below 1e-9 moves H by at most |grad H| * 1e-9 per coordinate
        ok(drift < 1e-8 * (1 + Math.abs(e0)), `${name} seed ${seed} frame ${t}: drift ${drift}`);
      }
    }
  }
});

Deno.test("ground truth: too few sub-steps allowed is a RangeError, not a silent inaccuracy", () => {
  const ms = massSpring();
  throws(
    () =>
      groundTruth(ms, phase(Float64Array.of(1), Float64Array.of(0)), {
        ...CONFIG,
        tolerance: 1e-15,
        maxSubsteps: 16,
      }),
    /did not reach tolerance 1e-15 within 16 sub-steps/,
  );
});
