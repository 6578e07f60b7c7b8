// A write that fails mid-run stops it with one line naming the file and the last good checkpoint.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { guardWrite, RunWriteError } from "../../lib/runs/writes.ts";
import { loadCheckpoint } from "../../lib/io/checkpoint.ts";
import { runCli, TINY_TRAIN } from "../_cli.ts";

Deno.test("guardWrite: an OS failure names the file and the last good checkpoint; other errors pass", async () => {
  // the error Deno throws on a full disk (the tmpfs test below makes a real one; /dev/full needs
  // --allow-all, which the test task does not grant)
  const full = Object.assign(new Error("No space left on device (os error 28): write 'f'"), {
    code: "ENOSPC",
  });
  await rejects(
    guardWrite("f", () => "none", () => Promise.reject(full)),
    (e) =>
      e instanceof RunWriteError && e.file === "f" && /No space left/.test(e.reason) &&
      /last good checkpoint: none$/.test(e.message),
  );
  await rejects(
    guardWrite("f", () => "none", () => Promise.reject(new TypeError("bug"))),
    TypeError,
  );
});

const mountTmpfs = async (dir: string, size: string): Promise<boolean> =>
  (await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir] })
    .output().catch(() => ({ success: false }))).success;

const fill = async (dir: string) => {
  const f = await Deno.open(join(dir, "filler"), { write: true, create: true });
  const chunk = new Uint8Array(4096);
  try {
    for (;;) await f.write(chunk);
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOSPC") throw e;
  } finally {
    f.close();
  }
};

const listNames = async (dir: string) => {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
};

// Root mounts a small tmpfs here and in CI; elsewhere the test says why it cannot run.
const root = Deno.uid() === 0;

Deno.test({
  name:
    "cli train: a full disk at a checkpoint is one line naming the file and the last good checkpoint, which stays intact; no temporary file is left",
  ignore: !root,
  fn: async () => {
    const mnt = await Deno.makeTempDir({ prefix: "full_disk_" });
    ok(await mountTmpfs(mnt, "4m"), `cannot mount a tmpfs on ${mnt} (root is needed)`);
    try {
      const dir = join(mnt, "run");
      const flags = [...TINY_TRAIN, "--extrapolate-steps", "0", "--checkpoint-every", "1"];
      const first = await runCli("train", ...flags, "--steps", "1", "--out", dir);
      strictEqual(first.code, 0, first.stderr);
      const good = join(dir, "checkpoints", "step-0000001.ckpt");
      const before = await Deno.readFile(good);
      await fill(mnt);
      const stopped = async (file: RegExp) => {
        const r = await runCli("train", "--resume", dir, "--steps", "3");
        strictEqual(r.code, 2, r.stderr);
        const lines = r.stderr.trim().split("\n");
        strictEqual(lines.length, 1, r.stderr);
        ok(file.test(lines[0]), lines[0]);
        ok(
          /\(No space left on device.*\); the run stopped; last good checkpoint: .*step-0000001\.ckpt$/
            .test(lines[0]),
          lines[0],
        );
        deepStrictEqual(await listNames(join(dir, "checkpoints")), ["step-0000001.ckpt"]);
        deepStrictEqual(await Deno.readFile(good), before);
        ok(!(await listNames(dir)).some((n) => n.includes(".tmp-")), "a temporary file was left");
      };
      // not even the lock fits
      await stopped(/^error: could not write .*run\.lock /);
      // room for the lock and the metrics (16 KiB), not for the 57 KB checkpoint of step 2
      const filler = await Deno.open(join(mnt, "filler"), { write: true });
      await filler.truncate((await filler.stat()).size - 16384);
      filler.close();
      await stopped(/^error: could not write .*step-0000002\.ckpt /);
      strictEqual((await loadCheckpoint(good)).meta.step, 1);
      // space again: the same command resumes from the kept checkpoint
      await Deno.remove(join(mnt, "filler"));
      const again = await runCli("train", "--resume", dir, "--steps", "3");
      strictEqual(again.code, 0, again.stderr);
      ok(/resuming .* at step 1/.test(again.stdout), again.stdout);
    } finally {
      await new Deno.Command("umount", { args: [mnt] }).output();
      await Deno.remove(mnt, { recursive: true });
    }
  },
});
