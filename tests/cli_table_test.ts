// `cli.ts table`: cells are deterministic, independent jobs (a cell run twice gives the same
// JSON, cells run as parallel processes assemble into one table, a finished cell is never
// recomputed), and bad input is one line.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { interruptCli, runCli } from "./_cli.ts";

const TINY = [
  "--threads",
  "2",
  "--budget",
  "2",
  "--eval-size",
  "2",
  "--train-size",
  "64",
  "--backend",
  "wasm",
];

Deno.test("cli table: a cell run twice gives the same JSON; parallel cells assemble into one table without recomputing", async () => {
  const a = await Deno.makeTempDir({ prefix: "table_a_" });
  const b = await Deno.makeTempDir({ prefix: "table_b_" });
  try {
    // two cells of one table at once, as two jobs of a cluster would run them
    const [hnn, hgn] = await Promise.all([
      runCli("table", ...TINY, "--cell", "pendulum/hnn-conv", "--out", a),
      runCli("table", ...TINY, "--cell", "pendulum/hgn-determ", "--out", a),
    ]);
    strictEqual(hnn.code, 0, hnn.stderr);
    strictEqual(hgn.code, 0, hgn.stderr);
    // the same cell elsewhere, from scratch
    const again = await runCli("table", ...TINY, "--cell", "pendulum/hnn-conv", "--out", b);
    strictEqual(again.code, 0, again.stderr);
    const cell = (dir: string, model: string) =>
      Deno.readTextFile(join(dir, "pendulum", model, "cell.json"));
    strictEqual(await cell(a, "hnn-conv"), await cell(b, "hnn-conv"));
    const result = JSON.parse(await cell(a, "hgn-determ"));
    strictEqual(result.splits.test.perStepMse.length, 31);
    ok(result.splits.test.mse.mean > 0 && result.splits.test.mse.std >= 0);
    // assembling: both cells are found done, nothing retrains
    const before = (await Deno.stat(join(a, "pendulum", "hnn-conv", "cell.json"))).mtime;
    const table = await runCli(
      "table",
      ...TINY,
      "--systems",
      "pendulum",
      "--models",
      "hnn-conv,hgn-determ",
      "--out",
      a,
    );
    strictEqual(table.code, 0, table.stderr);
    strictEqual(table.stdout.match(/is done/g)?.length, 2, table.stdout);
    ok(!/step \d+\/2/.test(table.stdout), table.stdout);
    deepEqualTime(before, (await Deno.stat(join(a, "pendulum", "hnn-conv", "cell.json"))).mtime);
    const md = await Deno.readTextFile(join(a, "table.md"));
    ok(/\| HNN \(conv\) \(ours\) \| – \| \d+\.\d+ ± \d+\.\d+ \/ /.test(md), md);
    ok(/\| HGN determ \(paper\) \| 0\.23 \/ 3\.07 \|/.test(md), md);
    const json = JSON.parse(await Deno.readTextFile(join(a, "table.json")));
    strictEqual(json.cells.length, 2);
    // --assemble trains nothing and writes the same table
    await Deno.remove(join(a, "table.md"));
    const assembled = await runCli("table", ...TINY, "--assemble", "--out", a);
    strictEqual(assembled.code, 0, assembled.stderr);
    strictEqual(await Deno.readTextFile(join(a, "table.md")), md);
    // another budget in the same folder is refused, naming the difference
    const other = await runCli("table", ...TINY, "--budget", "3", "--out", a);
    strictEqual(other.code, 2);
    ok(/holds a table with budget 2, not 3/.test(other.stderr), other.stderr);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

const deepEqualTime = (x: Date | null, y: Date | null) => strictEqual(x?.getTime(), y?.getTime());

Deno.test("cli table: a cell stopped before its first checkpoint starts over", async () => {
  const out = await Deno.makeTempDir({ prefix: "table_restart_" });
  try {
    const run = join(out, "pendulum", "hnn", "run");
    await Deno.mkdir(join(run, "checkpoints"), { recursive: true });
    await Deno.writeTextFile(join(run, "config.json"), "{}");
    const r = await runCli("table", ...TINY, "--cell", "pendulum/hnn", "--out", out);
    strictEqual(r.code, 0, r.stderr);
    ok((await Deno.stat(join(out, "pendulum", "hnn", "cell.json"))).isFile);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli table: the HGN rows train with the recipe's curriculum, consistency and KL warm-up as shares of the budget; folders from before those settings had none", async () => {
  const out = await Deno.makeTempDir({ prefix: "table_warmup_" });
  try {
    const args = [...TINY, "--budget", "3", "--kl-warmup", "0.34", "--out", out];
    const r = await runCli("table", ...args, "--cell", "pendulum/hgn-leapfrog");
    strictEqual(r.code, 0, r.stderr);
    const config = JSON.parse(
      await Deno.readTextFile(join(out, "pendulum", "hgn-leapfrog", "run", "config.json")),
    );
    deepStrictEqual(config.objective.klWarmup, { hold: 1, grow: 1 });
    // the default 30-step recipe: 5/12 of 3 updates at 10 steps, growing over 1/6 of them
    strictEqual(config.objective.model.rolloutSteps, 30);
    strictEqual(config.objective.framesPerUpdate, 11);
    deepStrictEqual(config.objective.curriculum, { from: 10, hold: 1, grow: 1 });
    deepStrictEqual(config.objective.consistency, { weight: 1e-4, windows: 2, start: 1 });
    // settings.json written before the setting existed: the table had no warm-up
    const file = join(out, "settings.json");
    const { klWarmup: _, ...old } = JSON.parse(await Deno.readTextFile(file));
    await Deno.writeTextFile(file, JSON.stringify(old));
    const refused = await runCli("table", ...args, "--assemble");
    strictEqual(refused.code, 2);
    ok(/holds a table with klWarmup 0, not 0\.34/.test(refused.stderr), refused.stderr);
    const accepted = await runCli("table", ...args, "--kl-warmup", "0", "--assemble");
    strictEqual(accepted.code, 0, accepted.stderr);
    // and one written before the recipe setting trained on 10-step rollouts
    const { recipe: __, ...older } = JSON.parse(await Deno.readTextFile(file));
    await Deno.writeTextFile(file, JSON.stringify(older));
    const refusedRecipe = await runCli("table", ...args, "--kl-warmup", "0", "--assemble");
    strictEqual(refusedRecipe.code, 2);
    ok(
      /holds a table with recipe "10-step", not "30-step"/.test(refusedRecipe.stderr),
      refusedRecipe.stderr,
    );
    const tenStep = ["--kl-warmup", "0", "--recipe", "10-step", "--assemble"];
    const acceptedRecipe = await runCli("table", ...args, ...tenStep);
    strictEqual(acceptedRecipe.code, 0, acceptedRecipe.stderr);
    ok(/10-step rollouts scoring 6 frames/.test(acceptedRecipe.stdout), acceptedRecipe.stdout);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli table: Ctrl-C in a cell keeps its checkpoint and names the table command that resumes it", async () => {
  const out = await Deno.makeTempDir({ prefix: "table_interrupt_" });
  try {
    const args = [...TINY, "--budget", "30", "--cell", "pendulum/hnn", "--out", out];
    const r = await interruptCli("SIGINT", /step 10\/30/, "table", ...args);
    strictEqual(r.code, 130, r.stdout);
    const hint = r.stdout.match(/resume with: (.*)/)?.[1] ?? "";
    ok(/cli\.ts table .*--cell pendulum\/hnn/.test(hint) && !/--resume/.test(hint), r.stdout);
    // the same command picks the cell up from its checkpoint and finishes it
    const again = await runCli("table", ...args);
    strictEqual(again.code, 0, again.stderr);
    ok(/resuming .* at step [1-9]\d*/.test(again.stdout), again.stdout);
    ok((await Deno.stat(join(out, "pendulum", "hnn", "cell.json"))).isFile);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cli table: bad input is one line, exit 2", async () => {
  for (
    const [args, pattern] of [
      [["--cell", "pendulum"], /--cell must be SYSTEM\/MODEL/],
      [["--cell", "pendulum/hnn/x"], /--cell must be SYSTEM\/MODEL/],
      [["--cell", "moon/hnn"], /--cell: unknown 'moon'; accepted: all, mass-spring/],
      [["--models", "hnn,mlp"], /--models: unknown 'mlp'/],
      [["--protocol", "3-frame"], /--protocol must be 5-frame or autoencode/],
      [["--budget", "0"], /--budget must be an integer/],
      [["--noise-mode", "loud"], /--noise-mode must be initial, observation or none/],
      [["--cell", "pendulum/hnn", "--assemble"], /--cell and --assemble contradict/],
      [["--kl-warmup", "0.6"], /--kl-warmup must be in \[0, 0\.5\]/],
      [["--recipe", "20-step"], /--recipe must be 30-step or 10-step, got '20-step'/],
    ] as const
  ) {
    const r = await runCli("table", ...args);
    strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
    ok(pattern.test(r.stderr), r.stderr);
  }
});
