/**
 * Dataset directories: streamed, atomic writing of shards and manifest, and reading back with
 * every check (sizes, checksums, headers, manifest) and a seeded, shuffling, batching loader
 * that holds only a few shards in memory.
 *
 * Layout: `DIR/manifest.json`, `DIR/train/shard-00000.bin`, ..., `DIR/test/shard-00000.bin`, ...
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { epochPlan, type OrderOptions } from "../data/order.ts";
import { type Batch } from "../data/batches.ts";
import { type ExampleReader } from "../data/reader.ts";
import { defaultShardSize } from "../data/format.ts";
import {
  type DatasetConfig,
  type DatasetSpec,
  datasetSpec,
  generator,
  type Split,
} from "../data/dataset.ts";
import {
  accuracyOf,
  DatasetError,
  decodeShard,
  encodeShard,
  FORMAT_NAME,
  FORMAT_VERSION,
  type Manifest,
  mergeAccuracy,
  type Shard,
  shardBytes,
  type ShardEntry,
  validateManifest,
} from "../data/format.ts";
import { pathExists, writeFileAtomic, writeTextAtomic } from "./atomic.ts";

/** The manifest's file name inside a dataset directory. */
export const MANIFEST = "manifest.json";

/**
 * Hex SHA-256 of bytes.
 *
 * @example
 * ```ts
 * import { sha256 } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(sha256(new Uint8Array()).slice(0, 8), "e3b0c442");
 * ```
 */
export const sha256 = (bytes: Uint8Array): string =>
  createHash("sha256").update(bytes).digest("hex");

export { defaultShardSize } from "../data/format.ts";

/**
 * Removes the `*.tmp-PID-N` files that an interrupted writer of another process left in a
 * dataset directory (its own folders only); resolves to the files removed.
 *
 * @example
 * ```ts
 * import { removeStaleTemporaries } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * await Deno.mkdir(`${out}/train`);
 * await Deno.writeFile(`${out}/train/shard-00000.bin.tmp-1-3`, new Uint8Array(4));
 * deepStrictEqual(await removeStaleTemporaries(out), [`${out}/train/shard-00000.bin.tmp-1-3`]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export const removeStaleTemporaries = async (out: string): Promise<string[]> => {
  const removed: string[] = [];
  for (const dir of [out, join(out, "train"), join(out, "test"), join(out, "preview")]) {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) continue;
      throw e;
    }
    for (const e of entries) {
      const m = /\.tmp-(\d+)-\d+$/.exec(e.name);
      if (e.isFile && m && Number(m[1]) !== Deno.pid) {
        await Deno.remove(join(dir, e.name));
        removed.push(join(dir, e.name));
      }
    }
  }
  return removed;
};

/** What {@link writeDataset} needs. */
export interface WriteOptions {
  /** the dataset directory (created) */
  readonly out: string;
  /** the resolved spec (see `datasetSpec`) */
  readonly spec: DatasetSpec;
  /** train examples (paper: 50,000) */
  readonly train: number;
  /** test examples (paper: 10,000) */
  readonly test: number;
  /** examples per shard (default {@link defaultShardSize}) */
  readonly shardSize?: number;
  /** replace an existing dataset in `out` (default false: a `RangeError`) */
  readonly overwrite?: boolean;
  /** called after each shard with examples done and the total */
  readonly onProgress?: (done: number, total: number) => void;
}

const shardName = (split: Split, k: number) => `${split}/shard-${String(k).padStart(5, "0")}.bin`;

/** One shard of a dataset's plan: the split, its number in the split, its examples. */
interface PlannedShard {
  readonly split: Split;
  readonly k: number;
  readonly first: number;
  readonly count: number;
}

/** Every shard of a dataset, train then test, in the order a single writer makes them. */
const shardPlan = (train: number, test: number, shardSize: number): PlannedShard[] =>
  ([["train", train], ["test", test]] as const).flatMap(([split, count]) =>
    Array.from({ length: Math.ceil(count / shardSize) }, (_, k) => ({
      split,
      k,
      first: k * shardSize,
      count: Math.min(shardSize, count - k * shardSize),
    }))
  );

