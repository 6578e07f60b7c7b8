// The README's script example, run as a user runs it: a new run folder, then the same command
// with more updates resumes it; both end in the report.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readMetrics } from "@hamiltonian/hgn/io";

const script = fileURLToPath(new URL("../examples/train_pendulum.ts", import.meta.url));

const runExample = async (dir: string, updates: number) => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", `--allow-write=${dir}`, script, String(updates), dir],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
};

Deno.test("examples/train_pendulum.ts: trains into a run folder, resumes it with more updates, writes the report", async () => {
  const dir = await Deno.makeTempDir({ prefix: "example_" });
  try {
    const first = await runExample(dir, 2);
    strictEqual(first.code, 0, first.stderr);
    ok(/^2 updates: test MSE x1e4 [\d.]+, [\d.]+x better/m.test(first.stdout), first.stdout);
    const second = await runExample(dir, 4);
    strictEqual(second.code, 0, second.stderr);
    ok(/resuming .* at step 2/.test(second.stdout), second.stdout);
    ok(/^4 updates: /m.test(second.stdout), second.stdout);
    deepStrictEqual((await readMetrics(dir)).map((m) => m.step), [2, 4]);
    ok((await Deno.stat(join(dir, "report.html"))).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/custom_table_row.ts: a script's own model trains as a table row and is scored beside the static row", async () => {
  const dir = await Deno.makeTempDir({ prefix: "example_table_" });
  try {
    const row = fileURLToPath(new URL("../examples/custom_table_row.ts", import.meta.url));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", `--allow-write=${dir}`, row, "4", dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    ok(/^persistence on mass-spring: test MSE x1e4 [\d.]+ /m.test(stdout), stdout);
    ok(
      /^\| Persistence \(ours\) \| [\d.]+ ± [\d.]+ \/ [\d.]+ ± [\d.]+ \| – /m.test(stdout),
      stdout,
    );
    ok(/^\| static \(mean frame\) \| [\d.]+ ± /m.test(stdout), stdout);
    const cell = JSON.parse(
      await Deno.readTextFile(join(dir, "mass-spring", "persistence", "cell.json")),
    );
    strictEqual(cell.budget, 4);
    strictEqual(cell.splits.test.perStepMse.length, 31);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/compare_density_rows.ts: a script's own row beside figure 10's, one table, finished rows kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "example_compare_" });
  try {
    const script = fileURLToPath(new URL("../examples/compare_density_rows.ts", import.meta.url));
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", `--allow-write=${dir}`, script, "2", dir],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const out = await run();
    const stdout = new TextDecoder().decode(out.stdout);
    strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    ok(/^NHF vs RealNVP on moons, 2 iterations each/m.test(stdout), stdout);
    for (const row of ["nhf-2", "realnvp-2", "nhf-4"]) {
      ok(new RegExp(`^\\| ${row} \\| -?[\\d.]+ \\|`, "m").test(stdout), `${row}: ${stdout}`);
    }
    const before = (await Deno.stat(join(dir, "nhf-4", "eval.json"))).mtime?.getTime();
    const again = await run();
    strictEqual(again.code, 0);
    strictEqual((await Deno.stat(join(dir, "nhf-4", "eval.json"))).mtime?.getTime(), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
