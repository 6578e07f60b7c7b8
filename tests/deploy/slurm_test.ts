// The Slurm recipe, live: a one-node Slurm on this machine (deploy/slurm/single_node.sh) runs the
// table's cells as a job array with the dependent assemble job, and a dataset's parts with the
// dependent merge, through the very scripts docs/scale-out.md gives. The results must be, byte for
// byte, what plain local runs of the same cells and parts write: also when a running cell is
// requeued mid-run, and when the whole array is cancelled mid-run and submitted again.
//
// It needs root and Debian's slurm-wlm and munge (`.ci/run` installs them). Where they are missing
// it says so and is skipped, except where HGN_REQUIRE_SLURM=1 (CI): there it fails.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../_cli.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const script = (name: string) => join(repo, "deploy", "slurm", name);

const which = (bin: string): boolean =>
  new Deno.Command("sh", { args: ["-c", `command -v ${bin}`], stdout: "null", stderr: "null" })
    .outputSync().success;

/** Why Slurm cannot start here, or undefined when it can. */
const missing = ((): string | undefined => {
  if (Deno.build.os !== "linux") return "Slurm runs on Linux only";
  const uid = new Deno.Command("id", { args: ["-u"], stdout: "piped" }).outputSync();
  if (new TextDecoder().decode(uid.stdout).trim() !== "0") return "it needs root";
  const absent = ["munged", "slurmctld", "slurmd", "sbatch", "scontrol"].filter((b) => !which(b));
  if (absent.length) return `${absent.join(", ")} not found (Debian: slurm-wlm, munge)`;
  return undefined;
})();
const required = Deno.env.get("HGN_REQUIRE_SLURM") === "1";
if (missing !== undefined && !required) {
  console.warn(`tests/deploy/slurm_test.ts: skipped, cannot start Slurm: ${missing}`);
}

/** Runs a command; its output, and a failure that shows it. */
const sh = async (
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> => {
  const out = await new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", ...env },
    cwd: repo,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const [stdout, stderr] = [out.stdout, out.stderr].map((b) => new TextDecoder().decode(b));
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}):\n${stdout}${stderr}`);
  }
  return stdout;
};

/** The `KEY=value` lines a submit script prints. */
const ids = (stdout: string): Record<string, string> =>
  Object.fromEntries(stdout.trim().split("\n").map((l) => l.split("=") as [string, string]));

/** Every file under `dir` outside the cells' run folders (relative path -> bytes). */
const tree = async (dir: string, at = ""): Promise<Map<string, Uint8Array>> => {
  const out = new Map<string, Uint8Array>();
  for await (const e of Deno.readDir(join(dir, at))) {
    const rel = at ? `${at}/${e.name}` : e.name;
    if (e.isDirectory && e.name !== "run") {
      for (const [k, v] of await tree(dir, rel)) out.set(k, v);
    } else if (e.isFile) out.set(rel, await Deno.readFile(join(dir, rel)));
  }
  return out;
};

/** Checks `got` holds the files of `want`, byte for byte; how many files and bytes it compared. */
const sameTree = async (want: string, got: string): Promise<string> => {
  const [a, b] = [await tree(want), await tree(got)];
  deepStrictEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [k, v] of a) ok(Buffer.from(v).equals(Buffer.from(b.get(k)!)), `${k} differs`);
  const bytes = [...a.values()].reduce((n, v) => n + v.length, 0);
  return `${a.size} files, ${bytes} bytes identical to the local run's`;
};
/** What the test saw, for the log (job ids, states, the comparison). */
const report = (line: string) => console.log(`slurm_test: ${line}`);

