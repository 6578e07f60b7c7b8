// `cli.ts generate` as a user meets it: a subprocess writing into a temporary directory.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
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
      [
        ["--system", "pendulum", "--out", "x", "--part", "3/3"],
        /--part must be I\/N with 0 <= I < N/,
      ],
      [["--system", "pendulum", "--out", "x", "--part", "1"], /--part must be I\/N/],
      [["--merge", "--out", "x", "--system", "pendulum"], /--merge takes only --out and --preview/],
      [["--merge", "--out", "/no/such/dataset"], /parts not found: no parts to merge/],
    ] as const
  ) {
    const r = await runCli("generate", ...args);
    strictEqual(r.code, 2, `${args.join(" ")}: exit ${r.code}`);
    const lines = r.stderr.trim().split("\n");
    strictEqual(lines.length, 1, r.stderr);
    ok(pattern.test(lines[0]), lines[0]);
  }
});

/** Every file under `dir` (relative path -> bytes). */
const tree = async (dir: string, at = ""): Promise<Map<string, Uint8Array>> => {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(join(dir, at))) {
    const rel = at ? `${at}/${e.name}` : e.name;
    if (e.isDirectory) { for (const [k, v] of await tree(dir, rel)) out.set(k, v); }
    else out.set(rel, await Deno.readFile(join(dir, rel)));
  }
  return out;
};

Deno.test("cli generate --part: parts run as parallel processes merge into the bytes of one run", async () => {
  const one = await Deno.makeTempDir({ prefix: "gen_one_" });
  const parts = await Deno.makeTempDir({ prefix: "gen_parts_" });
  try {
    const flags = ["--system", "two-body", "--train", "7", "--test", "3", "--size", "8"];
    const more = ["--steps", "4", "--shard-size", "2", "--preview", "2"];
    const single = await runCli("generate", ...flags, ...more, "--out", one);
    strictEqual(single.code, 0, single.stderr);
    const runs = await Promise.all(
      ["0/3", "1/3", "2/3"].map((p) =>
        runCli("generate", ...flags, ...more, "--part", p, "--out", parts)
      ),
    );
    for (const r of runs) strictEqual(r.code, 0, r.stderr);
    // not whole yet: no manifest until the merge
    await rejects(Deno.stat(join(parts, "manifest.json")), Deno.errors.NotFound);
    const merged = await runCli("generate", "--merge", "--preview", "2", "--out", parts);
    strictEqual(merged.code, 0, merged.stderr);
    ok(/merged 6 shards \(7 train \+ 3 test\)/.test(merged.stdout), merged.stdout);
    const [a, b] = [await tree(one), await tree(parts)];
    deepStrictEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [k, v] of a) deepStrictEqual(b.get(k), v, k);
    // a merge with a part missing names it
    const gap = await Deno.makeTempDir({ prefix: "gen_gap_" });
    try {
      for (const p of ["0/3", "2/3"]) {
        strictEqual(
          (await runCli("generate", ...flags, ...more, "--part", p, "--out", gap)).code,
          0,
        );
      }
      const r = await runCli("generate", "--merge", "--out", gap);
      strictEqual(r.code, 2);
      ok(/parts 1\/3 are missing/.test(r.stderr), r.stderr);
    } finally {
      await Deno.remove(gap, { recursive: true });
    }
  } finally {
    await Deno.remove(one, { recursive: true });
    await Deno.remove(parts, { recursive: true });
  }
});
