// A density run's settings from a script: the recipe's defaults under a script's choices;
// validation names each setting by its path; a folder that holds another kind of run is one line.
import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import { E } from "../../lib/deps/fp.ts";
import {
  densityRunSettings,
  type DensitySettings,
  readDensitySettings,
  validateDensity,
} from "../../lib/runs/density.ts";
import { RunFolderError } from "../../lib/runs/fit.ts";
import { NHF_2D } from "@hamiltonian/hgn/models/nhf";
import { REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";

const base: DensitySettings = {
  version: 1,
  kind: "density",
  model: "nhf",
  config: NHF_2D,
  data: { target: "mixture" },
  train: { batchSize: 8, learningRate: 1e-3, seed: 0 },
  run: {
    steps: 2,
    minutes: 0,
    logEvery: 1,
    checkpointEvery: 1,
    keep: 1,
    testSize: 4,
    iwSamples: 2,
    backend: "cpu",
  },
};

Deno.test("validateDensity: valid defaults; each broken setting named by its path", () => {
  ok(E.isRight(validateDensity(base)));
  const broken: [string, DensitySettings][] = [
    ["data.target", { ...base, data: { target: "spiral" } }],
    ["train.learningRate", { ...base, train: { ...base.train, learningRate: -1 } }],
    ["train.decay.final", { ...base, train: { ...base.train, decay: { steps: 2, final: 2 } } }],
    ["run.backend", { ...base, run: { ...base.run, backend: "tpu" } }],
    ["config.dt", { ...base, config: { ...NHF_2D, dt: 0 } }],
    ["config.prior", { ...base, config: { ...NHF_2D, prior: "cauchy" as never } }],
  ];
  for (const [path, s] of broken) {
    const r = validateDensity(s);
    ok(E.isLeft(r) && r.left.some((m) => m.includes(path)), `${path}: ${JSON.stringify(r)}`);
  }
});

Deno.test("readDensitySettings: another model's run, or not a run, is one line naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "density_" });
  try {
    await rejects(readDensitySettings(dir, "nhf"), RunFolderError);
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(base));
    await rejects(
      readDensitySettings(dir, "realnvp"),
      (e) => e instanceof RunFolderError && /not a 'realnvp' run/.test(e.message),
    );
    ok((await readDensitySettings(dir, "nhf")).model === "nhf");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("densityRunSettings: figure 10's recipe, the target's dimension, a script's choices over both", () => {
  const nhf = densityRunSettings("nhf", { run: { threads: 1 } });
  deepStrictEqual(nhf, {
    version: 1,
    kind: "density",
    model: "nhf",
    config: NHF_2D,
    data: { target: "mixture" },
    train: { batchSize: 256, learningRate: 1e-3, seed: 0 },
    run: {
      steps: 1000,
      minutes: 0,
      logEvery: 10,
      checkpointEvery: 200,
      keep: 3,
      testSize: 2000,
      iwSamples: 64,
      backend: "auto",
      threads: 1,
    },
  });
  const nvp = densityRunSettings("realnvp", {
    target: "mixture6d",
    steps: 50,
    config: { layers: 4 },
    train: { lrDecay: 0.1 },
  });
  deepStrictEqual(nvp.config, { ...REALNVP_2D, dim: 6, layers: 4 });
  deepStrictEqual(nvp.train.decay, { steps: 50, final: 0.1 });
  const geco = densityRunSettings("nhf", { geco: { tolerance: -3 } }).config;
  deepStrictEqual("geco" in geco && geco.geco, { tolerance: -3, init: 1, learningRate: 1e-2 });
});

Deno.test("densityRunSettings: every problem in one RangeError, each naming its setting", () => {
  throws(
    () => densityRunSettings("nhf", { target: "spiral", train: { learningRate: 0 } }),
    (e: Error) =>
      e instanceof RangeError && /data\.target/.test(e.message) &&
      /train\.learningRate must be > 0/.test(e.message),
  );
  throws(
    () => densityRunSettings("realnvp", { geco: { tolerance: 1 } }),
    /config\.geco applies to NHF only/,
  );
  const backward = densityRunSettings("nhf", { config: { dt: -0.25 } }).config;
  strictEqual("dt" in backward && backward.dt, -0.25);
});
