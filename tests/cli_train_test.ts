// `cli.ts train` as a user runs it: a tiny model end to end, resume, Ctrl-C, bad input.
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "./_cli.ts";

const TINY_FLAGS = [
  "--backend",
  "cpu",
  "--batch-size",
  "2",
  "--rollout-steps",
  "2",
  "--input-frames",
  "2",
  "--state-channels",
  "2",
  "--encoder-width",
  "4",
  "--encoder-layers",
  "5",
  "--fpsi-width",
  "4",
  "--fpsi-layers",
  "2",
  "--hamiltonian-width",
  "4",
  "--hamiltonian-layers",
  "2",
  "--decoder-width",
  "4",
  "--test-size",
  "2",
  "--eval-steps",
  "3",
  "--log-every",
  "1",
];

Deno.test("cli train: a tiny run writes its run directory, and --resume continues it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hgn_run_" });
  try {
    const first = await runCli("train", ...TINY_FLAGS, "--steps", "2", "--out", dir);
    strictEqual(first.code, 0, first.stderr);
    for (
      const f of [
        "config.json",
        "metrics.jsonl",
        "eval.json",
        "report.html",
        "rollouts/forward.gif",
        "rollouts/strip.png",
        "checkpoints/step-0000002.ckpt",
      ]
    ) {
      ok((await Deno.stat(join(dir, f))).isFile, f);
    }
    ok(/improvement over static/.test(first.stdout));
    ok(/backward rollout retraces the forward one within/.test(first.stdout));
    strictEqual((await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n").length, 2);
    const ev = await runCli("eval", "--run", dir, "--sequences", "2", "--steps", "4");
    strictEqual(ev.code, 0, ev.stderr);
    const report = JSON.parse(await Deno.readTextFile(join(dir, "eval.json")));
    strictEqual(report.test.perStepMse.length, 5);
    ok(report.test.mse > 0 && report.test.staticMse > 0);
    const ro = await runCli("rollout", "--run", dir, "--index", "1", "--steps", "3");
    strictEqual(ro.code, 0, ro.stderr);
    ok(/backward retraces forward within/.test(ro.stdout));
    const noRun = await runCli("eval");
    strictEqual(noRun.code, 2);
    ok(/--run DIR is required/.test(noRun.stderr));
    const again = await runCli("train", ...TINY_FLAGS, "--steps", "2", "--out", dir);
    strictEqual(again.code, 2);
    ok(/already holds a run; continue it with --resume/.test(again.stderr));
    const changed = await runCli("train", "--resume", dir, "--lr", "0.5");
    strictEqual(changed.code, 2);
    ok(/--lr cannot change on --resume/.test(changed.stderr), changed.stderr);
    const resumed = await runCli("train", "--resume", dir, "--steps", "3");
    strictEqual(resumed.code, 0, resumed.stderr);
    ok(/resuming .* at step 2/.test(resumed.stdout));
    ok((await Deno.stat(join(dir, "checkpoints/step-0000003.ckpt"))).isFile);
    await Deno.writeFile(join(dir, "checkpoints/step-0000003.ckpt"), new Uint8Array(64));
    const damaged = await runCli("train", "--resume", dir, "--steps", "4");
    strictEqual(damaged.code, 2);
    ok(/step-0000003\.ckpt: not an HGN checkpoint/.test(damaged.stderr), damaged.stderr);
    strictEqual(damaged.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli train: Ctrl-C saves a checkpoint and says how to resume", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hgn_int_" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        fileURLToPath(new URL("../cli.ts", import.meta.url)),
        "train",
        ...TINY_FLAGS,
        "--steps",
        "100000",
        "--out",
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!/step 2\//.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    await child.stderr.cancel();
    strictEqual(status.code, 0);
    ok(/interrupted \(Ctrl-C\)/.test(out), out);
    ok(/resume with: deno run -A cli.ts train --resume/.test(out));
    const ckpts = [...Deno.readDirSync(join(dir, "checkpoints"))].map((e) => e.name);
    strictEqual(ckpts.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli train: bad settings are one line naming every problem", async () => {
  const r = await runCli(
    "train",
    "--size",
    "48",
    "--integrator",
    "verlet",
    "--backend",
    "tpu",
    "--rollout-start",
    "40",
    "--rollout-hold",
    "100",
  );
  strictEqual(r.code, 2);
  const line = r.stderr.trim();
  strictEqual(line.split("\n").length, 1);
  for (
    const want of [
      /size must be 32 or 64/,
      /unknown integrator 'verlet'/,
      /--backend must be one of auto, webgpu, wasm, cpu/,
      /--rollout-start must be an integer in \[1, --rollout-steps = 10\]/,
    ]
  ) {
    ok(want.test(line), line);
  }
  const resume = await runCli("train", "--resume", "/nonexistent/run");
  strictEqual(resume.code, 2);
  ok(/config.json not found: '\/nonexistent\/run' is not a run directory/.test(resume.stderr));
});
