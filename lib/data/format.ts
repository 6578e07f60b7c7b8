/**
 * The dataset file format, as pure functions over bytes and JSON: binary shards (a fixed
 * header, then float64 states, observed states, energies and per-example accuracy, then uint8
 * frames) and the manifest that lists them. Reading checks everything and names the file.
 *
 * Shard layout (little endian), version 1:
 *
 * | offset | type | content |
 * |---|---|---|
 * | 0 | 8 bytes | magic `HGNSHARD` |
 * | 8 | u32 | format version |
 * | 12 | u32 | split (0 train, 1 test) |
 * | 16 | u32 | index of the first example |
 * | 20 | u32 | examples `n` |
 * | 24 | u32 | frames `T` |
 * | 28 | u32 | position coordinates `d` |
 * | 32 | u32 | image side `S` |
 * | 36 | u32 | channels (3) |
 * | 40 | 2 x u32 | {@link specHash} of the dataset spec |
 * | 48 | 16 bytes | zero |
 * | 64 | f64 `n x T x 2d` | exact states |
 * | | f64 `n x T x 2d` | observed (rendered) states |
 * | | f64 `n x T` | energies of the exact states |
 * | | f64 `n x 5` | substeps, error estimate, energy drift, exact error (NaN: none), resampled |
 * | | u8 `n x T x S x S x 3` | frames |
 *
 * @module
 */
import type { DatasetSpec, Example, Split } from "./dataset.ts";
import { SPLIT_INDEX } from "./dataset.ts";

/** The format version this library writes and reads. */
export const FORMAT_VERSION = 1;
/** The `format` field of every manifest. */
export const FORMAT_NAME = "hgn-dataset";
/** Bytes of a shard header. */
export const HEADER_BYTES = 64;
const MAGIC = "HGNSHARD";
const META = 5;

/**
 * A dataset file that is missing, truncated, corrupt, of another version or inconsistent with
 * its manifest. The message starts with the file's path. (A `RangeError`, so the CLI reports it
 * as one line.)
 */
export class DatasetError extends RangeError {
  override name = "DatasetError";
  /** the offending file */
  readonly file: string;
  /** @param file the offending file @param message what is wrong with it */
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.file = file;
  }
}

/** JSON with object keys sorted, so equal values give equal text. */
const canonical = (x: unknown): string =>
  Array.isArray(x)
    ? `[${x.map(canonical).join(",")}]`
    : x !== null && typeof x === "object"
    ? `{${
      Object.keys(x).sort().map((k) =>
        `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`
      ).join(",")
    }}`
    : JSON.stringify(x);

/**
 * A 64-bit fingerprint of a dataset spec (two FNV-1a hashes of its canonical JSON), as two
 * uint32s. Every shard carries it, so a shard and a manifest that disagree on any setting are
 * caught. Not cryptographic.
 *
 * @example
 * ```ts
 * import { datasetSpec, specHash } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(specHash(datasetSpec({ system: "pendulum" })), specHash(datasetSpec({ system: "pendulum" })));
 * notDeepStrictEqual(specHash(datasetSpec({ system: "pendulum" })), specHash(datasetSpec({ system: "pendulum", noiseStd: 0.3 })));
 * ```
 */
export const specHash = (spec: DatasetSpec): [number, number] => {
  const text = canonical(spec);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c ^ (i & 0xff), 0x01000193);
  }
  return [a >>> 0, b >>> 0];
};

/** The shape of one shard's contents. */
export interface ShardShape {
  readonly count: number;
  readonly frames: number;
  readonly dim: number;
  readonly size: number;
}

/**
 * Bytes of a shard of the given shape.
 *
 * @example
 * ```ts
 * import { shardBytes } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(shardBytes({ count: 1, frames: 1, dim: 1, size: 8 }), 64 + 8 * (2 + 2 + 1 + 5) + 192);
 * ```
 */
export const shardBytes = ({ count, frames, dim, size }: ShardShape): number =>
  HEADER_BYTES + 8 * count * (frames * 2 * dim * 2 + frames + META) +
  count * frames * size * size * 3;

