/**
 * The checkpoint format as bytes, for every model and every place: named float32 tensors plus a
 * JSON meta block, checked on decode (magic, version, one SHA-256 over header and data, shapes).
 * Pure: no `Deno.*`, no `node:` module, so a browser page reads the very files `cli.ts train`
 * writes (`checkpoint.ts` adds the files: atomic writes, the newest N kept, the step in the name).
 * It knows no model: the meta block is any JSON object with an integer `step`.
 *
 * Layout: `HAMCKPT2`, a little-endian u32 header length, the JSON header (`format`, `version`,
 * `meta`, tensor table), the float32 data, then the 32-byte SHA-256 of everything before it.
 *
 * @module
 */
import { sha256Digest } from "../core/sha256.ts";

/** A SHA-256 implementation: the pure {@link sha256Digest} by default; Deno passes node:crypto's. */
export type Sha256 = (bytes: Uint8Array) => Uint8Array;

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
export const encodeCheckpoint = (
  checkpoint: StoredCheckpoint,
  digest: Sha256 = sha256Digest,
): Uint8Array => {
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
export const decodeCheckpoint = (
  file: string,
  bytes: Uint8Array,
  digest: Sha256 = sha256Digest,
): StoredCheckpoint => {
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
 * The step a checkpoint's file name says (`step-0000123.ckpt` -> 123), undefined for other names.
 *
 * @example
 * ```ts
 * import { checkpointStep } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(checkpointStep("step-0000123.ckpt"), 123);
 * strictEqual(checkpointStep("notes.txt"), undefined);
 * ```
 */
export const checkpointStep = (name: string): number | undefined => {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
};

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
