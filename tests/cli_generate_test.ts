// `cli.ts generate` as a user meets it: a subprocess writing into a temporary directory.
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./_cli.ts";
import { openDataset } from "@hamiltonian/hgn/io";

Deno.test("cli generate: writes a dataset, a preview and a summary; refuses to overwrite", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hgn_cli_" });
  try {
    const out = join(dir, "ds");
    const args = [
      "generate",
      "--system",
      "two-body",
      "--train",
      "5",
      "--test",
      "2",
      "--steps",
      "6",
      "--size",
      "16",
      "--out",
      out,
      "--preview",
      "2",
      "--shard-size",
      "3",
    ];
    const r = await runCli(...args);
    strictEqual(r.code, 0, r.stderr);
    ok(
      /wrote 5 train \+ 2 test trajectories of two-body \(7 frames, 16x16\)/.test(r.stdout),
      r.stdout,
    );
    ok(/max estimated state error \d/.test(r.stdout), r.stdout);
    const ds = await openDataset(out, { system: "two-body", size: 16, steps: 6 });
    strictEqual(ds.manifest.splits.train.shards.length, 2);
    for (const f of ["grid.png", "train-00000.gif", "train-00001.gif"]) {
      ok((await Deno.stat(join(out, "preview", f))).size > 0, f);
    }
    const again = await runCli(...args);
    strictEqual(again.code, 2);
    ok(
      /^error: .*manifest\.json exists; choose another directory or pass --overwrite$/.test(
        again.stderr.trim(),
      ),
      again.stderr,
    );
    strictEqual((await runCli(...args, "--overwrite", "--quiet")).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli generate: bad flags are one-line errors with exit 2", async () => {
  for (
    const [args, pattern] of [
      [["--out", "x"], /--system is required; accepted: mass-spring/],
      [["--system", "pendulum"], /--out DIR is required/],
      [["--system", "spring", "--out", "x"], /unknown system 'spring'; accepted: mass-spring/],
      [
        ["--system", "pendulum", "--out", "x", "--size", "3"],
        /--size must be an integer in \[8, 512\], got '3'/,
      ],
      [
        ["--system", "pendulum", "--out", "x", "--train", "many"],
        /--train must be a number, got 'many'/,
      ],
      [
        ["--system", "pendulum", "--out", "x", "--noise-mode", "all"],
        /--noise-mode must be one of observation, initial, none/,
      ],
      [
        ["--system", "pendulum", "--out", "x", "--noise-std=-1"],
        /noise std must be a number >= 0/,
      ],
      [
        ["--system", "pendulum", "--out", "x", "--train", "0", "--test", "0"],
        /nothing to generate/,
      ],
      [["--frobnicate"], /accepted flags: /],
    ] as const
  ) {
    const r = await runCli("generate", ...args);
    strictEqual(r.code, 2, `${args.join(" ")}: exit ${r.code}`);
    const lines = r.stderr.trim().split("\n");
    strictEqual(lines.length, 1, r.stderr);
    ok(pattern.test(lines[0]), lines[0]);
  }
});
