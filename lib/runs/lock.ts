/**
 * One writer per run folder: `lockRun(dir)` holds an exclusive advisory lock (flock) on
 * `DIR/run.lock`, whose text names the holder (pid, host, start time). The operating system drops
 * the lock when its process dies, so a lock file whose lock is free but whose text names a process
 * was left by one that stopped without releasing it: the next writer takes it over and says so.
 *
 * @module
 */
import { join } from "node:path";

/** The lock file's name inside a run folder. */
export const LOCK_FILE = "run.lock";

/** A second writer of a run folder: the message names the holder. */
export class RunLockedError extends RangeError {
  /** @param dir the run folder, @param holder who holds it, e.g. `pid 12 on host a since ...` */
  constructor(readonly dir: string, readonly holder: string) {
    super(`${dir} is being written by ${holder}; wait for it to finish or stop it`);
    this.name = "RunLockedError";
  }
}

/** A held lock. */
export interface RunLock {
  /** the lock file */
  readonly file: string;
  /** the holder a stale lock named, when this one took it over */
  readonly tookOver?: string;
  /** releases the lock and removes the file; idempotent */
  readonly release: () => Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

const hostName = (): string => {
  try {
    return Deno.hostname();
  } catch {
    return "an unknown host"; // --allow-sys=hostname not granted
  }
};

const describe = (text: string): string => {
  try {
    const h = JSON.parse(text) as Holder;
    return `pid ${h.pid} on ${h.host} since ${h.since}`;
  } catch {
    return "an unknown process";
  }
};

/**
 * Takes the run folder's lock or throws {@link RunLockedError} naming the holder (never waits).
 * The folder must exist.
 *
 * @example
 * ```ts
 * import { lockRun, RunLockedError } from "@hamiltonian/hgn/runs";
 * import { ok, rejects } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const lock = await lockRun(dir);
 * ok(lock.tookOver === undefined);
 * await lock.release();
 * await (await lockRun(dir)).release(); // free again
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const lockRun = async (dir: string): Promise<RunLock> => {
  const file = join(dir, LOCK_FILE);
  // A file removed by its releasing holder between our open and our lock is not the lock any
  // more: check the path still names the inode we locked, else try again.
  for (let attempt = 0; attempt < 8; attempt++) {
    const f = await Deno.open(file, { read: true, write: true, create: true });
    if (!(await f.tryLock(true))) {
      const text = await Deno.readTextFile(file).catch(() => "");
      f.close();
      throw new RunLockedError(dir, describe(text));
    }
    const [mine, named] = await Promise.all([
      f.stat(),
      Deno.stat(file).catch(() => undefined),
    ]);
    if (named === undefined || named.ino !== mine.ino) {
      f.close();
      continue;
    }
    const old = new TextDecoder().decode(await Deno.readFile(file)).trim();
    const holder: Holder = { pid: Deno.pid, host: hostName(), since: new Date().toISOString() };
    try {
      await f.truncate(0);
      await f.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
    } catch (e) {
      // e.g. a full disk: leave no lock behind
      await Deno.remove(file).catch(() => {});
      f.close();
      throw e;
    }
    let released = false;
    return {
      file,
      tookOver: old === "" ? undefined : describe(old),
      release: async () => {
        if (released) return;
        released = true;
        await Deno.remove(file).catch(() => {});
        f.close(); // closing drops the lock
      },
    };
  }
  throw new RunLockedError(dir, "processes that keep taking and releasing it");
};

/**
 * Runs `f` holding the run folder's lock, released however `f` ends; `onTakeOver` hears of a
 * stale lock taken over.
 *
 * @example
 * ```ts
 * import { withRunLock } from "@hamiltonian/hgn/runs";
 * import { strictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * strictEqual(await withRunLock(dir, async () => 42), 42);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const withRunLock = async <T>(
  dir: string,
  f: () => Promise<T>,
  onTakeOver?: (holder: string) => void,
): Promise<T> => {
  const lock = await lockRun(dir);
  if (lock.tookOver !== undefined) onTakeOver?.(lock.tookOver);
  try {
    return await f();
  } finally {
    await lock.release();
  }
};
