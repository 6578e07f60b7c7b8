// Every bad input, OS error and permission problem the CLI can meet, as a table: each exits 2 with
// one line naming the flag or the path, and writes nothing.
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { permissions, runCliIn, runCliWith } from "./_cli.ts";

const TINY = [
  ...["--backend", "cpu", "--batch-size", "2", "--rollout-steps", "3", "--input-frames", "4"],
  ...["--state-channels", "2", "--encoder-width", "4", "--encoder-layers", "5"],
  ...["--fpsi-width", "4", "--fpsi-layers", "2", "--hamiltonian-width", "4"],
  ...["--hamiltonian-layers", "2", "--decoder-width", "4", "--test-size", "2", "--eval-steps", "3"],
];

/** Every file below `dir`, relative, with its size and modification time. */
const snapshot = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) {
        out.push(`${p}/`);
        await walk(p);
      } else {
        const s = await Deno.stat(p);
        out.push(`${p} ${s.size} ${s.mtime?.getTime()}`);
      }
    }
  };
  await walk(dir);
  return out.sort();
};

interface Case {
  readonly name: string;
  /** argv; `@` is replaced by the case's scratch folder, `@run` by a trained run, `@data` by a dataset */
  readonly args: readonly string[];
  readonly error: RegExp;
  /** permissions other than the command's documented ones */
  readonly granted?: (scratch: string) => string[];
}