const checkCounts = (train: number, test: number, shardSize: number) => {
  for (const [k, v] of [["train", train], ["test", test]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31) {
      throw new RangeError(`${k} must be an integer in [0, 2^31], got ${v}`);
    }
  }
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new RangeError(`shard size must be a positive integer, got ${shardSize}`);
  }
};

const refuseRun = async (out: string) => {
  if (await pathExists(join(out, "config.json")) || await pathExists(join(out, "checkpoints"))) {
    throw new RangeError(`${out} holds a training run; choose another directory for the dataset`);
  }
};

/** Generates one planned shard, writes it atomically and describes it. */
const writeShard = async (
  out: string,
  spec: DatasetSpec,
  gen: ReturnType<typeof generator>,
  planned: PlannedShard,
): Promise<ShardEntry> => {
  const { split, first, count } = planned;
  const examples = Array.from({ length: count }, (_, j) => gen.example(split, first + j));
  const bytes = encodeShard(spec, examples);
  const file = shardName(split, planned.k);
  await writeFileAtomic(join(out, file), bytes);
  const meta = decodeShard(bytes, file, { spec, split, first, count }).meta;
  return {
    file,
    first,
    count,
    bytes: bytes.length,
    sha256: sha256(bytes),
    accuracy: accuracyOf(meta),
  };
};

/** The manifest of a dataset from its shard entries, in plan order. */
const manifestOf = (
  spec: DatasetSpec,
  train: number,
  test: number,
  shardSize: number,
  entries: readonly ShardEntry[],
): Manifest => {
  const of = (split: Split) => entries.filter((e) => e.file.startsWith(`${split}/`));
  const splits = {
    train: { count: train, shardSize, shards: of("train") },
    test: { count: test, shardSize, shards: of("test") },
  };
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    spec,
    splits,
    accuracy: mergeAccuracy(entries.map((s) => s.accuracy)),
    bytes: entries.reduce((a, s) => a + s.bytes, 0),
  };
};