Deno.test({
  name:
    "slurm: table cells as a job array and the dependent assemble, dataset parts and the merge, give the bytes of local runs, requeued and resubmitted",
  ignore: missing !== undefined && !required,
  sanitizeResources: false,
  fn: async () => {
    if (missing !== undefined) {
      throw new Error(`HGN_REQUIRE_SLURM=1 but Slurm cannot start: ${missing}`);
    }
    const root = await Deno.makeTempDir({ prefix: "slurm_" });
    const cluster = join(root, "cluster");
    const env = { SLURM_CONF: join(cluster, "slurm.conf"), DENO: Deno.execPath() };
    const scontrol = (...args: string[]) => sh("scontrol", args, env);
    /** The states of a job's tasks (an array job: every task), by `scontrol show job`. */
    const states = async (job: string): Promise<string[]> =>
      [...(await scontrol("show", "job", "-o", job)).matchAll(/JobState=(\S+)/g)].map((m) => m[1]);
    const until = async (what: string, test: () => Promise<boolean>, seconds = 300) => {
      const end = Date.now() + seconds * 1000;
      while (!(await test())) {
        if (Date.now() > end) throw new Error(`waited ${seconds} s for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    const done = (job: string) =>
      until(`job ${job}`, async () => {
        const s = await states(job);
        const bad = s.find((x) => /FAIL|CANCEL|TIMEOUT|NODE_FAIL|OUT_OF_ME/.test(x));
        if (bad) throw new Error(`job ${job} ended ${bad}`);
        return s.length > 0 && s.every((x) => x === "COMPLETED");
      });
    // a cell's run folder has logged its first metrics: it is running, past its first updates
    const logged = (out: string, cell: string) =>
      until(`${cell} in ${out} to log`, async () => {
        const m = await Deno.readTextFile(join(out, cell, "run", "metrics.jsonl")).catch(() => "");
        return m.trim() !== "";
      });
    const checkpointSteps = async (out: string, cell: string): Promise<number[]> => {
      const steps: number[] = [];
      for await (const e of Deno.readDir(join(out, cell, "run", "checkpoints"))) {
        const m = /^step-(\d+)\.ckpt$/.exec(e.name);
        if (m) steps.push(Number(m[1]));
      }
      return steps.sort((x, y) => x - y);
    };

    // cells 7 and 9 (pendulum: hnn-conv, hgn-determ), 30 updates each: long enough to requeue one
    const flags = ["--budget", "30", "--eval-size", "2", "--train-size", "64", "--backend", "wasm"];
    const threads = ["--threads", "1"];
    const cells = ["pendulum/hnn-conv", "pendulum/hgn-determ"];
    try {
      await sh(script("single_node.sh"), ["start", cluster]);

      // the reference: each cell and the table as plain local processes
      const local = join(root, "local");
      for (const cell of cells) {
        const r = await runCli("table", ...flags, ...threads, "--cell", cell, "--out", local);
        strictEqual(r.code, 0, r.stderr);
      }
      const assembled = await runCli("table", ...flags, ...threads, "--assemble", "--out", local);
      strictEqual(assembled.code, 0, assembled.stderr);

      // 1. the array and its dependent assemble job; the HGN cell is requeued while it runs
      const requeued = join(root, "requeued");
      const a = ids(
        await sh(script("submit_table.sh"), ["--cells", "7,9", requeued, ...flags], env),
      );
      await logged(requeued, cells[1]);
      await scontrol("requeue", `${a.CELLS_JOB}_9`);
      // Slurm holds a requeued job until its credentials expire (cred_expire); start it then now
      await until(
        "the requeued task to be pending",
        async () => (await states(`${a.CELLS_JOB}_9`))[0] === "PENDING",
      );
      await scontrol("update", `JobId=${a.CELLS_JOB}_9`, "StartTime=now");
      await done(a.ASSEMBLE_JOB);
      deepStrictEqual(await states(a.CELLS_JOB), ["COMPLETED", "COMPLETED"]);
      const restarts = await scontrol("show", "job", "-o", `${a.CELLS_JOB}_9`);
      ok(/Restarts=1\b/.test(restarts), restarts);
      // it stopped mid-run with a checkpoint and resumed from it: a checkpoint short of the budget
      const steps = await checkpointSteps(requeued, cells[1]);
      ok(steps.some((s) => s > 0 && s < 30) && steps.at(-1) === 30, `checkpoints ${steps}`);
      report(
        `requeue: array ${a.CELLS_JOB} COMPLETED x2 (task ${a.CELLS_JOB}_9 requeued mid-run, ` +
          `Restarts=1, checkpoints at ${steps.join(",")}), assemble ${a.ASSEMBLE_JOB} COMPLETED; ` +
          await sameTree(local, requeued),
      );

      // 2. the array cancelled mid-run, its assemble job cancelled with it, then submitted again
      const resubmitted = join(root, "resubmitted");
      const b = ids(
        await sh(script("submit_table.sh"), ["--cells", "7,9", resubmitted, ...flags], env),
      );
      await logged(resubmitted, cells[1]);
      await sh("scancel", [b.CELLS_JOB], env);
      await until("the cancelled array and its assemble job", async () => {
        const s = [...await states(b.CELLS_JOB), ...await states(b.ASSEMBLE_JOB)];
        return s.every((x) => x === "CANCELLED" || x === "COMPLETED") &&
          (await states(b.ASSEMBLE_JOB))[0] === "CANCELLED";
      });
      ok(!(await Deno.stat(join(resubmitted, "table.md")).catch(() => undefined)));
      const c = ids(
        await sh(script("submit_table.sh"), ["--cells", "7,9", resubmitted, ...flags], env),
      );
      await done(c.ASSEMBLE_JOB);
      report(
        `cancel: array ${b.CELLS_JOB} cancelled mid-run, assemble ${b.ASSEMBLE_JOB} CANCELLED ` +
          `(no table.md); resubmitted as ${c.CELLS_JOB} + ${c.ASSEMBLE_JOB} COMPLETED; ` +
          await sameTree(local, resubmitted),
      );

      // 3. a dataset: three parts as an array, the merge after them, against one local process
      const data = ["--system", "two-body", "--train", "7", "--test", "3", "--size", "8"];
      const more = ["--steps", "4", "--shard-size", "2"];
      const one = join(root, "data-one");
      const single = await runCli("generate", ...data, ...more, "--preview", "2", "--out", one);
      strictEqual(single.code, 0, single.stderr);
      const parts = join(root, "data-parts");
      const d = ids(
        await sh(
          script("submit_generate.sh"),
          ["--preview", "2", parts, "3", ...data, ...more],
          env,
        ),
      );
      await done(d.MERGE_JOB);
      deepStrictEqual(await states(d.PARTS_JOB), ["COMPLETED", "COMPLETED", "COMPLETED"]);
      report(
        `dataset: parts ${d.PARTS_JOB} COMPLETED x3, merge ${d.MERGE_JOB} COMPLETED; ` +
          (await sameTree(one, parts)).replace("local run's", "single local generate's"),
      );
    } finally {
      await sh(script("single_node.sh"), ["stop", cluster]).catch(() => {});
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
