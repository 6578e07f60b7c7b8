// One writer per run folder: the lock itself, and `train --resume` refused or taking over.
import { ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { LOCK_FILE, lockRun, RunLockedError } from "../../lib/runs/lock.ts";
import { runCli, TINY_TRAIN } from "../_cli.ts";
import { pathExists } from "../../lib/io/atomic.ts";

/** The lock file a process that died leaves behind: its holder's text, no OS lock held. */
const leaveStaleLock = (dir: string, host: string) =>
  Deno.writeTextFile(
    join(dir, LOCK_FILE),
    JSON.stringify({ pid: 4_000_000, host, since: "2026-01-01T00:00:00.000Z" }),
  );

Deno.test("lockRun: a second lock of a held folder is refused naming the holder; release frees it and removes the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock_" });
  try {
    const a = await lockRun(dir);
    await rejects(
      lockRun(dir),
      (e) =>
        e instanceof RunLockedError &&
        new RegExp(`being written by pid ${Deno.pid} on `).test(e.message),
    );
    await a.release();
    strictEqual(await pathExists(join(dir, LOCK_FILE)), false);
    const b = await lockRun(dir);
    strictEqual(b.tookOver, undefined);
    await b.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockRun: a lock file left by a process that died is taken over, naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock_" });
  try {
    await leaveStaleLock(dir, "elsewhere");
    const lock = await lockRun(dir);
    strictEqual(lock.tookOver, "pid 4000000 on elsewhere since 2026-01-01T00:00:00.000Z");
    ok((await Deno.readTextFile(lock.file)).includes(`"pid":${Deno.pid}`));
    await lock.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli train: a second writer of a run folder is one line naming the holder; a stale lock is taken over", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lock_run_" });
  try {
    const flags = [...TINY_TRAIN, "--extrapolate-steps", "0"];
    const first = await runCli("train", ...flags, "--steps", "1", "--out", dir);
    strictEqual(first.code, 0, first.stderr);
    strictEqual(await pathExists(join(dir, LOCK_FILE)), false, "the lock is released at the end");
    // another process holds the folder: a resume is refused before it touches anything
    const held = await lockRun(dir);
    try {
      const second = await runCli("train", "--resume", dir, "--steps", "2");
      strictEqual(second.code, 2, second.stderr);
      const lines = second.stderr.trim().split("\n");
      strictEqual(lines.length, 1, second.stderr);
      ok(new RegExp(`is being written by pid ${Deno.pid} on .* since `).test(lines[0]), lines[0]);
      ok(!(await pathExists(join(dir, "checkpoints", "step-0000002.ckpt"))));
    } finally {
      await held.release();
    }
    // a holder that died (SIGKILL leaves its lock file): the next resume takes over and says so
    await leaveStaleLock(dir, "gone");
    const third = await runCli("train", "--resume", dir, "--steps", "2");
    strictEqual(third.code, 0, third.stderr);
    ok(/took over the lock of pid 4000000 on gone/.test(third.stdout), third.stdout);
    ok(await pathExists(join(dir, "checkpoints", "step-0000002.ckpt")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
