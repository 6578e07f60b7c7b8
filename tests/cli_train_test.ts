// `cli.ts train` as a user runs it: a tiny model end to end, resume, Ctrl-C, bad input.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { interruptCli, runCli, runCliIn, TINY_TRAIN as TINY_FLAGS } from "./_cli.ts";
import { settingsFromFlags } from "../cli/hgn_settings.ts";

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
    // the deterministic variant has no prior: no prior samples (they would be noise)
    await Deno.stat(join(dir, "rollouts/prior-0.gif")).then(
      () => ok(false, "prior samples of a deterministic model"),
      (e) => ok(e instanceof Deno.errors.NotFound),
    );
    ok(/improvement over static/.test(first.stdout));
    // the extrapolation (2 x --eval-steps by default) on sequences of as many frames
    const extra = JSON.parse(await Deno.readTextFile(join(dir, "eval-6.json")));
    strictEqual(extra.test.perStepMse.length, 7);
    strictEqual(extra.test.staticPerStepMse.length, 7);
    ok(/extrapolating 6 steps on 2 train and test sequences of 7 frames/.test(first.stdout));
    ok(/backward rollout retraces the forward one within/.test(first.stdout));
    strictEqual((await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n").length, 2);
    const ev = await runCli("eval", "--run", dir, "--sequences", "2", "--steps", "4");
    strictEqual(ev.code, 0, ev.stderr);
    // another length than the run's --eval-steps 3 goes beside its eval.json, not over it
    const report = JSON.parse(await Deno.readTextFile(join(dir, "eval-4.json")));
    strictEqual(report.test.perStepMse.length, 5);
    const own = JSON.parse(await Deno.readTextFile(join(dir, "eval.json")));
    strictEqual(own.test.perStepMse.length, 4);
    ok(report.test.mse > 0 && report.test.staticMse > 0);
    const ro = await runCli("rollout", "--run", dir, "--index", "1", "--steps", "3");
    strictEqual(ro.code, 0, ro.stderr);
    ok(/backward retraces forward within/.test(ro.stdout));
    const noRun = await runCli("eval");
    strictEqual(noRun.code, 2);
    ok(/--run DIR is required/.test(noRun.stderr));
    const again = await runCli("train", ...TINY_FLAGS, "--steps", "2", "--out", dir);
    strictEqual(again.code, 2);
    ok(/already holds a run; continue it with --resume/.test(again.stderr), again.stderr);
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
    ok(/step-0000003\.ckpt: not a checkpoint of this library/.test(damaged.stderr), damaged.stderr);
    strictEqual(damaged.stderr.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [signal, code, said] of [["SIGINT", 130, /interrupted \(Ctrl-C\)/], [
    "SIGTERM",
    143,
    /terminated \(SIGTERM\)/,
  ]] as const
) {
  Deno.test(`cli train: ${signal} saves a checkpoint, says how to resume and exits ${code}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "hgn int " });
    try {
      const r = await interruptCli(
        signal,
        /step 2\//,
        "train",
        ...TINY_FLAGS,
        "--steps",
        "100000",
        "--out",
        dir,
      );
      strictEqual(r.code, code, r.stdout);
      ok(said.test(r.stdout), r.stdout);
      // the path has a space: the hint is shell-quoted
      ok(
        r.stdout.includes(
          `resume with: deno run --allow-read --allow-write='${dir}' --allow-sys=systemMemoryInfo cli.ts train --resume '${dir}'`,
        ),
        r.stdout,
      );
      const ckpts = [...Deno.readDirSync(join(dir, "checkpoints"))].map((e) => e.name);
      strictEqual(ckpts.length, 1);
      const resumed = await runCli(
        "train",
        "--resume",
        dir,
        "--steps",
        String(Number(ckpts[0].slice(5, 12)) + 1),
      );
      strictEqual(resumed.code, 0, resumed.stderr);
      const steps = (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n").map((
        l,
      ) => JSON.parse(l).step);
      strictEqual(new Set(steps).size, steps.length, `no duplicate metrics lines: ${steps}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("cli train: --threads 1 and 2 agree to float32 rounding; 2 is bit for bit, also across --resume", async () => {
  const dirs = await Promise.all([0, 1, 2].map(() => Deno.makeTempDir({ prefix: "hgn_threads_" })));
  const losses = async (dir: string) =>
    (await Deno.readTextFile(join(dir, "metrics.jsonl"))).trim().split("\n").map((l) =>
      JSON.parse(l).loss as number
    );
  try {
    // a constant rate: a run started with --steps 2 would otherwise decay over 2 updates
    const flags = [...TINY_FLAGS, "--batch-size", "4", "--eval-steps", "2", "--lr-decay", "1"];
    const one = await runCli("train", ...flags, "--steps", "3", "--threads", "1", "--out", dirs[0]);
    strictEqual(one.code, 0, one.stderr);
    ok(!/gradient workers/.test(one.stdout), one.stdout);
    const two = await runCli("train", ...flags, "--steps", "3", "--threads", "2", "--out", dirs[1]);
    strictEqual(two.code, 0, two.stderr);
    ok(/train: 2 gradient workers \(cpu\)/.test(two.stdout), two.stdout);
    const [a, b] = [await losses(dirs[0]), await losses(dirs[1])];
    a.forEach((x, i) =>
      ok(Math.abs(x - b[i]) <= 1e-5 * Math.abs(x), `step ${i + 1}: ${x} vs ${b[i]}`)
    );
    // the same run in two invocations, stopped after 2 updates and resumed with the same threads
    const half = await runCli(
      "train",
      ...flags,
      "--steps",
      "2",
      "--threads",
      "2",
      "--out",
      dirs[2],
    );
    strictEqual(half.code, 0, half.stderr);
    const rest = await runCli("train", "--resume", dirs[2], "--steps", "3", "--threads", "2");
    strictEqual(rest.code, 0, rest.stderr);
    deepStrictEqual(await losses(dirs[2]), b);
    const bad = await runCli("train", ...flags, "--threads", "0", "--out", dirs[2] + "-x");
    strictEqual(bad.code, 2);
    ok(/--threads must be an integer in \[1, 256\]/.test(bad.stderr), bad.stderr);
  } finally {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("cli train: two runs started at the same moment without --out get separate folders", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "hgn_cwd_" });
  try {
    const [a, b] = await Promise.all(
      [1, 2].map(() => runCliIn(cwd, "train", ...TINY_FLAGS, "--steps", "1")),
    );
    strictEqual(a.code, 0, a.stderr);
    strictEqual(b.code, 0, b.stderr);
    const runs = [...Deno.readDirSync(join(cwd, "runs"))].map((e) => e.name);
    strictEqual(runs.length, 2, `${runs}`);
    for (const r of runs) {
      const lines = (await Deno.readTextFile(join(cwd, "runs", r, "metrics.jsonl"))).trim().split(
        "\n",
      );
      strictEqual(lines.length, 1, r);
    }
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("cli train: a NaN stops the run; only finite states are checkpointed; eval refuses a non-finite model", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hgn_nan_" });
  try {
    const r = await runCli("train", ...TINY_FLAGS, "--steps", "30", "--lr", "1e30", "--out", dir);
    strictEqual(r.code, 2, r.stdout + r.stderr);
    ok(/became .* the update was not applied; last good checkpoint/.test(r.stderr), r.stderr);
    strictEqual(r.stderr.trim().split("\n").length, 1);
    const ev = await runCli("eval", "--run", dir, "--sequences", "2");
    // whatever the newest checkpoint is, it is finite: eval works on it
    strictEqual(ev.code, 0, ev.stderr);
    // a non-finite newest checkpoint (written by hand) is refused by eval
    const { decodeCheckpoint, encodeCheckpoint, listCheckpoints } = await import(
      "@hamiltonian/hgn/io"
    );
    const files = await listCheckpoints(join(dir, "checkpoints"));
    const newest = files[files.length - 1];
    const c = decodeCheckpoint(newest, await Deno.readFile(newest));
    c.tensors[0].values[0] = NaN;
    await Deno.writeFile(newest, encodeCheckpoint(c));
    const bad = await runCli("eval", "--run", dir, "--sequences", "2");
    strictEqual(bad.code, 2);
    ok(/NaN or infinite weights/.test(bad.stderr), bad.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli train: --data trains from a generated dataset; a contradicting flag is one line", async () => {
  const base = await Deno.makeTempDir({ prefix: "hgn_data_" });
  try {
    const data = join(base, "d");
    const gen = await runCli(
      "generate",
      ...["--system", "pendulum", "--train", "6", "--test", "2", "--noise-mode", "initial"],
      ...["--seed", "3", "--out", data, "--quiet", "--preview", "0"],
    );
    strictEqual(gen.code, 0, gen.stderr);
    const flags = TINY_FLAGS.filter((f, i, all) =>
      f !== "--eval-steps" && all[i - 1] !== "--eval-steps"
    );
    const run = await runCli(
      "train",
      ...flags,
      "--eval-steps",
      "4",
      "--steps",
      "2",
      "--data",
      data,
      "--out",
      join(base, "r"),
    );
    strictEqual(run.code, 0, run.stderr);
    ok(/HGN on pendulum/.test(run.stdout), run.stdout);
    const config = JSON.parse(await Deno.readTextFile(join(base, "r", "config.json")));
    strictEqual(config.data.dir, data);
    strictEqual(config.train.trainSize, 6);
    // the same seed gives the same batches, so the same losses, from the files or generated
    const same = await runCli(
      "train",
      ...flags,
      ...["--eval-steps", "4", "--steps", "2", "--system", "pendulum", "--data-seed", "3"],
      ...["--train-size", "6", "--out", join(base, "g")],
    );
    strictEqual(same.code, 0, same.stderr);
    const losses = async (run: string) =>
      (await Deno.readTextFile(join(base, run, "metrics.jsonl"))).trim().split("\n").map((l) =>
        JSON.parse(l).loss
      );
    deepStrictEqual(await losses("g"), await losses("r"));
    const clash = await runCli(
      "train",
      ...flags,
      "--data",
      data,
      "--system",
      "mass-spring",
      "--out",
      join(base, "r2"),
    );
    strictEqual(clash.code, 2);
    ok(/--system mass-spring contradicts the dataset's pendulum/.test(clash.stderr), clash.stderr);
    strictEqual(clash.stderr.trim().split("\n").length, 1);
    const intoData = await runCli("train", ...flags, "--steps", "1", "--out", data);
    strictEqual(intoData.code, 2);
    ok(/holds a dataset/.test(intoData.stderr), intoData.stderr);
  } finally {
    await Deno.remove(base, { recursive: true });
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
      /--rollout-start must be an integer in \[1, --rollout-steps = 30\]/,
    ]
  ) {
    ok(want.test(line), line);
  }
  const resume = await runCli("train", "--resume", "/nonexistent/run");
  strictEqual(resume.code, 2);
  ok(/config.json not found: '\/nonexistent\/run' is not a run directory/.test(resume.stderr));
});

Deno.test("cli train: the small preset's stochastic variant warms its KL up unless told not to; the deterministic one has none", () => {
  const warmup = (flags: Record<string, string | boolean>) =>
    settingsFromFlags(flags).objective.klWarmup;
  deepStrictEqual(warmup({ stochastic: true }), { hold: 300, grow: 300 });
  deepStrictEqual(warmup({ stochastic: true, "kl-hold": "0", "kl-grow": "50" }), {
    hold: 0,
    grow: 50,
  });
  strictEqual(warmup({ stochastic: true, "kl-hold": "0", "kl-grow": "0" }), undefined);
  strictEqual(warmup({}), undefined);
  strictEqual(warmup({ preset: "paper" }), undefined);
});

Deno.test("cli train: the default is a fixed recipe: 30-step rollouts after a 10-step phase, latent consistency after it, shares of --steps", () => {
  const s = settingsFromFlags({});
  strictEqual(s.preset, "small");
  strictEqual(s.run.steps, 1200);
  strictEqual(s.run.evalSteps, 30);
  strictEqual(s.run.extrapolateSteps, 60);
  strictEqual(s.objective.model.rolloutSteps, 30);
  strictEqual(s.objective.model.inputFrames, 5);
  strictEqual(s.objective.model.deterministic, true);
  strictEqual(s.objective.framesPerUpdate, 11);
  deepStrictEqual(s.objective.curriculum, { from: 10, hold: 500, grow: 200 });
  deepStrictEqual(s.objective.consistency, { weight: 1e-4, windows: 2, start: 500 });
  deepStrictEqual(s.train.decay, { steps: 1200, final: 0.05 });
  deepStrictEqual([s.train.batchSize, s.train.learningRate], [8, 2e-3]);
  // another budget keeps the proportions
  const long = settingsFromFlags({ steps: "2400" });
  deepStrictEqual(long.objective.curriculum, { from: 10, hold: 1000, grow: 400 });
  strictEqual(long.objective.consistency?.start, 1000);
  // rollouts no longer than the curriculum's start have none; flags override the recipe
  strictEqual(settingsFromFlags({ "rollout-steps": "10" }).objective.curriculum, undefined);
  deepStrictEqual(
    settingsFromFlags({ "rollout-start": "5", "rollout-hold": "7", "rollout-grow": "0" }).objective
      .curriculum,
    { from: 5, hold: 7, grow: 0 },
  );
  strictEqual(settingsFromFlags({ "consistency-weight": "0" }).objective.consistency, undefined);
  strictEqual(settingsFromFlags({ "extrapolate-steps": "0" }).run.extrapolateSteps, 0);
});
