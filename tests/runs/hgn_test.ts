// An HGN run's files and data, apart from training (which tests/cli_train_test.ts and
// examples_test.ts run end to end): config.json reads back as the settings written, a wrong
// version or an invalid setting is refused naming the file; the data is generated long enough for
// the unroll asked for, and a dataset folder that does not fit the settings is refused with every
// mismatch named at once.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  DatasetMismatchError,
  evalFile,
  hgnRunSettings,
  openReader,
  readSettings,
  RunFolderError,
} from "@hamiltonian/hgn/runs";
import { datasetSpec } from "@hamiltonian/hgn/data";
import { writeDataset } from "@hamiltonian/hgn/io";
import { inTempDir } from "../_temp.ts";

const settings = hgnRunSettings({ system: "pendulum", steps: 20, run: { testSize: 3 } });
const writeConfig = (dir: string, value: unknown) =>
  Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(value));

Deno.test("runs/hgn: config.json reads back as written; a wrong version or setting is refused", () =>
  inTempDir(async (dir) => {
    await writeConfig(dir, settings);
    deepStrictEqual(await readSettings(dir), settings);
    await writeConfig(dir, { ...settings, version: 999 });
    await rejects(
      readSettings(dir),
      (e: Error) =>
        e instanceof RunFolderError && e.message.includes(join(dir, "config.json")) &&
        /version 999; this version reads \d+/.test(e.message),
    );
    await writeConfig(dir, { ...settings, train: { ...settings.train, learningRate: -1 } });
    await rejects(
      readSettings(dir),
      (e: Error) =>
        e instanceof RunFolderError && e.message.includes("config.json") &&
        e.message.includes("train.learningRate must be > 0, got -1"),
    );
    await rejects(readSettings(join(dir, "missing")), /not a run directory/);
  }));

Deno.test("runs/hgn: generated data has the run's counts and frames enough for the unroll", async () => {
  const reader = await openReader(settings);
  strictEqual(reader.spec.system, "pendulum");
  strictEqual(reader.spec.frames, 31);
  strictEqual(reader.shardSizes("test").reduce((a, b) => a + b, 0), 3);
  strictEqual(
    reader.shardSizes("train").reduce((a, b) => a + b, 0),
    settings.train.trainSize,
  );
  // a 60-step evaluation: sequences of 61 frames
  strictEqual((await openReader(settings, 60)).spec.frames, 61);
  strictEqual(evalFile(settings, settings.run.evalSteps), "eval.json");
  strictEqual(evalFile(settings, 60), "eval-60.json");
});

Deno.test("runs/hgn: a dataset folder that does not fit the run is refused, every mismatch named", () =>
  inTempDir(async (dir) => {
    const out = join(dir, "data");
    const spec = datasetSpec({
      system: "pendulum",
      seed: settings.data.seed,
      steps: 20,
      noiseMode: settings.data.noiseMode,
    });
    await writeDataset({ out, spec, train: 8, test: 2 });
    const run = hgnRunSettings({
      system: "pendulum",
      steps: 20,
      data: { dir: out, noiseMode: "none" },
      train: { trainSize: 9 },
      run: { testSize: 3 },
    });
    await rejects(openReader(run), (e: Error) => {
      ok(e instanceof DatasetMismatchError, String(e));
      for (
        const part of [
          `dataset ${out} does not fit`,
          `it has noise mode ${settings.data.noiseMode}, the run none`,
          "its sequences have 21 frames, the run needs 31",
          "it has 8 training sequences, the run 9",
          "it has 2 test sequences, the run evaluates 3",
        ]
      ) ok(e.message.includes(part), `missing "${part}" in: ${e.message}`);
      return true;
    });
    // one that fits is read
    const fits = hgnRunSettings({
      system: "pendulum",
      steps: 20,
      model: { rolloutSteps: 20 },
      data: { dir: out },
      train: { trainSize: 8 },
      run: { testSize: 2, evalSteps: 20, extrapolateSteps: 0 },
    });
    strictEqual((await openReader(fits)).spec.frames, 21);
  }));
