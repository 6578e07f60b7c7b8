// The density targets: each log-density integrates to 1, and the sampler draws from it.
import { sampleTarget, targets } from "@hamiltonian/hgn/data";
import { ok } from "node:assert/strict";

/** The integral of exp(logDensity) over boxes of a grid on [-L, L]^2 with step h. */
const boxMass = (logDensity: (x: Float64Array) => number, box: readonly number[], h: number) => {
  const [x0, x1, y0, y1] = box;
  let mass = 0;
  const x = new Float64Array(2);
  for (let a = x0 + h / 2; a < x1; a += h) {
    for (let b = y0 + h / 2; b < y1; b += h) {
      x[0] = a;
      x[1] = b;
      mass += Math.exp(logDensity(x)) * h * h;
    }
  }
  return mass;
};

for (const name of ["mixture", "ring8", "moons", "rings"]) {
  Deno.test(`targets: ${name} integrates to 1 and its samples follow it`, () => {
    const t = targets[name];
    const h = name === "moons" ? 0.08 : 0.02;
    const total = boxMass(t.logDensity, [-4, 4, -4, 4], h);
    ok(Math.abs(total - 1) < 2e-3, `${name}: integral ${total}`);
    const n = 20000;
    const xs = sampleTarget(t, n, 11);
    for (const box of [[-4, 0, -4, 0], [0, 4, 0, 4], [-1, 1, -0.5, 1.5], [1, 2.5, -2.5, 0]]) {
      let inside = 0;
      for (let i = 0; i < n; i++) {
        const [a, b] = [xs[2 * i], xs[2 * i + 1]];
        if (a >= box[0] && a < box[1] && b >= box[2] && b < box[3]) inside++;
      }
      const mass = boxMass(t.logDensity, box, h);
      // binomial standard error at n = 20000 is at most 0.0035
      ok(Math.abs(inside / n - mass) < 0.015, `${name} box ${box}: ${inside / n} vs ${mass}`);
    }
  });
}

Deno.test("targets: the 6-D mixture's density is normalised along its components' axes", () => {
  const t = targets.mixture6d;
  const xs = sampleTarget(t, 4000, 3);
  // The mean log-density of samples is minus the entropy; for components this far apart (2.8
  // standard deviations between means... 5.7 sigma) it is -(d/2) log(2 pi e s^2) - log 6.
  let mean = 0;
  for (let i = 0; i < 4000; i++) mean += t.logDensity(xs.subarray(6 * i, 6 * i + 6)) / 4000;
  const expected = -3 * Math.log(2 * Math.PI * Math.E * 0.25) - Math.log(6);
  ok(Math.abs(mean - expected) < 0.1, `${mean} vs ${expected}`);
});