/** Writes the manifest, then removes shards of a replaced dataset that it does not list. */
const finishDataset = async (out: string, manifest: Manifest): Promise<void> => {
  await writeTextAtomic(join(out, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  const keep = new Set(
    [...manifest.splits.train.shards, ...manifest.splits.test.shards].map((s) => s.file),
  );
  for (const split of ["train", "test"] as const) {
    if (!await pathExists(join(out, split))) continue;
    for await (const e of Deno.readDir(join(out, split))) {
      if (/^shard-\d+\.bin$/.test(e.name) && !keep.has(`${split}/${e.name}`)) {
        await Deno.remove(join(out, split, e.name));
      }
    }
  }
};

/**
 * Generates and writes a dataset, shard by shard: only one shard is ever in memory, each shard
 * and then the manifest are written atomically, so a reader never sees a manifest whose shards
 * are incomplete: an interrupted run leaves no manifest (or, without `overwrite`, the untouched
 * previous dataset is refused up front). An existing dataset is refused unless `overwrite`,
 * which removes the old manifest first; shards of a replaced dataset that the new one does not
 * list are removed after the new manifest is written. Resolves to the manifest.
 *
 * @example
 * ```ts
 * import { datasetSpec } from "@hamiltonian/hgn/data";
 * import { openDataset, writeDataset } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * const spec = datasetSpec({ system: "pendulum", steps: 3, size: 8 });
 * await writeDataset({ out, spec, train: 3, test: 1, shardSize: 2 });
 * strictEqual((await openDataset(out)).manifest.splits.train.shards.length, 2);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export const writeDataset = async (options: WriteOptions): Promise<Manifest> => {
  const { out, spec, train, test } = options;
  const shardSize = options.shardSize ?? defaultShardSize(spec.frames, spec.render.size);
  checkCounts(train, test, shardSize);
  const manifestPath = join(out, MANIFEST);
  await refuseRun(out);
  await removeStaleTemporaries(out);
  if (!options.overwrite && await pathExists(manifestPath)) {
    throw new RangeError(`${manifestPath} exists; choose another directory or pass --overwrite`);
  }
  // An interrupted overwrite must not leave the old manifest listing half-replaced shards.
  if (options.overwrite) await Deno.remove(manifestPath).catch(() => {});
  const gen = generator(spec);
  const entries: ShardEntry[] = [];
  let done = 0;
  for (const planned of shardPlan(train, test, shardSize)) {
    entries.push(await writeShard(out, spec, gen, planned));
    done += planned.count;
    options.onProgress?.(done, train + test);
  }
  const manifest = manifestOf(spec, train, test, shardSize, entries);
  await finishDataset(out, manifest);
  return manifest;
};

/** The folder of a dataset directory where parts record their shards until the merge. */
export const PARTS = "parts";

/** What a part of a dataset records in `DIR/parts/part-I-of-N.json`. */
export interface PartRecord {
  readonly part: number;
  readonly of: number;
  readonly spec: DatasetSpec;
  readonly train: number;
  readonly test: number;
  readonly shardSize: number;
  readonly shards: readonly ShardEntry[];
}

const partFile = (part: number, of: number) => `part-${part}-of-${of}.json`;

/**
 * Writes part `part` (0-based) of `of` of a dataset: the shards `k` of the single writer's plan
 * (train shards, then test shards) with `k mod of = part`, each atomically, and a record of them
 * in `DIR/parts/`. Parts are independent processes that may share `DIR` (a shared volume on a
 * cluster); {@link mergeDatasetParts} then writes the manifest, making the same bytes as
 * {@link writeDataset}. A part never removes another process's files; a `DIR` that holds a
 * finished dataset is refused.
 *
 * @example
 * ```ts
 * import { datasetSpec } from "@hamiltonian/hgn/data";
 * import { mergeDatasetParts, openDataset, writeDatasetPart } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * const spec = datasetSpec({ system: "pendulum", steps: 3, size: 8 });
 * await Promise.all([0, 1].map((part) => writeDatasetPart({ out, spec, train: 3, test: 1, shardSize: 2 }, part, 2)));
 * await mergeDatasetParts(out);
 * strictEqual((await openDataset(out)).manifest.splits.train.shards.length, 2);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export const writeDatasetPart = async (
  options: Omit<WriteOptions, "overwrite">,
  part: number,
  of: number,
): Promise<PartRecord> => {
  const { out, spec, train, test } = options;
  if (!Number.isInteger(of) || of < 1 || !Number.isInteger(part) || part < 0 || part >= of) {
    throw new RangeError(`a part is I/N with 0 <= I < N, got ${part}/${of}`);
  }
  const shardSize = options.shardSize ?? defaultShardSize(spec.frames, spec.render.size);
  checkCounts(train, test, shardSize);
  await refuseRun(out);
  if (await pathExists(join(out, MANIFEST))) {
    throw new RangeError(`${join(out, MANIFEST)} exists: the dataset is already whole`);
  }
  const gen = generator(spec);
  const mine = shardPlan(train, test, shardSize).filter((_, k) => k % of === part);
  const total = mine.reduce((a, p) => a + p.count, 0);
  const shards: ShardEntry[] = [];
  let done = 0;
  for (const planned of mine) {
    shards.push(await writeShard(out, spec, gen, planned));
    done += planned.count;
    options.onProgress?.(done, total);
  }
  const record: PartRecord = { part, of, spec, train, test, shardSize, shards };
  await Deno.mkdir(join(out, PARTS), { recursive: true });
  await writeTextAtomic(
    join(out, PARTS, partFile(part, of)),
    JSON.stringify(record, null, 2) + "\n",
  );
  return record;
};

/**
 * Joins the parts of a dataset in `out` (see {@link writeDatasetPart}): checks that every part
 * of the same plan is there, that each shard file still has the size and checksum its part
 * recorded, then writes the manifest (the same bytes as a single {@link writeDataset}) and
 * removes `parts/`. A missing part, or parts of different plans, is a `RangeError` naming it.
 */
export const mergeDatasetParts = async (out: string): Promise<Manifest> => {
  let names: string[];
  try {
    names = (await Array.fromAsync(Deno.readDir(join(out, PARTS)))).map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new RangeError(`${join(out, PARTS)} not found: no parts to merge in ${out}`);
    }
    throw e;
  }
  const records: PartRecord[] = [];
  for (const name of names.filter((n) => /^part-\d+-of-\d+\.json$/.test(n)).sort()) {
    records.push(JSON.parse(await Deno.readTextFile(join(out, PARTS, name))));
  }
  if (records.length === 0) throw new RangeError(`${join(out, PARTS)} holds no part records`);
  const first = records[0];
  const plan = JSON.stringify([first.of, first.spec, first.train, first.test, first.shardSize]);
  for (const r of records) {
    if (JSON.stringify([r.of, r.spec, r.train, r.test, r.shardSize]) !== plan) {
      throw new RangeError(
        `${partFile(r.part, r.of)} belongs to another dataset than ${
          partFile(first.part, first.of)
        }`,
      );
    }
  }
  const missing = Array.from({ length: first.of }, (_, i) => i).filter((i) =>
    !records.some((r) => r.part === i)
  );
  if (missing.length > 0) {
    throw new RangeError(
      `parts ${missing.map((i) => `${i}/${first.of}`).join(", ")} are missing in ${
        join(out, PARTS)
      }`,
    );
  }
  const byFile = new Map(records.flatMap((r) => r.shards.map((s) => [s.file, s] as const)));
  const entries = shardPlan(first.train, first.test, first.shardSize).map((p) => {
    const entry = byFile.get(shardName(p.split, p.k));
    if (!entry) throw new RangeError(`no part wrote ${shardName(p.split, p.k)}`);
    return entry;
  });
  for (const e of entries) {
    const bytes = await Deno.readFile(join(out, e.file));
    if (bytes.length !== e.bytes || sha256(bytes) !== e.sha256) {
      throw new RangeError(`${join(out, e.file)} changed since its part wrote it`);
    }
  }
  await removeStaleTemporaries(out);
  const manifest = manifestOf(first.spec, first.train, first.test, first.shardSize, entries);
  await finishDataset(out, manifest);
  await Deno.remove(join(out, PARTS), { recursive: true });
  return manifest;
};

/** An opened, checked dataset directory. */
export interface Dataset {
  readonly dir: string;
  readonly manifest: Manifest;
}

/**
 * Opens a dataset directory: reads and validates the manifest, checks that every listed shard
 * exists with the listed size, and, when `expect` is given, that the dataset was made with those
 * settings (e.g. `{ system: "pendulum", size: 32 }`). A {@link DatasetError} naming the file on
 * any problem; nothing is skipped.
 *
 * @example
 * ```ts ignore
 * import { openDataset } from "@hamiltonian/hgn/io";
 * const ds = await openDataset("data/pendulum", { system: "pendulum", size: 32 });
 * ```
 */
export const openDataset = async (
  dir: string,
  expect: Partial<Pick<DatasetConfig, "system" | "size" | "steps" | "dt" | "seed">> = {},
): Promise<Dataset> => {
  const path = join(dir, MANIFEST);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DatasetError(path, "not found: not a dataset directory (run 'cli.ts generate')");
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(path, `not valid JSON (${(e as Error).message})`);
  }
  const manifest = validateManifest(json, path);
  const spec = manifest.spec;
  const actual: Record<string, unknown> = {
    system: spec.system,
    size: spec.render.size,
    steps: spec.steps,
    dt: spec.dt,
    seed: spec.seed,
  };
  for (const [k, v] of Object.entries(expect)) {
    if (v !== undefined && actual[k] !== v) {
      throw new DatasetError(path, `dataset has ${k} = ${actual[k]}, expected ${v}`);
    }
  }
  let rebuilt: DatasetSpec;
  try {
    rebuilt = datasetSpec({
      system: spec.system,
      seed: spec.seed,
      dt: spec.dt,
      steps: spec.steps,
      noiseStd: spec.noise?.std,
      noiseMode: spec.noise?.mode,
      tolerance: spec.tolerance,
      substeps: spec.substeps,
      size: spec.render.size,
      radius: spec.render.radius,
      sharpness: spec.render.sharpness,
    });
  } catch (e) {
    throw new DatasetError(path, `spec is not valid: ${(e as Error).message}`);
  }
  if (JSON.stringify(rebuilt) !== JSON.stringify(spec)) {
    throw new DatasetError(
      path,
      "spec does not match what this library makes of its own settings (edited, or another library version)",
    );
  }
  for (const split of ["train", "test"] as const) {
    for (const sh of manifest.splits[split].shards) {
      const file = join(dir, sh.file);
      let size: number;
      try {
        size = (await Deno.stat(file)).size;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw new DatasetError(file, "missing (listed in the manifest)");
        }
        throw e;
      }
      if (size !== sh.bytes) {
        throw new DatasetError(
          file,
          `${size < sh.bytes ? "truncated: " : ""}${size} bytes, the manifest says ${sh.bytes}`,
        );
      }
    }
  }
  return { dir, manifest };
};

