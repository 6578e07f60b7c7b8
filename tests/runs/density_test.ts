// A density run's settings from a script: validation names each setting by its path; a folder
// that holds another kind of run is one line.
import { ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { E } from "../../lib/deps/fp.ts";
import {
  type DensitySettings,
  readDensitySettings,
  validateDensity,
} from "../../lib/runs/density.ts";
import { RunFolderError } from "../../lib/runs/fit.ts";
import { NHF_2D } from "@hamiltonian/hgn/models/nhf";

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
