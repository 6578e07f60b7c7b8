/**
 * Checkpoint files for every model: named float32 tensors plus a JSON meta block, written
 * atomically (temp + rename), checked on load (magic, version, one SHA-256 over header and data,
 * shapes, the step in the file name), the last N kept. This module knows no model: the meta
 * block is any JSON object with an integer `step`.
 *
 * Layout: `HAMCKPT2`, a little-endian u32 header length, the JSON header (`format`, `version`,
 * `meta`, tensor table), the float32 data, then the 32-byte SHA-256 of everything before it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { writeFileAtomic } from "./atomic.ts";

/** The checkpoint format version this code writes and reads. */
export const CHECKPOINT_VERSION = 2;
const MAGIC = "HAMCKPT2";
const FORMAT = "hamiltonian-checkpoint";

/**
 * A checkpoint file is missing, truncated, corrupted or does not fit: names the file.
 *
 * @example
 * ```ts
 * import { CheckpointError } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new CheckpointError("a.ckpt", "corrupted").message, "a.ckpt: corrupted");
 * ```
 */
export class CheckpointError extends RangeError {
  override name = "CheckpointError";
  /** the offending file */
  readonly file: string;
  /** @param file the offending file @param message what is wrong with it */
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.file = file;
  }
}

/** A named tensor: its shape and float32 values. */
export interface StoredTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** What a checkpoint holds: a JSON meta block (with the integer `step`) and named tensors. */
export interface StoredCheckpoint<M extends { readonly step: number } = { readonly step: number }> {
  readonly meta: M;
  readonly tensors: readonly StoredTensor[];
}

interface Entry {
  readonly name: string;
  readonly shape: number[];
  readonly offset: number;
  readonly length: number;
}

interface Header {
  readonly format: string;
  readonly version: number;
  readonly meta: { readonly step: number };
  readonly tensors: Entry[];
}

const digest = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(bytes).digest());

/**
 * Encodes a checkpoint into bytes.
 *
 * @example
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * const ckpt = { meta: { step: 7, model: "m" }, tensors: [{ name: "w", shape: [2], values: Float32Array.of(1, 2) }] };
 * deepStrictEqual(decodeCheckpoint("mem", encodeCheckpoint(ckpt)), ckpt);
 * ```
 */
export const encodeCheckpoint = (checkpoint: StoredCheckpoint): Uint8Array => {
  const { meta, tensors } = checkpoint;
  if (!Number.isInteger(meta.step) || meta.step < 0) {
    throw new RangeError(`a checkpoint's meta needs an integer step >= 0, got ${meta.step}`);
  }
  const names = new Set<string>();
  const entries: Entry[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (names.has(t.name)) throw new RangeError(`tensor '${t.name}' appears twice`);
    names.add(t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.values.length) {
      throw new RangeError(
        `tensor '${t.name}': shape [${t.shape}] needs ${n} values, got ${t.values.length}`,
      );
    }
    entries.push({ name: t.name, shape: [...t.shape], offset, length: n });
    offset += n;
  }
  const header: Header = { format: FORMAT, version: CHECKPOINT_VERSION, meta, tensors: entries };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = 12 + json.length;
  const out = new Uint8Array(dataStart + offset * 4 + 32);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  const data = new Float32Array(offset);
  tensors.forEach((t, i) => data.set(t.values, entries[i].offset));
  out.set(new Uint8Array(data.buffer), dataStart);
  out.set(digest(out.subarray(0, out.length - 32)), out.length - 32);
  return out;
};

/**
 * Decodes checkpoint bytes; every inconsistency is a {@link CheckpointError} naming `file`.
 *
 * @example
 * ```ts
 * import { CheckpointError, decodeCheckpoint } from "@hamiltonian/hgn/io";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeCheckpoint("x.ckpt", new Uint8Array(4)), CheckpointError);
 * ```
 */
export const decodeCheckpoint = (file: string, bytes: Uint8Array): StoredCheckpoint => {
  const fail = (message: string): never => {
    throw new CheckpointError(file, message);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    fail(
      `not a checkpoint of this library (bad magic bytes; format v${CHECKPOINT_VERSION} expected)`,
    );
  }
  if (bytes.length < 44) fail("truncated (shorter than a header and checksum)");
  const sum = digest(bytes.subarray(0, bytes.length - 32));
  const stored = bytes.subarray(bytes.length - 32);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength + 32 > bytes.length) {
    fail("truncated (header runs past the end of the file)");
  }
  if (!sum.every((b, i) => b === stored[i])) {
    fail("corrupted or truncated: the SHA-256 of header and data does not match");
  }
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header.format !== FORMAT || header.version !== CHECKPOINT_VERSION) {
    fail(
      `checkpoint format ${header.format} v${header.version}; this version reads v${CHECKPOINT_VERSION}`,
    );
  }
  const body = bytes.slice(12 + headerLength, bytes.length - 32);
  const total = header.tensors.reduce((a, t) => a + t.length, 0);
  if (body.length !== total * 4) {
    fail(`${body.length} data bytes, the header lists ${total * 4}`);
  }
  const data = new Float32Array(body.buffer, body.byteOffset, total);
  return {
    meta: header.meta,
    tensors: header.tensors.map((e) => ({
      name: e.name,
      shape: e.shape,
      values: data.slice(e.offset, e.offset + e.length),
    })),
  };
};

/**
 * `step-0000123.ckpt`
 *
 * @example
 * ```ts
 * import { checkpointName } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(checkpointName(123), "step-0000123.ckpt");
 * ```
 */
export const checkpointName = (step: number): string =>
  `step-${String(step).padStart(7, "0")}.ckpt`;

const NAME = /^step-(\d+)\.ckpt$/;

/**
 * Whether every value of a checkpoint is finite (only finite states are worth keeping).
 *
 * @example
 * ```ts
 * import { isFiniteCheckpoint } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(isFiniteCheckpoint({ meta: { step: 0 }, tensors: [{ name: "w", shape: [1], values: Float32Array.of(NaN) }] }), false);
 * ```
 */
export const isFiniteCheckpoint = (checkpoint: StoredCheckpoint): boolean =>
  checkpoint.tensors.every((t) => t.values.every(Number.isFinite));

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
  await writeFileAtomic(file, encodeCheckpoint(checkpoint));
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
      if (e.isFile && NAME.test(e.name)) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort((a, b) => Number(NAME.exec(a)![1]) - Number(NAME.exec(b)![1])).map((n) =>
    join(dir, n)
  );
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
  const checkpoint = decodeCheckpoint(file, bytes);
  const named = NAME.exec(basename(file));
  if (named && Number(named[1]) !== checkpoint.meta.step) {
    throw new CheckpointError(
      file,
      `the file name says step ${
        Number(named[1])
      } but it holds step ${checkpoint.meta.step} (renamed or copied over?)`,
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