/**
 * Reads shard `k` of a split, checking its size, SHA-256 (unless `verify` is false) and header
 * against the manifest; a {@link DatasetError} naming the file otherwise.
 *
 * @example
 * ```ts ignore
 * import { openDataset, readShard } from "@hamiltonian/hgn/io";
 * const shard = await readShard(await openDataset("data/pendulum"), "train", 0);
 * ```
 */
export const readShard = async (
  ds: Dataset,
  split: Split,
  k: number,
  verify = true,
): Promise<Shard> => {
  const entries = ds.manifest.splits[split].shards;
  const sh = entries[k];
  if (!sh) throw new RangeError(`${split} has ${entries.length} shards; no shard ${k}`);
  const file = join(ds.dir, sh.file);
  const bytes = await Deno.readFile(file);
  if (bytes.length !== sh.bytes) {
    throw new DatasetError(
      file,
      `${
        bytes.length < sh.bytes ? "truncated: " : ""
      }${bytes.length} bytes, the manifest says ${sh.bytes}`,
    );
  }
  if (verify) {
    const got = sha256(bytes);
    if (got !== sh.sha256) {
      throw new DatasetError(
        file,
        `corrupted: SHA-256 ${got.slice(0, 16)}..., the manifest says ${sh.sha256.slice(0, 16)}...`,
      );
    }
  }
  return decodeShard(bytes, file, {
    spec: ds.manifest.spec,
    split,
    first: sh.first,
    count: sh.count,
  });
};