/** The decoded contents of a shard: views into its bytes. */
export interface Shard {
  readonly split: Split;
  readonly first: number;
  readonly count: number;
  readonly frames: number;
  readonly dim: number;
  readonly size: number;
  /** `count x frames x 2 dim` */
  readonly states: Float64Array;
  /** `count x frames x 2 dim` */
  readonly observed: Float64Array;
  /** `count x frames` */
  readonly energies: Float64Array;
  /** `count x 5`: substeps, error estimate, energy drift, exact error, resampled */
  readonly meta: Float64Array;
  /** `count x frames x size x size x 3` */
  readonly pixels: Uint8Array;
}

const layout = (s: ShardShape) => {
  const stateLen = s.count * s.frames * 2 * s.dim;
  const states = HEADER_BYTES;
  const observed = states + 8 * stateLen;
  const energies = observed + 8 * stateLen;
  const meta = energies + 8 * s.count * s.frames;
  const pixels = meta + 8 * s.count * META;
  return { stateLen, states, observed, energies, meta, pixels };
};

/**
 * Encodes consecutive examples (indices `first ..`) of one split into a shard. Laws:
 * `decodeShard(encodeShard(spec, xs))` returns the same values; encoding is deterministic.
 *
 * @example
 * ```ts
 * import { datasetSpec, decodeShard, encodeShard, generator } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * const spec = datasetSpec({ system: "mass-spring", steps: 3, size: 8 });
 * const ex = [0, 1].map((i) => generator(spec).example("train", i));
 * const shard = decodeShard(encodeShard(spec, ex), "mem", { spec, split: "train", first: 0, count: 2 });
 * deepStrictEqual(shard.pixels.subarray(0, ex[0].pixels.length), ex[0].pixels);
 * ```
 */
export const encodeShard = (spec: DatasetSpec, examples: readonly Example[]): Uint8Array => {
  if (examples.length === 0) throw new RangeError("encodeShard: no examples");
  const { split, index: first } = examples[0];
  examples.forEach((e, k) => {
    if (e.split !== split || e.index !== first + k) {
      throw new RangeError("encodeShard: examples must be consecutive indices of one split");
    }
  });
  const shape = {
    count: examples.length,
    frames: spec.frames,
    dim: spec.dim,
    size: spec.render.size,
  };
  const bytes = new Uint8Array(shardBytes(shape));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  [FORMAT_VERSION, SPLIT_INDEX[split], first, shape.count, shape.frames, shape.dim, shape.size, 3]
    .forEach((v, k) => view.setUint32(8 + 4 * k, v, true));
  const [h0, h1] = specHash(spec);
  view.setUint32(40, h0, true);
  view.setUint32(44, h1, true);
  const L = layout(shape);
  const per = spec.frames * 2 * spec.dim;
  const states = new Float64Array(bytes.buffer, L.states, L.stateLen);
  const observed = new Float64Array(bytes.buffer, L.observed, L.stateLen);
  const energies = new Float64Array(bytes.buffer, L.energies, shape.count * spec.frames);
  const meta = new Float64Array(bytes.buffer, L.meta, shape.count * META);
  const frameLen = spec.frames * spec.render.size * spec.render.size * 3;
  examples.forEach((e, k) => {
    if (e.states.length !== per || e.pixels.length !== frameLen) {
      throw new RangeError(`encodeShard: example ${e.index} does not match the spec's shape`);
    }
    states.set(e.states, k * per);
    observed.set(e.observed, k * per);
    energies.set(e.energies, k * spec.frames);
    meta.set([e.substeps, e.errorEstimate, e.energyDrift, e.exactError, e.resampled], k * META);
    bytes.set(e.pixels, L.pixels + k * frameLen);
  });
  return bytes;
};

/** What a shard must hold, from the manifest. */
export interface ShardExpectation {
  readonly spec: DatasetSpec;
  readonly split: Split;
  readonly first: number;
  readonly count: number;
}

