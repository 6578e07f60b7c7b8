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
    ok(await pathExists(join(out, "table.json")));
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