/** Settings of {@link batches}: the epoch order (see `epochPlan`) and checksum checking. */
export interface LoaderOptions extends OrderOptions {
  /** check each shard's SHA-256 when read (default true) */
  readonly verify?: boolean;
}

/**
 * Streams a split as batches in the order of `epochPlan` (a seeded function of `(seed, epoch)`
 * with `shuffle`, the default: shards in a random order, `bufferShards` at a time, examples
 * shuffled within that window), holding only the shards the plan has live. Every example
 * appears exactly once per epoch (the last batch may be smaller unless `dropLast`). The batches
 * equal `generatedBatches` of `@hamiltonian/hgn/data` for the same spec, sizes and options.
 *
 * @example
 * ```ts
 * import { datasetSpec } from "@hamiltonian/hgn/data";
 * import { batches, openDataset, writeDataset } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * await writeDataset({ out, spec: datasetSpec({ system: "mass-spring", steps: 2, size: 8 }), train: 5, test: 0, shardSize: 2 });
 * const seen: number[] = [];
 * for await (const b of batches(await openDataset(out), "train", { batchSize: 2 })) seen.push(...b.indices);
 * deepStrictEqual(seen.sort(), [0, 1, 2, 3, 4]);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function* batches(
  ds: Dataset,
  split: Split,
  options: LoaderOptions,
): AsyncGenerator<Batch> {
  const spec = ds.manifest.spec;
  const entries = ds.manifest.splits[split].shards;
  const plan = epochPlan(entries.map((e) => e.count), split, spec.seed, options);
  const live = new Map<number, Shard>();
  for (const step of plan) {
    for (const k of step.load) live.set(k, await readShard(ds, split, k, options.verify ?? true));
    for (const batch of step.batches) yield gather(spec, [...live.values()], batch);
    for (const k of step.done) live.delete(k);
  }
}

/** Stacks the examples at `indices` out of loaded shards. */
const gather = (spec: DatasetSpec, shards: readonly Shard[], indices: readonly number[]): Batch => {
  const stateLen = spec.frames * 2 * spec.dim;
  const pixLen = spec.frames * spec.render.size ** 2 * 3;
  const n = indices.length;
  const b = {
    size: n,
    indices: Uint32Array.from(indices),
    pixels: new Uint8Array(n * pixLen),
    states: new Float64Array(n * stateLen),
    observed: new Float64Array(n * stateLen),
    energies: new Float64Array(n * spec.frames),
  };
  indices.forEach((index, k) => {
    const sh = shards.find((s) => index >= s.first && index < s.first + s.count);
    if (!sh) throw new Error(`loader: example ${index} is not in a loaded shard (a bug)`);
    const j = index - sh.first;
    b.pixels.set(sh.pixels.subarray(j * pixLen, (j + 1) * pixLen), k * pixLen);
    b.states.set(sh.states.subarray(j * stateLen, (j + 1) * stateLen), k * stateLen);
    b.observed.set(sh.observed.subarray(j * stateLen, (j + 1) * stateLen), k * stateLen);
    b.energies.set(sh.energies.subarray(j * spec.frames, (j + 1) * spec.frames), k * spec.frames);
  });
  return b;
};

