// `cli.ts nhf` and `cli.ts realnvp` as a user runs them: a tiny run, resume, bad input.
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_cli.ts";

const TINY = [
  "--threads",
  "2",
  "--backend",
  "cpu",
  "--hidden",
  "8",
  "--test-size",
  "64",
  "--batch-size",
  "32",
];

for (const model of ["nhf", "realnvp"]) {
  Deno.test(`cli ${model}: a tiny run writes its folder, evaluates, and resumes`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `${model}_` });
    try {
      const extra = model === "nhf" ? ["--iw-samples", "4"] : [];
      const r = await runCli(
        model,
        ...TINY,
        ...extra,
        "--steps",
        "4",
        "--log-every",
        "1",
        "--out",
        dir,
      );
      strictEqual(r.code, 0, r.stderr);
      for (
        const f of [
          "config.json",
          "metrics.jsonl",
          "eval.json",
          "report.html",
          "pictures/kde.png",
          "pictures/target.png",
          "checkpoints/step-0000004.ckpt",
        ]
      ) {
        ok((await Deno.stat(join(dir, f))).isFile, f);
      }
      const evaluation = JSON.parse(await Deno.readTextFile(join(dir, "eval.json")));
      ok(
        Number.isFinite(evaluation.testLogLikelihood) &&
          evaluation.testLogLikelihood < evaluation.targetLogLikelihood + 1,
      );
      if (model === "nhf") ok((await Deno.stat(join(dir, "pictures/V1.png"))).isFile);
      const resumed = await runCli(model, "--resume", dir, "--steps", "6");
      strictEqual(resumed.code, 0, resumed.stderr);
      ok(/resuming .* at step 4/.test(resumed.stdout), resumed.stdout);
      const steps = (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n").map((
        l,
      ) => JSON.parse(l).step);
      strictEqual(steps.join(","), "1,2,3,4,5,6");
      const changed = await runCli(model, "--resume", dir, "--lr", "0.1");
      strictEqual(changed.code, 2);
      ok(/--lr cannot change on --resume/.test(changed.stderr), changed.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("cli nhf/realnvp: bad input is one line, exit 2", async () => {
  for (
    const [args, pattern] of [
      [["nhf", "--data", "spiral"], /unknown --data target 'spiral'; accepted: mixture/],
      [["nhf", "--layers", "3"], /--layers is not a flag of 'nhf'/],
      [["realnvp", "--leapfrog-steps", "3"], /--leapfrog-steps is not a flag of 'realnvp'/],
      [["nhf", "--prior", "cauchy"], /--prior must be soft-uniform or normal/],
      [["nhf", "--lr", "-1"], /--lr must be > 0/],
      [["realnvp", "--layers", "0"], /--layers must be an integer in \[1, 64\]/],
      [["nhf", "--resume", "/no/such/run"], /config\.json not found/],
      [["nhf", "--lr-decay", "2"], /--lr-decay must be in \[0, 1\]/],
      [["nhf", "--geco-lr", "0.1"], /--geco-lr needs --geco-tolerance/],
      [["nhf", "--geco-tolerance", "3", "--geco-init", "0"], /--geco-init must be > 0/],
      [["realnvp", "--geco-tolerance", "3"], /--geco-tolerance is not a flag of 'realnvp'/],
    ] as const
  ) {
    const r = await runCli(...args);
    strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
    ok(pattern.test(r.stderr), r.stderr);
  }
});

Deno.test("cli nhf --geco-tolerance: trains under the Lagrange multiplier, which moves, and resumes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nhf_geco_" });
  try {
    const args = ["--iw-samples", "2", "--log-every", "1", "--lr-decay", "0.1"];
    const geco = ["--geco-tolerance", "0", "--geco-init", "2", "--geco-lr", "0.1"];
    const r = await runCli("nhf", ...TINY, ...args, ...geco, "--steps", "3", "--out", dir);
    strictEqual(r.code, 0, r.stderr);
    const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
    strictEqual(config.config.geco.tolerance, 0);
    strictEqual(config.train.decay.final, 0.1);
    const lines = () =>
      Deno.readTextFile(join(dir, "metrics.jsonl")).then((t) =>
        t.trim().split("\n").map((l) => JSON.parse(l))
      );
    const first = await lines();
    // the constraint E[-log pi] > 0 is violated, so lambda ascends from its init
    ok(first.every((m) => m.priorCrossEntropy > 0), JSON.stringify(first));
    ok(Math.abs(first[0].lambda - 2) < 1e-5, JSON.stringify(first));
    ok(first[2].lambda > first[1].lambda && first[1].lambda > first[0].lambda);
    const resumed = await runCli("nhf", "--resume", dir, "--steps", "4");
    strictEqual(resumed.code, 0, resumed.stderr);
    ok((await lines())[3].lambda > first[2].lambda);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli nhf-compare: every row of figure 10 on one budget, a table, finished rows never recomputed", async () => {
  const out = await Deno.makeTempDir({ prefix: "nhf_compare_" });
  try {
    const args = [
      "nhf-compare",
      "--threads",
      "2",
      "--steps",
      "2",
      "--hidden",
      "8",
      "--test-size",
      "16",
      "--iw-samples",
      "2",
      "--backend",
      "cpu",
      "--out",
      out,
    ];
    const r = await runCli(...args);
    strictEqual(r.code, 0, r.stderr);
    const rows = JSON.parse(await Deno.readTextFile(join(out, "compare.json")));
    strictEqual(
      rows.map((x: { row: string }) => x.row).join(","),
      "nhf-1,nhf-2,nhf-3,realnvp-2,realnvp-3",
    );
    ok(rows.every((x: { testLogLikelihood: number }) => Number.isFinite(x.testLogLikelihood)));
    ok(
      /\| nhf-2 \| -?\d+\.\d+ \| importance-weighted bound, K = 2 \|/.test(
        await Deno.readTextFile(join(out, "compare.md")),
      ),
    );
    const before = (await Deno.stat(join(out, "nhf-1", "eval.json"))).mtime?.getTime();
    const again = await runCli(...args);
    strictEqual(again.code, 0, again.stderr);
    strictEqual((again.stdout.match(/is finished/g) ?? []).length, 5);
    strictEqual((await Deno.stat(join(out, "nhf-1", "eval.json"))).mtime?.getTime(), before);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
