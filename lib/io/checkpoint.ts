/**
 * Checkpoint files for every model, in the format of `checkpoint_codec.ts`: written atomically
 * (temp + rename), checked on load (the codec's checks, and the step in the file name), the last N
 * kept.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";
import {
  CheckpointError,
  checkpointName,
  checkpointStep,
  decodeCheckpoint,
  encodeCheckpoint,
  isFiniteCheckpoint,
  type StoredCheckpoint,
} from "./checkpoint_codec.ts";

export * from "./checkpoint_codec.ts";

/** node:crypto's SHA-256 (hardware-accelerated where the CPU has it): the same digest as sha256. */
const digest = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(bytes).digest());

/**
 * Saves a checkpoint into `dir` atomically as `step-N.ckpt` (N the meta's step), then deletes
 * all but the newest `keep`. A checkpoint holding a NaN or infinite value is refused (a
 * `RangeError`): a non-finite state must never become the newest checkpoint. Resolves to the
 * file written.
 *
 * @example
 * ```ts
 * import { listCheckpoints, loadLatestCheckpoint, saveCheckpoint } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * for (const step of [1, 2, 3]) {
 *   await saveCheckpoint(dir, { meta: { step }, tensors: [{ name: "w", shape: [1], values: Float32Array.of(step) }] }, 2);
 * }
 * strictEqual((await listCheckpoints(dir)).length, 2);
 * strictEqual((await loadLatestCheckpoint(dir)).meta.step, 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const saveCheckpoint = async (
  dir: string,
  checkpoint: StoredCheckpoint,
  keep = 3,
): Promise<string> => {
  if (!isFiniteCheckpoint(checkpoint)) {
    throw new RangeError(
      `refusing to checkpoint step ${checkpoint.meta.step}: it holds NaN or infinite values`,
    );
  }
  const file = join(dir, checkpointName(checkpoint.meta.step));
  await writeFileAtomic(file, encodeCheckpoint(checkpoint, digest));
  const all = await listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await Deno.remove(old);
  return file;
};

/**
 * Checkpoint files in `dir`, oldest first.
 *
 * @example
 * ```ts
 * import { listCheckpoints } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(await listCheckpoints("/no/such/dir"), []);
 * ```
 */
export const listCheckpoints = async (dir: string): Promise<string[]> => {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && checkpointStep(e.name) !== undefined) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort((a, b) => checkpointStep(a)! - checkpointStep(b)!).map((n) => join(dir, n));
};

/**
 * Loads one checkpoint file; the step in a `step-N.ckpt` name must be the step inside.
 *
 * @example
 * ```ts
 * import { CheckpointError, loadCheckpoint } from "@hamiltonian/hgn/io";
 * import { rejects } from "node:assert/strict";
 * await rejects(() => loadCheckpoint("/no/such.ckpt"), CheckpointError);
 * ```
 */
export const loadCheckpoint = async (file: string): Promise<StoredCheckpoint> => {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new CheckpointError(file, "not found");
    throw e;
  }
  const checkpoint = decodeCheckpoint(file, bytes, digest);
  const named = checkpointStep(basename(file));
  if (named !== undefined && named !== checkpoint.meta.step) {
    throw new CheckpointError(
      file,
      `the file name says step ${named} but it holds step ${checkpoint.meta.step} (renamed or copied over?)`,
    );
  }
  return checkpoint;
};

/**
 * The newest checkpoint file of `dir`; a `CheckpointError` if there is none.
 *
 * @example
 * ```ts
 * import { latestCheckpointFile } from "@hamiltonian/hgn/io";
 * import { rejects } from "node:assert/strict";
 * await rejects(() => latestCheckpointFile("/no/such/dir"), /no checkpoint/);
 * ```
 */
export const latestCheckpointFile = async (dir: string): Promise<string> => {
  const newest = (await listCheckpoints(dir)).at(-1);
  if (newest === undefined) throw new CheckpointError(dir, "no checkpoint (step-*.ckpt) found");
  return newest;
};

/**
 * Loads the newest checkpoint of `dir`; a `CheckpointError` if there is none. A damaged newest
 * checkpoint is an error too (never silently skipped for an older one).
 *
 * @example
 * ```ts
 * import { loadLatestCheckpoint } from "@hamiltonian/hgn/io";
 * import { rejects } from "node:assert/strict";
 * await rejects(() => loadLatestCheckpoint("/no/such/dir"), /no checkpoint/);
 * ```
 */
export const loadLatestCheckpoint = async (dir: string): Promise<StoredCheckpoint> =>
  loadCheckpoint(await latestCheckpointFile(dir));
