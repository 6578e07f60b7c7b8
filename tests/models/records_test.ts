// The laws every model record keeps, run over each record of the registry (one case per family,
// tiny sizes): init is a pure function of the seed, an update leaves the tensor count flat, and
// a run stopped at a checkpoint and resumed ends bit for bit where the straight run ends.
import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  type BatchSource,
  disposeState,
  fit,
  frameBatches,
  frameWindows,
  initState,
  type Model,
  MODEL_RECORDS,
  stateRates,
  targetBatches,
} from "@hamiltonian/hgn/train";
import { datasetSpec, generatedReader, generator, targets } from "@hamiltonian/hgn/data";
import { hnnConfig } from "@hamiltonian/hgn/models/hnn";
import { pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
import { NHF_2D } from "@hamiltonian/hgn/models/nhf";
import { REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
import { flattenWithPaths, type Params, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { assertResumesBitForBit } from "./_resume.ts";
import { TINY } from "./hgn/_tiny.ts";
import { paramValues } from "../_params.ts";

await useBackend("cpu");

const reader = (system: string, steps: number, size: number, noiseMode?: "none") =>
  generatedReader(generator(datasetSpec({ system, steps, size, noiseMode })), {
    train: 16,
    test: 0,
  });

interface Case {
  readonly config: unknown;
  // deno-lint-ignore no-explicit-any
  readonly batches: () => BatchSource<any>;
}

/** One small case per record of the registry; a record without one fails the test below. */
const CASES: Record<string, Case> = {
  hgn: {
    config: { model: TINY },
    batches: () =>
      frameBatches(reader("pendulum", TINY.rolloutSteps, 32), {
        seed: 1,
        batchSize: 2,
        frames: TINY.rolloutSteps + 1,
      }),
  },
  pixelHnn: {
    config: { ...pixelHnnConfig("conv", 2), size: 8, encoderWidth: 4, decoderWidth: 4 },
    batches: () => frameWindows(reader("pendulum", 4, 8), { seed: 2, batchSize: 4 }, 3),
  },
  hnn: {
    config: { ...hnnConfig(1), hidden: 16 },
    batches: () => stateRates(reader("mass-spring", 8, 8, "none"), { seed: 3, batchSize: 16 }),
  },
  nhf: {
    config: { ...NHF_2D, hidden: 8 },
    batches: () => targetBatches(targets.mixture, { seed: 5, batchSize: 16 }),
  },
  realNvp: {
    config: { ...REALNVP_2D, hidden: 8 },
    batches: () => targetBatches(targets.moons, { seed: 2, batchSize: 16 }),
  },
};

const records = Object.entries(MODEL_RECORDS) as [string, Model<unknown, Params, unknown>][];

Deno.test("records: every record of the registry has a case here", () => {
  deepStrictEqual(records.map(([k]) => k).sort(), Object.keys(CASES).sort());
});

for (const [key, model] of records) {
  const c = CASES[key];
  if (!c) continue;

  Deno.test(`records: ${key}: init is a pure function of the seed`, async () => {
    const [a, b, other] = [
      model.init(c.config, 3),
      model.init(c.config, 3),
      model.init(c.config, 4),
    ];
    const [va, vb, vo] = [await paramValues(a), await paramValues(b), await paramValues(other)];
    deepStrictEqual(va, vb);
    strictEqual(vo.length, va.length);
    notDeepStrictEqual(vo, va);
    tf.dispose([a, b, other].flatMap((p) => flattenWithPaths(p).map(([, t]) => t)));
  });

  Deno.test(`records: ${key}: an update leaves the tensor count flat`, async () => {
    const state = initState(model, c.config, { learningRate: 1e-3, seed: 1 });
    const source = c.batches();
    await fit(state, source, { steps: 2 });
    const before = tf.memory().numTensors;
    await fit(state, source, { steps: 5 });
    strictEqual(state.step, 5);
    strictEqual(tf.memory().numTensors, before, `${key}: tensors after 3 more updates`);
    ok(flattenWithPaths(state.params).every(([, t]) => !t.isDisposed));
    disposeState(state);
  });

  Deno.test(`records: ${key}: resume is bit for bit`, () =>
    assertResumesBitForBit(model, c.config, { learningRate: 3e-3, seed: 1 }, c.batches, 8, 4));
}
