// The example generator: the paper's sampling and noise, seeds per example, validation.
import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { deriveSeed, random } from "@hamiltonian/hgn/core";
import { datasetSpec, generator, PAPER_NOISE_STD } from "@hamiltonian/hgn/data";
import { systemByName } from "@hamiltonian/hgn/systems";

Deno.test("dataset: the paper's defaults (31 frames, dt 0.125, 32 px, noise per system)", () => {
  for (
    const [system, std] of [["mass-spring", 0.1], ["pendulum", 0.1], ["two-body", 0.05], [
      "three-body",
      0.2,
    ]] as const
  ) {
    const spec = datasetSpec({ system });
    strictEqual(spec.frames, 31);
    strictEqual(spec.dt, 0.125);
    strictEqual(spec.render.size, 32);
    strictEqual(spec.noise.std, std);
    strictEqual(PAPER_NOISE_STD[system], std);
    strictEqual(spec.noise.mode, "observation");
  }
});

Deno.test("dataset: example i starts from system.sample(random(deriveSeed(seed, split, i)))", () => {
  const spec = datasetSpec({ system: "mass-spring", seed: 9, steps: 2, noiseMode: "none" });
  const gen = generator(spec);
  for (const [split, s] of [["train", 0], ["test", 1]] as const) {
    for (const i of [0, 1, 17]) {
      const s0 = systemByName("mass-spring").sample(random(deriveSeed(9, s, i)));
      const ex = gen.example(split, i);
      deepStrictEqual([ex.states[0], ex.states[1]], [s0.q[0], s0.p[0]]);
      const r = Math.hypot(ex.states[0], ex.states[1]);
      ok(r >= 0.1 && r < 1.0, `radius ${r} outside the paper's U(0.1, 1.0)`);
    }
  }
});

Deno.test("dataset: examples do not depend on the order they are made in", () => {
  const spec = datasetSpec({ system: "three-body", seed: 4, steps: 5 });
  const a = generator(spec);
  const b = generator(spec);
  const forward = [0, 1, 2, 3].map((i) => a.example("train", i));
  const backward = [3, 2, 1, 0].map((i) => b.example("train", i)).reverse();
  forward.forEach((x, i) => deepStrictEqual(x, backward[i]));
  notDeepStrictEqual(forward[0].pixels, forward[1].pixels);
  notDeepStrictEqual(
    generator(datasetSpec({ system: "three-body", seed: 5, steps: 5 })).example("train", 0).pixels,
    forward[0].pixels,
  );
});

Deno.test("dataset: observation noise is independent N(0, std^2) on every coordinate of every frame", () => {
  const spec = datasetSpec({ system: "two-body", steps: 30 });
  const gen = generator(spec);
  let n = 0, sum = 0, sq = 0, lag = 0;
  for (let i = 0; i < 40; i++) {
    const ex = gen.example("train", i);
    let prev = 0;
    for (let k = 0; k < ex.states.length; k++) {
      const e = ex.observed[k] - ex.states[k];
      n++;
      sum += e;
      sq += e * e;
      lag += e * prev;
      prev = e;
    }
  }
  const mean = sum / n;
  const std = Math.sqrt(sq / n - mean * mean);
  ok(Math.abs(std - 0.05) < 0.05 * 0.05, `std ${std}, ${n} draws`);
  ok(Math.abs(mean) < 4 * 0.05 / Math.sqrt(n), `mean ${mean}`);
  ok(Math.abs(lag / n) < 4 * 0.05 ** 2 / Math.sqrt(n), "successive noise draws are correlated");
});

Deno.test("dataset: noise modes 'initial' and 'none' render the exact rollout", () => {
  const clean = generator(datasetSpec({ system: "pendulum", steps: 4, noiseMode: "none" })).example(
    "test",
    3,
  );
  deepStrictEqual(clean.observed, clean.states);
  const initial = generator(datasetSpec({ system: "pendulum", steps: 4, noiseMode: "initial" }))
    .example("test", 3);
  deepStrictEqual(initial.observed, initial.states);
  ok(initial.states[0] !== clean.states[0], "initial-state noise moved the start");
  ok(initial.errorEstimate <= 1e-9 && clean.errorEstimate <= 1e-9);
});

Deno.test("dataset: accuracy figures are recorded per example", () => {
  const ex = generator(datasetSpec({ system: "mass-spring" })).example("train", 0);
  ok(ex.exactError > 0 && ex.exactError < 1e-9);
  ok(ex.errorEstimate <= 1e-9 && ex.substeps >= 8 && ex.resampled === 0);
  ok(ex.energyDrift < 1e-9);
  ok(Number.isNaN(generator(datasetSpec({ system: "pendulum" })).example("train", 0).exactError));
});

Deno.test("dataset: bad settings are RangeErrors that say what is accepted", () => {
  throws(() => datasetSpec({ system: "spring" }), /unknown system 'spring'; accepted: mass-spring/);
  throws(
    () => datasetSpec({ system: "pendulum", size: 4 }),
    /size must be an integer in \[8, 512\]/,
  );
  throws(() => datasetSpec({ system: "pendulum", dt: -1 }), /dt must be a positive number/);
  throws(
    () => datasetSpec({ system: "pendulum", noiseStd: -0.1 }),
    /noise std must be a number >= 0/,
  );
  throws(() => datasetSpec({ system: "pendulum", seed: 1.5 }), /seed must be an integer/);
  throws(
    () => datasetSpec({ system: "pendulum", noiseMode: "all" as "none" }),
    /noise mode must be one of observation, initial, none/,
  );
  throws(() => datasetSpec({ system: "pendulum", tolerance: 0 }), /tolerance must be in \(0, 1\)/);
});