/**
 * An {@link ExampleReader} over a dataset directory: loads the shards a batch needs (each checked
 * as {@link readShard} does, once), keeping the `cache` most recently used (default 4; the
 * training order visits shards a window at a time, so this stays small).
 *
 * @example
 * ```ts
 * import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
 * import { datasetReader, openDataset, writeDataset } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * const spec = datasetSpec({ system: "mass-spring", steps: 2, size: 8 });
 * const out = await Deno.makeTempDir();
 * await writeDataset({ out, spec, train: 5, test: 0, shardSize: 2 });
 * const files = datasetReader(await openDataset(out));
 * const generated = generatedReader(generator(spec), { train: 5, test: 0 }, 2);
 * deepStrictEqual((await files.batch("train", [4, 1])).pixels, (await generated.batch("train", [4, 1])).pixels);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export const datasetReader = (ds: Dataset, cache = 4, verify = true): ExampleReader => {
  const spec = ds.manifest.spec;
  const loaded = new Map<string, Shard>();
  const shardFor = async (split: Split, index: number): Promise<Shard> => {
    const entries = ds.manifest.splits[split].shards;
    const k = entries.findIndex((e) => index >= e.first && index < e.first + e.count);
    if (k < 0 || !Number.isInteger(index)) {
      throw new RangeError(
        `${split} has ${ds.manifest.splits[split].count} examples; no example ${index}`,
      );
    }
    const key = `${split}/${k}`;
    let sh = loaded.get(key);
    if (sh) {
      loaded.delete(key);
    } else {
      sh = await readShard(ds, split, k, verify);
      if (loaded.size >= cache) loaded.delete(loaded.keys().next().value!);
    }
    loaded.set(key, sh);
    return sh;
  };
  return {
    spec,
    shardSizes: (split) => ds.manifest.splits[split].shards.map((e) => e.count),
    batch: async (split, indices) => {
      const shards = [];
      for (const i of indices) shards.push(await shardFor(split, i));
      return gather(spec, shards, indices);
    },
  };
};

/**
 * Bytes a dataset of this spec and these sizes takes on disk (shards only; the manifest adds a
 * few kilobytes).
 *
 * @example
 * ```ts
 * import { datasetSpec } from "@hamiltonian/hgn/data";
 * import { datasetBytes } from "@hamiltonian/hgn/io";
 * import { ok } from "node:assert/strict";
 * const gb = datasetBytes(datasetSpec({ system: "pendulum", size: 32 }), 50000, 10000, 700) / 1e9;
 * ok(gb > 5.7 && gb < 5.9);
 * ```
 */
export const datasetBytes = (
  spec: DatasetSpec,
  train: number,
  test: number,
  shardSize: number,
): number => {
  let total = 0;
  for (const count of [train, test]) {
    for (let first = 0; first < count; first += shardSize) {
      total += shardBytes({
        count: Math.min(shardSize, count - first),
        frames: spec.frames,
        dim: spec.dim,
        size: spec.render.size,
      });
    }
  }
  return total;
};