const CASES: readonly Case[] = [
  // 1. silent garbage
  {
    name: "eval unrolling fewer frames than the model encodes",
    args: ["eval", "--run", "@run", "--steps", "2"],
    error: /--steps 2 unrolls 3 frames, fewer than the 4 input frames/,
  },
  // 2. OS errors and permissions
  {
    name: "--out naming a file",
    args: ["train", ...TINY, "--out", "@run/config.json"],
    error: /config\.json: is a file, not a folder/,
  },
  {
    name: "--run naming a file",
    args: ["eval", "--run", "@run/config.json"],
    error: /is not a run directory/,
  },
  {
    name: "an output folder it may not write",
    args: ["train", ...TINY, "--out", "@/denied"],
    error: /Requires write access to ".*denied", run again with the --allow-write flag/,
    granted: () => ["--allow-read", "--allow-sys=systemMemoryInfo"],
  },
  {
    name: "no permission to read the memory size",
    args: ["train", ...TINY, "--out", "@/r"],
    error: /Requires sys access to "systemMemoryInfo"/,
    granted: (s) => ["--allow-read", `--allow-write=${s}`],
  },
  {
    name: "wasm that cannot read its binary",
    args: ["train", "--out", "@/r"],
    error: /backend wasm cannot start, missing permission: Requires read access to ".*\.wasm"/,
    granted: (s) => [`--allow-read=${s}`, `--allow-write=${s}`, "--allow-sys=systemMemoryInfo"],
  },
  // 3. late validation
  {
    name: "negative noise",
    args: ["train", "--noise-std=-1", "--out", "@/r"],
    error: /--noise-std must be in \[0, /,
  },
  {
    name: "absurd noise",
    args: ["train", "--noise-std", "1e308", "--out", "@/r"],
    error: /--noise-std must be in \[0, /,
  },
  {
    name: "a data seed past uint32",
    args: ["train", "--data-seed", "4294967296", "--out", "@/r"],
    error: /--data-seed must be an integer in \[0, 4294967295\]/,
  },
  {
    name: "a batch larger than the training set",
    args: ["train", "--batch-size", "100000000", "--out", "@/r"],
    error: /--train-size \(50000\) must be at least --batch-size \(100000000\)/,
  },
  {
    name: "a batch that cannot fit in memory",
    args: ["train", "--batch-size", "100000000", "--train-size", "100000000", "--out", "@/r"],
    error: /--batch-size 100000000 .* needs about .* GB .* at most --batch-size \d+ fits/,
  },
  // 4. silent aliasing
  {
    name: "a seed past uint32",
    args: ["train", "--seed", "4294967296", "--out", "@/r"],
    error: /--seed must be an integer in \[0, 4294967295\]/,
  },
  {
    name: "an index past the test set",
    args: ["rollout", "--run", "@run", "--index", "4294967297"],
    error: /--index must be an integer in \[0, 4294967295\]/,
  },
  {
    name: "an index past the run's test sequences",
    args: ["rollout", "--run", "@run", "--index", "2"],
    error: /--index must be in \[0, 1\]/,
  },
  {
    name: "deterministic and stochastic",
    args: ["train", "--deterministic", "--stochastic", "--out", "@/r"],
    error: /--deterministic and --stochastic contradict each other/,
  },
  {
    name: "a KL warm-up on the deterministic variant",
    args: ["train", "--kl-hold", "100", "--out", "@/r"],
    error: /--kl-hold and --kl-grow apply to the stochastic variant only/,
  },
  {
    name: "a negative KL warm-up",
    args: ["train", "--stochastic", "--kl-grow", "-5", "--out", "@/r"],
    error: /--kl-grow must be an integer >= 0, got '-5'/,
  },
  {
    name: "a hexadecimal count",
    args: ["train", "--steps", "0x10", "--out", "@/r"],
    error: /--steps must be a number, got '0x10'/,
  },
  {
    name: "a huge count",
    args: ["train", "--steps", "1e30", "--out", "@/r"],
    error: /--steps must be an integer in \[1, 9007199254740991\], got '1e30'/,
  },
  {
    name: "a negative count",
    args: ["train", "--steps", "-5", "--out", "@/r"],
    error: /--steps must be an integer >= 1, got '-5'/,
  },
  // 5. empty or wrong targets
  {
    name: "an empty --out",
    args: ["train", "--out", ""],
    error: /an empty path is not a run directory/,
  },
  {
    name: "a dataset folder as --out",
    args: ["train", ...TINY, "--out", "@data"],
    error: /holds a dataset \(manifest\.json\)/,
  },
  {
    name: "a run folder as a dataset's --out",
    args: ["generate", "--system", "pendulum", "--train", "2", "--test", "0", "--out", "@run"],
    error: /holds a training run/,
  },
  {
    name: "a dataset the disk cannot hold",
    args: [
      "generate",
      "--system",
      "pendulum",
      "--train",
      "2147483648",
      "--size",
      "64",
      "--out",
      "@/d",
    ],
    error: /d: the dataset needs [\d.]+ GB, the disk has [\d.]+ GB free/,
  },
  // 6. identify diverging
  {
    name: "identify with a huge dt",
    args: ["identify", "--dt", "1e6"],
    error: /diverges at this dt; lower --lr or --dt/,
  },
  {
    name: "identify with a huge learning rate",
    args: ["identify", "--lr", "1e6", "--iterations", "20"],
    error: /diverged at iteration \d+ .*; lower --lr or --dt/,
  },
  // an edited config.json no longer fits the checkpoint's fingerprint
  {
    name: "a run whose config.json was edited",
    args: ["eval", "--run", "@edited"],
    error: /step-0000001\.ckpt: the checkpoint was written for another configuration/,
  },
  // 7. a damaged manifest
  {
    name: "a manifest whose byte total was edited",
    args: ["train", ...TINY, "--data", "@bad", "--out", "@/r"],
    error: /manifest\.json: lists 1 bytes in all; its shards hold/,
  },
];

Deno.test("cli errors: every bad input is one line, exit 2, naming the flag or path, and nothing is written", async () => {
  const base = await Deno.makeTempDir({ prefix: "hgn_errors_" });
  try {
    const run = join(base, "run");
    const trained = await runCliIn(base, "train", ...TINY, "--steps", "1", "--out", run);
    strictEqual(trained.code, 0, trained.stderr);
    const data = join(base, "data");
    const made = await runCliIn(
      base,
      "generate",
      "--system",
      "pendulum",
      "--train",
      "2",
      "--test",
      "1",
      "--out",
      data,
      "--quiet",
      "--preview",
      "0",
    );
    strictEqual(made.code, 0, made.stderr);
    const bad = join(base, "bad");
    await Deno.mkdir(bad);
    for await (const e of Deno.readDir(data)) {
      if (e.isDirectory) {
        await Deno.mkdir(join(bad, e.name));
        for await (const f of Deno.readDir(join(data, e.name))) {
          await Deno.copyFile(join(data, e.name, f.name), join(bad, e.name, f.name));
        }
      }
    }
    const edited = join(base, "edited");
    await Deno.mkdir(join(edited, "checkpoints"), { recursive: true });
    for await (const f of Deno.readDir(join(run, "checkpoints"))) {
      await Deno.copyFile(join(run, "checkpoints", f.name), join(edited, "checkpoints", f.name));
    }
    const config = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
    await Deno.writeTextFile(
      join(edited, "config.json"),
      JSON.stringify({ ...config, train: { ...config.train, learningRate: 0.5 } }),
    );
    const manifest = JSON.parse(await Deno.readTextFile(join(data, "manifest.json")));
    await Deno.writeTextFile(join(bad, "manifest.json"), JSON.stringify({ ...manifest, bytes: 1 }));
    for (const c of CASES) {
      const scratch = await Deno.makeTempDir({ dir: base, prefix: "case_" });
      const args = c.args.map((a) =>
        a.replace(/^@run/, run).replace(/^@data/, data).replace(/^@bad/, bad)
          .replace(/^@edited/, edited).replace(/^@/, scratch)
      );
      const before = await snapshot(base);
      const r = await runCliWith(c.granted?.(scratch) ?? permissions(args[0]), scratch, ...args);
      strictEqual(r.code, 2, `${c.name}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      strictEqual(lines.length, 1, `${c.name}: ${r.stderr}`);
      ok(c.error.test(lines[0]), `${c.name}: ${lines[0]}`);
      ok(!/^\s+at /m.test(r.stderr), `${c.name}: a stack trace`);
      const after = await snapshot(base);
      strictEqual(after.join("\n"), before.join("\n"), `${c.name}: something was written`);
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("cli errors: a generate killed mid-write leaves temporaries the next generate removes", async () => {
  const base = await Deno.makeTempDir({ prefix: "hgn_tmp_" });
  try {
    const out = join(base, "d");
    await Deno.mkdir(join(out, "train"), { recursive: true });
    const stale = join(out, "train", "shard-00000.bin.tmp-999999-1");
    await Deno.writeFile(stale, new Uint8Array(100));
    const r = await runCliIn(
      base,
      "generate",
      "--system",
      "pendulum",
      "--train",
      "2",
      "--test",
      "0",
      "--out",
      out,
      "--preview",
      "0",
    );
    strictEqual(r.code, 0, r.stderr);
    ok(/generate: writing 0\.\d+ GB to /.test(r.stdout), r.stdout);
    await Deno.stat(stale).then(() => ok(false, "the stale temporary is still there"), () => {});
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