/**
 * Decodes a shard's bytes, checking magic, version, header and length against what the
 * manifest expects; a {@link DatasetError} naming `file` on any mismatch. The arrays are views
 * into `bytes` when it is 8-byte aligned (copies otherwise).
 *
 * @example
 * ```ts
 * import { datasetSpec, decodeShard, DatasetError } from "@hamiltonian/hgn/data";
 * import { throws } from "node:assert/strict";
 * const spec = datasetSpec({ system: "pendulum" });
 * throws(() => decodeShard(new Uint8Array(10), "a.bin", { spec, split: "train", first: 0, count: 1 }), DatasetError);
 * ```
 */
export const decodeShard = (bytes: Uint8Array, file: string, expect: ShardExpectation): Shard => {
  const { spec } = expect;
  const fail = (msg: string): never => {
    throw new DatasetError(file, msg);
  };
  if (bytes.length < HEADER_BYTES) {
    fail(`truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  }
  let magic = "";
  for (let i = 0; i < MAGIC.length; i++) magic += String.fromCharCode(bytes[i]);
  if (magic !== MAGIC) {
    fail(`not a dataset shard (magic '${JSON.stringify(magic)}', expected '${MAGIC}')`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const u = (k: number) => view.getUint32(8 + 4 * k, true);
  const version = u(0);
  if (version !== FORMAT_VERSION) {
    fail(`format version ${version}; this library reads version ${FORMAT_VERSION}`);
  }
  const header = {
    split: u(1),
    first: u(2),
    count: u(3),
    frames: u(4),
    dim: u(5),
    size: u(6),
    channels: u(7),
  };
  const want = {
    split: SPLIT_INDEX[expect.split],
    first: expect.first,
    count: expect.count,
    frames: spec.frames,
    dim: spec.dim,
    size: spec.render.size,
    channels: 3,
  };
  for (const k of Object.keys(want) as (keyof typeof want)[]) {
    if (header[k] !== want[k]) {
      fail(`header says ${k} = ${header[k]}, the manifest says ${want[k]}`);
    }
  }
  const [h0, h1] = specHash(spec);
  if (view.getUint32(40, true) !== h0 || view.getUint32(44, true) !== h1) {
    fail(
      "made with other settings than the manifest's spec (the manifest was edited, or the shard belongs to another dataset)",
    );
  }
  const shape = { count: header.count, frames: header.frames, dim: header.dim, size: header.size };
  const expected = shardBytes(shape);
  if (bytes.length < expected) fail(`truncated: ${bytes.length} bytes, expected ${expected}`);
  if (bytes.length > expected) fail(`${bytes.length} bytes, expected ${expected} (trailing data)`);
  const buf = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const L = layout(shape);
  const f64 = (at: number, n: number) => new Float64Array(buf.buffer, buf.byteOffset + at, n);
  return {
    split: expect.split,
    first: header.first,
    count: header.count,
    frames: header.frames,
    dim: header.dim,
    size: header.size,
    states: f64(L.states, L.stateLen),
    observed: f64(L.observed, L.stateLen),
    energies: f64(L.energies, shape.count * shape.frames),
    meta: f64(L.meta, shape.count * META),
    pixels: buf.subarray(L.pixels, L.pixels + shape.count * shape.frames * shape.size ** 2 * 3),
  };
};

/** Accuracy figures of a shard or a dataset (maxima over its examples). */
export interface Accuracy {
  /** largest estimated ground-truth state error */
  readonly maxErrorEstimate: number;
  /** largest `|H(s_t) - H(s_0)|` */
  readonly maxEnergyDrift: number;
  /** largest difference from the closed-form solution; `null` when the system has none */
  readonly maxExactError: number | null;
  /** largest sub-steps per frame used */
  readonly maxSubsteps: number;
  /** draws rejected for not meeting the tolerance */
  readonly resampled: number;
}

/** One shard in the manifest. */
export interface ShardEntry {
  /** path relative to the dataset directory, e.g. `train/shard-00000.bin` */
  readonly file: string;
  readonly first: number;
  readonly count: number;
  readonly bytes: number;
  /** hex SHA-256 of the file */
  readonly sha256: string;
  readonly accuracy: Accuracy;
}

/** One split in the manifest. */
export interface SplitManifest {
  readonly count: number;
  readonly shardSize: number;
  readonly shards: readonly ShardEntry[];
}

/** The manifest of a dataset directory (`manifest.json`). */
export interface Manifest {
  readonly format: typeof FORMAT_NAME;
  readonly version: number;
  readonly spec: DatasetSpec;
  readonly splits: { readonly train: SplitManifest; readonly test: SplitManifest };
  readonly accuracy: Accuracy;
  readonly bytes: number;
}

/**
 * Combines accuracy figures (maxima; resampled counts add).
 *
 * @example
 * ```ts
 * import { accuracyOf, mergeAccuracy } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * const a = accuracyOf(Float64Array.of(8, 1e-12, 1e-14, NaN, 0));
 * strictEqual(mergeAccuracy([a, a]).maxSubsteps, 8);
 * ```
 */
export const mergeAccuracy = (xs: readonly Accuracy[]): Accuracy => ({
  maxErrorEstimate: Math.max(0, ...xs.map((x) => x.maxErrorEstimate)),
  maxEnergyDrift: Math.max(0, ...xs.map((x) => x.maxEnergyDrift)),
  maxExactError: xs.some((x) => x.maxExactError !== null)
    ? Math.max(0, ...xs.map((x) => x.maxExactError ?? 0))
    : null,
  maxSubsteps: Math.max(0, ...xs.map((x) => x.maxSubsteps)),
  resampled: xs.reduce((a, x) => a + x.resampled, 0),
});

/**
 * The accuracy figures of a shard from its `count x 5` meta block.
 *
 * @example
 * ```ts
 * import { accuracyOf } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(accuracyOf(Float64Array.of(8, 1e-12, 1e-14, 2e-12, 0)).maxExactError, 2e-12);
 * ```
 */
export const accuracyOf = (meta: Float64Array): Accuracy => {
  let sub = 0, err = 0, drift = 0, exact: number | null = null, res = 0;
  for (let k = 0; k < meta.length; k += META) {
    sub = Math.max(sub, meta[k]);
    err = Math.max(err, meta[k + 1]);
    drift = Math.max(drift, meta[k + 2]);
    if (!Number.isNaN(meta[k + 3])) exact = Math.max(exact ?? 0, meta[k + 3]);
    res += meta[k + 4];
  }
  return {
    maxErrorEstimate: err,
    maxEnergyDrift: drift,
    maxExactError: exact,
    maxSubsteps: sub,
    resampled: res,
  };
};

/**
 * Checks a parsed `manifest.json`: format name, version, the spec's shape, and that each
 * split's shards cover `0 .. count` in order with the right byte sizes. A {@link DatasetError}
 * naming `file` on the first problem.
 *
 * @example
 * ```ts
 * import { validateManifest } from "@hamiltonian/hgn/data";
 * import { throws } from "node:assert/strict";
 * throws(() => validateManifest({ format: "hgn-dataset", version: 99 }, "m.json"), /version 99/);
 * ```
 */
export const validateManifest = (json: unknown, file: string): Manifest => {
  const fail = (msg: string): never => {
    throw new DatasetError(file, msg);
  };
  if (typeof json !== "object" || json === null) fail("not a JSON object");
  const m = json as Record<string, unknown>;
  if (m.format !== FORMAT_NAME) fail(`format '${m.format}', expected '${FORMAT_NAME}'`);
  if (m.version !== FORMAT_VERSION) {
    fail(`format version ${m.version}; this library reads version ${FORMAT_VERSION}`);
  }
  const spec = m.spec as DatasetSpec | undefined;
  const isInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
  if (
    !spec || typeof spec.system !== "string" || !isInt(spec.frames) || !isInt(spec.dim) ||
    !isInt(spec.seed) || !spec.render || !isInt(spec.render.size) || spec.frames !== spec.steps + 1
  ) {
    fail("spec is missing or malformed (system, seed, steps, frames, dim, render.size)");
  }
  const s = spec as DatasetSpec;
  const splits = m.splits as Record<string, SplitManifest> | undefined;
  const allShards: ShardEntry[] = [];
  const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0;
  const checkAccuracy = (a: Accuracy | undefined, where: string) => {
    if (
      !a || !finite(a.maxErrorEstimate) || !finite(a.maxEnergyDrift) ||
      !(a.maxExactError === null || finite(a.maxExactError)) ||
      !(Number.isInteger(a.maxSubsteps) && a.maxSubsteps >= 1) || !isInt(a.resampled)
    ) {
      fail(`${where}: accuracy figures are missing or malformed`);
    }
  };
  for (const name of ["train", "test"] as const) {
    const sm = splits?.[name];
    if (!sm || !isInt(sm.count) || !isInt(sm.shardSize) || !Array.isArray(sm.shards)) {
      fail(`split '${name}' is missing or malformed`);
    }
    const split = sm as SplitManifest;
    let next = 0;
    split.shards.forEach((sh, k) => {
      if (typeof sh.file !== "string" || sh.file.includes("..") || sh.file.startsWith("/")) {
        fail(`${name} shard ${k}: bad file name ${JSON.stringify(sh.file)}`);
      }
      if (sh.first !== next || !isInt(sh.count) || sh.count < 1) {
        fail(
          `${name} shard ${k} (${sh.file}) starts at ${sh.first} with ${sh.count} examples; expected to start at ${next}`,
        );
      }
      const bytes = shardBytes({
        count: sh.count,
        frames: s.frames,
        dim: s.dim,
        size: s.render.size,
      });
      if (sh.bytes !== bytes) {
        fail(`${name} shard ${sh.file} lists ${sh.bytes} bytes; its shape needs ${bytes}`);
      }
      if (typeof sh.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sh.sha256)) {
        fail(`${name} shard ${sh.file} has no valid sha256`);
      }
      checkAccuracy(sh.accuracy, `${name} shard ${sh.file}`);
      next += sh.count;
      allShards.push(sh);
    });
    if (next !== split.count) {
      fail(`split '${name}' lists ${split.count} examples but its shards hold ${next}`);
    }
  }
  const total = allShards.reduce((a, sh) => a + sh.bytes, 0);
  if (m.bytes !== total) fail(`lists ${m.bytes} bytes in all; its shards hold ${total}`);
  checkAccuracy(m.accuracy as Accuracy | undefined, "dataset");
  if (allShards.length > 0) {
    const merged = mergeAccuracy(allShards.map((sh) => sh.accuracy));
    if (JSON.stringify(merged) !== JSON.stringify(m.accuracy)) {
      fail("the dataset's accuracy figures are not those of its shards");
    }
  }
  return m as unknown as Manifest;
};

/**
 * The default examples per shard: about 64 MiB of frames, rounded down to a multiple of 50.
 *
 * @example
 * ```ts
 * import { defaultShardSize } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(defaultShardSize(31, 32), 700);
 * ```
 */
export const defaultShardSize = (frames: number, size: number): number => {
  const per = frames * size * size * 3;
  const n = Math.floor(2 ** 26 / per);
  return n >= 100 ? n - (n % 50) : Math.max(1, n);
};

/**
 * The sizes of the shards `count` examples fill, `shardSize` at a time.
 *
 * @example
 * ```ts
 * import { shardSizes } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(shardSizes(5, 2), [2, 2, 1]);
 * ```
 */
export const shardSizes = (count: number, shardSize: number): number[] => {
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(shardSize) || shardSize < 1) {
    throw new RangeError(
      `count must be an integer >= 0 and shard size >= 1, got ${count}, ${shardSize}`,
    );
  }
  const sizes: number[] = [];
  for (let first = 0; first < count; first += shardSize) {
    sizes.push(Math.min(shardSize, count - first));
  }
  return sizes;
};
