// Small numeric helpers shared by the law tests.
import { type Phase, random } from "@hamiltonian/hgn/core";
import type { System } from "@hamiltonian/hgn/systems";

/** max |a - b| over q and p, relative to 1 + max |a|. */
export const relDiff = (a: Phase<Float64Array>, b: Phase<Float64Array>): number => {
  let diff = 0;
  let size = 0;
  for (const k of ["q", "p"] as const) {
    for (let i = 0; i < a[k].length; i++) {
      diff = Math.max(diff, Math.abs(a[k][i] - b[k][i]));
      size = Math.max(size, Math.abs(a[k][i]));
    }
  }
  return diff / (1 + size);
};

/** A state drawn by the system's own sampler from an integer seed. */
export const sampleState = (system: System, seed: number): Phase<Float64Array> =>
  system.sample(random(seed));

/** Least-squares slope of log(err) against log(dt). */
export const logLogSlope = (dts: readonly number[], errs: readonly number[]): number => {
  const xs = dts.map(Math.log);
  const ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return num / den;
};
