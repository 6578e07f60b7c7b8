// The paper's table from a script: an HGN cell's settings are its row over the small preset on
// the table's recipe; a cell stopped by the caller keeps its checkpoint and no scores; run again,
// it resumes, is scored by the one scorer, and assembles into the table.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  assembleTable,
  cellFile,
  claimTable,
  hgnCellSettings,
  recipeChoices,
  runTableCell,
  TableFolderError,
  type TableSettings,
} from "../../lib/runs/table.ts";
import { useBackend } from "@hamiltonian/hgn/tensor";
import { pathExists } from "../../lib/io/atomic.ts";
import { datasetSpec, generator } from "../../lib/data/dataset.ts";
import { generatedReader } from "../../lib/data/reader.ts";

/** float64, by hand: the mean over sequences of the MSE of predicting each pixel's mean over time */
const meanFrameMse = async (s: TableSettings, system: string): Promise<number> => {
  const reader = generatedReader(
    generator(
      datasetSpec({ system, seed: s.dataSeed, steps: 30, size: 32, noiseMode: s.noiseMode }),
    ),
    { train: s.trainSize, test: s.evalSize },
  );
  let total = 0;
  for (let i = 0; i < s.evalSize; i++) {
    const px = (await reader.batch("test", [i])).pixels;
    const frame = 32 * 32 * 3;
    let sq = 0;
    for (let p = 0; p < frame; p++) {
      let mean = 0;
      for (let t = 0; t < 31; t++) mean += px[t * frame + p] / 255 / 31;
      for (let t = 0; t < 31; t++) sq += (px[t * frame + p] / 255 - mean) ** 2;
    }
    total += sq / (31 * frame) / s.evalSize;
  }
  return total;
};

const settings: TableSettings = {
  version: 1,
  kind: "table",
  protocol: "5-frame",
  recipe: "30-step",
  budget: 900,
  evalSize: 2,
  trainSize: 64,
  dataSeed: 0,
  seed: 0,
  noiseMode: "initial",
  threads: 1,
  klWarmup: 1 / 3,
};

Deno.test("hgnCellSettings: each row over the small preset, the recipe in shares of the budget", () => {
  const leapfrog = hgnCellSettings(settings, "pendulum", "hgn-leapfrog", "wasm");
  strictEqual(leapfrog.objective.model.deterministic, false);
  strictEqual(leapfrog.objective.model.inputFrames, 5);
  strictEqual(leapfrog.objective.model.rolloutSteps, 30);
  deepStrictEqual(leapfrog.objective.curriculum, { from: 10, hold: 375, grow: 150 });
  deepStrictEqual(leapfrog.objective.klWarmup, { hold: 300, grow: 300 });
  deepStrictEqual(leapfrog.objective.consistency, { weight: 1e-4, windows: 2, start: 375 });
  strictEqual(leapfrog.run.extrapolateSteps, 0);
  const determ = hgnCellSettings(settings, "pendulum", "hgn-determ", "wasm");
  strictEqual(determ.objective.klWarmup, undefined);
  strictEqual(determ.geco, undefined);
  strictEqual(
    hgnCellSettings(settings, "two-body", "hgn-euler", "wasm").objective.model.integrator,
    "euler",
  );
  strictEqual(
    hgnCellSettings(settings, "two-body", "hgn-no-fpsi", "wasm").objective.model.fpsi,
    false,
  );
  // the autoencoding protocol rolls out the 30 steps it scores, whatever the recipe
  strictEqual(recipeChoices("10-step", "autoencode", 900).rolloutSteps, 30);
  strictEqual(recipeChoices("10-step", "5-frame", 900).rolloutSteps, 10);
});

Deno.test("runTableCell: a cell stopped by the caller keeps its checkpoint and no scores; run again, it resumes and is scored", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir({ prefix: "table_lib_" });
  try {
    const tiny = { ...settings, budget: 4 };
    await claimTable(tiny, out);
    const cell = {
      settings: tiny,
      out,
      system: "pendulum",
      model: "hnn",
      backend: "wasm",
    } as const;
    let updates = 0;
    const stopped = await runTableCell({
      ...cell,
      shouldStop: () => (updates === 2 ? "enough" : undefined),
      onProgress: () => void updates++,
    });
    deepStrictEqual(stopped.fit.stop, { kind: "caller", why: "enough" });
    strictEqual(stopped.result, undefined);
    strictEqual(await pathExists(cellFile(out, "pendulum", "hnn")), false);
    const messages: string[] = [];
    const done = await runTableCell({ ...cell, onMessage: (m) => void messages.push(m) });
    ok(messages.some((m) => /resuming .* at step 2/.test(m)), messages.join("\n"));
    strictEqual(done.fit.step, 4);
    strictEqual(done.result!.splits.test.perStepMse.length, 31);
    deepStrictEqual(
      JSON.parse(await Deno.readTextFile(cellFile(out, "pendulum", "hnn"))),
      done.result,
    );
    const md = await assembleTable(tiny, out);
    ok(/1 of 24 cells present/.test(md), md);
    // the static row: the mean frame, scored by the table's scorer, against float64 by hand
    ok(/\| static \(mean frame\) \| – \| \d+\.\d\d ± /.test(md), md);
    ok(/\| HNN \| – \| \d+\.\d\dx \|/.test(md), md);
    const table = JSON.parse(await Deno.readTextFile(join(out, "table.json")));
    deepStrictEqual(table.static.map((x: { system: string }) => x.system), ["pendulum"]);
    const expected = await meanFrameMse(tiny, "pendulum");
    const got = table.static[0].splits.test.mse.mean;
    // float32 sums over 3072 x 31 pixels per sequence: a few ulps of 1.2e-7 each, so 1e-5 relative
    ok(Math.abs(got - expected) <= 1e-5 * expected, `${got} vs ${expected}`);
    // a folder holds one table
    let refused: unknown;
    await claimTable({ ...tiny, budget: 5 }, out).catch((e) => (refused = e));
    ok(
      refused instanceof TableFolderError &&
        /holds a table with budget 4, not 5/.test(refused.message),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
