// Figure 10 from a script: the comparison's rows share every choice but their own config, a row
// is a density run that resumes where a stop left it, a finished row is never recomputed, and the
// table is written from the rows' own evaluations.
import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  COMPARE_ROWS,
  type CompareChoices,
  type CompareRow,
  compareRowFile,
  compareRowSettings,
  readDensityEval,
  runCompareRow,
  RunFolderError,
  writeComparison,
} from "@hamiltonian/hgn/runs";
import { useBackend } from "@hamiltonian/hgn/tensor";
import { listCheckpoints } from "../../lib/io/checkpoint.ts";
import { inTempDir } from "../_temp.ts";

const choices: CompareChoices = {
  target: "ring8",
  steps: 3,
  hidden: 8,
  train: { batchSize: 16, seed: 5 },
  run: { testSize: 16, iwSamples: 2, backend: "cpu", threads: 1 },
};

Deno.test("compareRowSettings: the shared choices under each row's config; K for NHF rows only", () => {
  const [nhf1, , nhf3, nvp2] = COMPARE_ROWS.map((row) => compareRowSettings(choices, row));
  strictEqual(nhf1.model, "nhf");
  strictEqual((nhf1.config as { leapfrogSteps: number }).leapfrogSteps, 1);
  strictEqual((nhf3.config as { leapfrogSteps: number }).leapfrogSteps, 3);
  strictEqual((nvp2.config as { layers: number }).layers, 2);
  for (const s of [nhf1, nhf3, nvp2]) {
    strictEqual(s.data.target, "ring8");
    strictEqual(s.run.steps, 3);
    strictEqual(s.config.hidden, 8);
    strictEqual(s.train.seed, 5);
  }
  strictEqual(nhf1.run.iwSamples, 2);
  strictEqual(nvp2.run.iwSamples, 64); // (unused by an exact likelihood: the recipe's default)
  throws(
    () => compareRowSettings({ ...choices, train: { learningRate: -1 } }, COMPARE_ROWS[0]),
    /train\.learningRate must be > 0/,
  );
});

Deno.test("runCompareRow: a stopped row resumes to the budget; writeComparison tables the rows", async () => {
  await useBackend("cpu");
  await inTempDir(async (out) => {
    const rows: CompareRow[] = [COMPARE_ROWS[0], COMPARE_ROWS[3]];
    await rejects(writeComparison(out, choices, rows), RunFolderError);
    // stopped after its second update: a checkpoint, no evaluation
    let updates = 0;
    const stopped = await runCompareRow({
      choices,
      out,
      row: rows[0],
      shouldStop: () => (updates++ === 2 ? "stopped by the test" : undefined),
    });
    strictEqual(stopped.evaluation, undefined);
    strictEqual(stopped.fit.step, 2);
    ok((await listCheckpoints(join(out, rows[0].name, "checkpoints"))).length > 0);
    const resumed: string[] = [];
    const done = await runCompareRow({
      choices,
      out,
      row: rows[0],
      onMessage: (line) => resumed.push(line),
    });
    ok(resumed.some((line) => line.startsWith(`resuming ${join(out, rows[0].name)} at step 2`)));
    strictEqual(done.fit.step, 3);
    deepStrictEqual(await readDensityEval(join(out, rows[0].name)), done.evaluation);
    await rejects(writeComparison(out, choices, rows), /realnvp-2: the row is not finished/);
    const nvp = await runCompareRow({ choices, out, row: rows[1] });
    strictEqual(nvp.evaluation?.kind, "exact");
    strictEqual(done.evaluation?.kind, "importance-weighted bound, K = 2");
    const { heading, table } = await writeComparison(out, choices, rows);
    ok(heading.startsWith("NHF vs RealNVP on ring8, 3 iterations each"), heading);
    const lines = table.split("\n");
    strictEqual(lines.length, 4);
    ok(lines[2].startsWith(`| nhf-1 | ${done.evaluation?.testLogLikelihood.toFixed(4)} |`));
    ok(lines[3].startsWith(`| realnvp-2 | ${nvp.evaluation?.testLogLikelihood.toFixed(4)} |`));
    const json = JSON.parse(await Deno.readTextFile(join(out, "compare.json")));
    deepStrictEqual(json.map((r: { row: string }) => r.row), ["nhf-1", "realnvp-2"]);
    ok(await Deno.stat(compareRowFile(out, rows[1])));
  });
});

Deno.test("runCompareRow: a folder stopped before its first checkpoint starts over", async () => {
  await useBackend("cpu");
  await inTempDir(async (out) => {
    const row = COMPARE_ROWS[3];
    const first = await runCompareRow({ choices, out, row, shouldStop: () => "at once" });
    strictEqual(first.fit.step, 0);
    // as a process killed before its first save leaves it: config.json and metrics only
    await Deno.remove(join(out, row.name, "checkpoints"), { recursive: true });
    const again = await runCompareRow({ choices, out, row });
    strictEqual(again.fit.step, 3);
    ok(again.evaluation !== undefined);
  });
});
