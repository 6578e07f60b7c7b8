// The model registry and the capabilities: every record's origin imports the record itself (what
// a gradient worker does), each record has the capabilities its family claims, and the
// capabilities keep their laws: a frame predictor reads no frame past the observed ones and is
// pure; a density estimator samples as a function of its seed and gives finite log-densities.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  estimatesDensity,
  type Model,
  MODEL_RECORDS,
  predictsFrames,
} from "@hamiltonian/hgn/train";
import { pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
import { NHF_2D } from "@hamiltonian/hgn/models/nhf";
import { REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import type { Params } from "@hamiltonian/hgn/tensor";
import { TINY } from "./hgn/_tiny.ts";

Deno.test("registry: each record's origin is where a worker imports that same record", async () => {
  for (const [key, record] of Object.entries(MODEL_RECORDS)) {
    ok(record.origin, `${key} has an origin`);
    strictEqual(record.origin.name, key);
    const imported = (await import(record.origin.module))[record.origin.name];
    strictEqual(imported, record, `${record.origin.module} exports ${key}`);
  }
});

Deno.test("registry: the capabilities of each family", () => {
  const records = Object.entries(MODEL_RECORDS) as [string, Model<unknown, Params, unknown>][];
  const frames = records.filter(([, r]) => predictsFrames(r));
  const density = records.filter(([, r]) => estimatesDensity(r));
  deepStrictEqual(frames.map(([k]) => k), ["hgn", "pixelHnn"]);
  deepStrictEqual(density.map(([k]) => k), ["nhf", "realNvp"]);
  strictEqual(MODEL_RECORDS.realNvp.exact, true);
  strictEqual(MODEL_RECORDS.nhf.exact, false);
});

const read = async (t: tf.Tensor) => Array.from(await t.data());

/** Equal tensors, or the first index where they differ (assert's diff of 30k numbers is too slow). */
const same = async (a: tf.Tensor, b: tf.Tensor, what: string) => {
  const [x, y] = [await read(a), await read(b)];
  const at = x.findIndex((v, i) => !Object.is(v, y[i]));
  ok(
    x.length === y.length && at === -1,
    `${what}: first difference at ${at}: ${x[at]} vs ${y[at]}`,
  );
};

/** Frames whose first `observed` are `seen` and the rest random (`seed`). */
const framesWith = (seen: tf.Tensor5D, total: number, seed: number): tf.Tensor5D =>
  tf.tidy(() => {
    const [B, n, S] = seen.shape;
    const rest = tf.randomUniform([B, total - n, S, S, 3], 0, 1, "float32", seed);
    return tf.concat([seen, rest], 1) as tf.Tensor5D;
  });

const frameLaws = async <C, P extends Params>(
  name: string,
  model: {
    init: (c: C, seed: number) => P;
    observedFrames: (c: C) => number;
    predictFrames: (c: C, p: P, f: tf.Tensor5D, steps: number) => {
      frames: tf.Tensor5D;
      energies: tf.Tensor2D;
    };
  },
  config: C,
  size: number,
) => {
  const params = model.init(config, 0);
  const n = model.observedFrames(config);
  const seen = tf.randomUniform([2, n, size, size, 3], 0, 1, "float32", 7) as tf.Tensor5D;
  const a = framesWith(seen, n + 3, 1);
  const b = framesWith(seen, n + 3, 2);
  const pa = model.predictFrames(config, params, a, 4);
  const pb = model.predictFrames(config, params, b, 4);
  const again = model.predictFrames(config, params, a, 4);
  deepStrictEqual(pa.frames.shape, [2, 5, size, size, 3], name);
  deepStrictEqual(pa.energies.shape, [2, 5], name);
  // the frames after the observed ones differ between a and b: the predictions must not
  await same(pa.frames, pb.frames, `${name} reads unobserved frames`);
  await same(pa.energies, pb.energies, `${name} reads unobserved frames`);
  await same(pa.frames, again.frames, `${name} is not pure`);
  // and it disposed nothing it was given
  ok(!a.isDisposed && !seen.isDisposed, name);
  tf.dispose([seen, a, b, pa.frames, pa.energies, pb.frames, pb.energies]);
  tf.dispose([again.frames, again.energies, ...Object.values(params as object)]);
};

Deno.test("frame predictors: see only their observed frames, pure, [B, steps + 1] out", async () => {
  await useBackend("cpu");
  await frameLaws("hgn", MODEL_RECORDS.hgn, { model: TINY }, 32);
  await frameLaws(
    "pixel hnn",
    MODEL_RECORDS.pixelHnn,
    { ...pixelHnnConfig("mlp", 2), size: 8, aeHidden: 16, hnnHidden: 8 },
    8,
  );
});

Deno.test("density estimators: samples are a function of the seed, log-densities finite", async () => {
  await useBackend("cpu");
  const cases = [
    ["nhf", MODEL_RECORDS.nhf, { ...NHF_2D, hidden: 8 }],
    ["realnvp", MODEL_RECORDS.realNvp, { ...REALNVP_2D, hidden: 8 }],
  ] as const;
  for (const [name, record, config] of cases) {
    // deno-lint-ignore no-explicit-any
    const r = record as any;
    const params = r.init(config, 0);
    const s1 = r.sample(config, params, 5, 3);
    const s2 = r.sample(config, params, 5, 3);
    const s3 = r.sample(config, params, 5, 4);
    deepStrictEqual(s1.shape, [5, 2], name);
    deepStrictEqual(await read(s1), await read(s2), name);
    ok((await read(s1)).some((x, i) => x !== (s3.dataSync() as Float32Array)[i]), name);
    const ll = r.logDensity(config, params, s1, { draws: 4, seed: 1 });
    deepStrictEqual(ll.shape, [5], name);
    ok((await read(ll)).every(Number.isFinite), name);
    tf.dispose([s1, s2, s3, ll]);
  }
});
