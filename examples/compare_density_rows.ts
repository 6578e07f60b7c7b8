/**
 * Figure 10 with a row of your own: NHF with 4 leapfrog steps beside the paper's NHF (2 steps)
 * and RealNVP (2 layers), on the same target, budget and test points. Each row is a density run
 * in its own folder (rerunning skips finished rows and resumes interrupted ones), then one table
 * of test log-likelihoods and costs, `compare.md`, `compare.json` and `report.html`.
 *
 *   deno run --allow-read --allow-write=runs examples/compare_density_rows.ts [steps] [dir]
 *
 * @module
 */
import {
  COMPARE_ROWS,
  type CompareChoices,
  type CompareRow,
  compareRowFile,
  runCompareRow,
  writeComparison,
} from "@hamiltonian/hgn/runs";
import { useBackend } from "@hamiltonian/hgn/tensor";

if (import.meta.main) {
  const steps = Number(Deno.args[0] ?? 500);
  const out = Deno.args[1] ?? "runs/compare-moons";
  await useBackend("wasm");
  const choices: CompareChoices = { target: "moons", steps, run: { testSize: 500, threads: 1 } };
  const rows: CompareRow[] = [
    COMPARE_ROWS[1], // nhf-2
    COMPARE_ROWS[3], // realnvp-2
    { name: "nhf-4", model: "nhf", config: { leapfrogSteps: 4 } },
  ];
  for (const row of rows) {
    const done = await Deno.stat(compareRowFile(out, row)).then(() => true, () => false);
    if (!done) await runCompareRow({ choices, out, row, onMessage: console.log });
  }
  const { heading, table } = await writeComparison(out, choices, rows);
  console.log(`${heading}\n${table}`);
}
