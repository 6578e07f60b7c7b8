/**
 * `cli.ts nhf-compare`: the paper's figure 10. NHF with 1, 2 and 3 leapfrog steps against
 * RealNVP with 2 and 3 coupling layers, on the same target, batch and iteration budget: each row
 * is an `nhf`/`realnvp` run in its own folder (a finished row is never recomputed, an interrupted
 * one resumes), then curves of the training objective over iterations and a table of test
 * log-likelihoods (NHF: importance-weighted bound; RealNVP: exact), costs per density evaluation
 * and per sample.
 *
 * @module
 */
import { join } from "node:path";
import { writeTextAtomic } from "../lib/io/atomic.ts";
import { listCheckpoints } from "../lib/io/checkpoint.ts";
import { lineChart, reportHtml } from "../lib/io/report.ts";
import { readMetrics } from "../lib/io/run.ts";
import { targets } from "../lib/data/targets.ts";
import { runDensity } from "./density.ts";
import { type DensityEval, readDensityEval } from "../lib/runs/density.ts";
import { intFlag, type Options, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary = "figure 10: NHF (1, 2, 3 leapfrog steps) vs RealNVP (2, 3 layers)";

/** The flags of the command. */
export const options = {
  data: { type: "string" },
  steps: { type: "string" },
  "batch-size": { type: "string" },
  lr: { type: "string" },
  "lr-decay": { type: "string" },
  seed: { type: "string" },
  hidden: { type: "string" },
  "test-size": { type: "string" },
  "iw-samples": { type: "string" },
  backend: { type: "string" },
  threads: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

const HELP = `usage: deno run --allow-read --allow-write=runs cli.ts nhf-compare [flags]
Figure 10: trains NHF with 1, 2, 3 leapfrog steps and RealNVP with 2, 3 layers on the same target
and budget, then writes compare.md, compare.json and report.html in --out. Rerunning skips
finished rows and resumes interrupted ones.
  --data TARGET (mixture) --steps N (1000) --batch-size N (256) --lr X (1e-3) --lr-decay X (1) --seed N
  --hidden N (128) --test-size N (2000) --iw-samples K (64) --backend B --threads N --out DIR`;

const ROWS = [
  { name: "nhf-1", model: "nhf", args: ["--leapfrog-steps", "1"] },
  { name: "nhf-2", model: "nhf", args: ["--leapfrog-steps", "2"] },
  { name: "nhf-3", model: "nhf", args: ["--leapfrog-steps", "3"] },
  { name: "realnvp-2", model: "realnvp", args: ["--layers", "2"] },
  { name: "realnvp-3", model: "realnvp", args: ["--layers", "3"] },
] as const;

/** Runs the command. */
export const run = async (argv: string[]): Promise<number> => {
  const flags = parseFlags(argv, options);
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const target = flags.data ?? "mixture";
  if (!Object.hasOwn(targets, target)) {
    throw new UsageError(
      `unknown --data target '${target}'; accepted: ${Object.keys(targets).join(", ")}`,
    );
  }
  const steps = intFlag("steps", flags.steps, 1000, 1, 1_000_000_000);
  const out = flags.out ?? join("runs", `nhf-compare-${target}-${steps}`);
  if (out.trim() === "") throw new UsageError("--out must not be empty");
  const shared = [
    ["--data", target],
    ["--steps", String(steps)],
    ["--batch-size", flags["batch-size"]],
    ["--lr", flags.lr],
    ["--lr-decay", flags["lr-decay"]],
    ["--seed", flags.seed],
    ["--hidden", flags.hidden],
    ["--test-size", flags["test-size"]],
    ["--backend", flags.backend],
    ["--threads", flags.threads],
  ].filter(([, v]) => v !== undefined).flat() as string[];
  const rows: (DensityEval & { readonly row: string })[] = [];
  const curves = [];
  for (const row of ROWS) {
    const dir = join(out, row.name);
    const done = await Deno.stat(join(dir, "eval.json")).then(() => true, () => false);
    if (!done) {
      const started = (await listCheckpoints(join(dir, "checkpoints"))).length > 0;
      const iw = row.model === "nhf" && flags["iw-samples"] !== undefined
        ? ["--iw-samples", flags["iw-samples"]]
        : [];
      console.log(`nhf-compare: ${row.name}${started ? " (resuming)" : ""}`);
      const code = await runDensity(
        row.model,
        started
          ? ["--resume", dir, "--steps", String(steps)]
          : [...shared, ...row.args, ...iw, "--out", dir],
      );
      if (code !== 0) return code;
    } else {
      console.log(`nhf-compare: ${row.name} is finished (${join(dir, "eval.json")})`);
    }
    rows.push({ row: row.name, ...await readDensityEval(dir) });
    const key = row.model === "nhf" ? "elbo" : "logLikelihood";
    curves.push({
      name: row.name,
      points: (await readMetrics(dir)).map((m) => [m.step, m[key] as number] as [number, number]),
    });
  }
  const table = [
    `| model | test log-likelihood | kind | gap to the target's own | ms per density evaluation | ms per sample |`,
    "|---|---|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.row} | ${r.testLogLikelihood.toFixed(4)} | ${r.kind} | ${r.gap.toFixed(4)} | ${
        r.msPerDensityEvaluation.toFixed(3)
      } | ${r.msPerSample.toFixed(4)} |`
    ),
  ].join("\n");
  const heading =
    `NHF vs RealNVP on ${target}, ${steps} iterations each (the target's own test log-likelihood: ${
      (rows[0].targetLogLikelihood as number).toFixed(4)
    })`;
  await writeTextAtomic(join(out, "compare.md"), `# ${heading}\n\n${table}\n`);
  await writeTextAtomic(join(out, "compare.json"), JSON.stringify(rows, null, 2) + "\n");
  await writeTextAtomic(
    join(out, "report.html"),
    reportHtml({
      title: heading,
      summary: rows.map((
        r,
      ) => [r.row, `${r.testLogLikelihood.toFixed(4)} (${r.kind})`]),
      charts: [
        lineChart("training objective (NHF: ELBO, RealNVP: log-likelihood)", curves, {
          xLabel: "iteration",
        }),
      ],
      images: ROWS.map((r) => [`${r.name}/pictures/kde.png`, `${r.name}: KDE of 1000 samples`]),
    }),
  );
  console.log(`${heading}\n${table}\noutputs: ${out} (compare.md, compare.json, report.html)`);
  return 0;
};
