// Dataset directories: write -> read round trip, determinism, corrupt files, the loader.
import { deepStrictEqual, notDeepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  DatasetError,
  datasetSpec,
  encodeShard,
  generatedBatches,
  generator,
} from "@hamiltonian/hgn/data";
import { batches, openDataset, readShard, sha256, writeDataset } from "@hamiltonian/hgn/io";

const spec = datasetSpec({ system: "pendulum", steps: 4, size: 8, seed: 21 });

const withDir = async (f: (dir: string) => Promise<void>) => {
  const dir = await Deno.makeTempDir({ prefix: "hgn_io_" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
};

const files = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...(await files(join(dir, e.name))).map((f) => `${e.name}/${f}`));
    else out.push(e.name);
  }
  return out.sort();
};

Deno.test("io: write -> read gives back the generator's examples, byte for byte", () =>
  withDir(async (dir) => {
    const m = await writeDataset({ out: dir, spec, train: 7, test: 3, shardSize: 3 });
    deepStrictEqual(await files(dir), [
      "manifest.json",
      "test/shard-00000.bin",
      "train/shard-00000.bin",
      "train/shard-00001.bin",
      "train/shard-00002.bin",
    ]);
    const ds = await openDataset(dir, { system: "pendulum", size: 8 });
    deepStrictEqual(ds.manifest, m);
    const gen = generator(spec);
    // on the fly = files: the shard bytes equal the encoded generator output
    const onTheFly = encodeShard(spec, [3, 4, 5].map((i) => gen.example("train", i)));
    deepStrictEqual(await Deno.readFile(join(dir, "train/shard-00001.bin")), onTheFly);
    strictEqual(m.splits.train.shards[1].sha256, sha256(onTheFly));
    const seen = new Map<number, Uint8Array>();
    for await (const b of batches(ds, "train", { batchSize: 2, shuffle: false })) {
      const per = b.pixels.length / b.size;
      b.indices.forEach((i, k) => seen.set(i, b.pixels.slice(k * per, (k + 1) * per)));
    }
    strictEqual(seen.size, 7);
    for (const [i, px] of seen) deepStrictEqual(px, gen.example("train", i).pixels);
    ok(m.accuracy.maxErrorEstimate <= 1e-9 && m.accuracy.maxErrorEstimate > 0);
    strictEqual(m.accuracy.maxExactError, null);
  }));

Deno.test("io: the same seed gives identical files and checksums, whatever the shard size", () =>
  withDir(async (dir) => {
    const a = await writeDataset({ out: join(dir, "a"), spec, train: 6, test: 2, shardSize: 3 });
    const b = await writeDataset({ out: join(dir, "b"), spec, train: 6, test: 2, shardSize: 3 });
    deepStrictEqual(a, b);
    deepStrictEqual(
      await Deno.readFile(join(dir, "a/manifest.json")),
      await Deno.readFile(join(dir, "b/manifest.json")),
    );
    const c = await writeDataset({ out: join(dir, "c"), spec, train: 6, test: 2, shardSize: 6 });
    const all = async (d: string) => {
      const out: Uint8Array[] = [];
      for await (
        const x of batches(await openDataset(d), "train", { batchSize: 1, shuffle: false })
      ) out.push(x.pixels);
      return out;
    };
    deepStrictEqual(await all(join(dir, "a")), await all(join(dir, "c")));
    notDeepStrictEqual(c.splits.train.shards[0].sha256, a.splits.train.shards[0].sha256);
    const other = await writeDataset({
      out: join(dir, "d"),
      spec: datasetSpec({ system: "pendulum", steps: 4, size: 8, seed: 22 }),
      train: 6,
      test: 2,
      shardSize: 3,
    });
    notDeepStrictEqual(other.splits.train.shards[0].sha256, a.splits.train.shards[0].sha256);
  }));

Deno.test("io: corrupt, truncated, missing and mismatched files are errors naming the file", () =>
  withDir(async (dir) => {
    await writeDataset({ out: dir, spec, train: 4, test: 2, shardSize: 2 });
    const shard = join(dir, "train/shard-00001.bin");
    const original = await Deno.readFile(shard);
    const manifestPath = join(dir, "manifest.json");
    const manifestText = await Deno.readTextFile(manifestPath);
    const expectError = async (
      what: string,
      file: string,
      pattern: RegExp,
      f: () => Promise<unknown>,
    ) => {
      await rejects(f, (e: unknown) => {
        ok(e instanceof DatasetError, `${what}: ${e}`);
        strictEqual(e.file, file, what);
        ok(e.message.startsWith(file), what);
        ok(pattern.test(e.message), `${what}: ${e.message}`);
        return true;
      });
    };
    // a flipped byte in the frames
    const flipped = original.slice();
    flipped[flipped.length - 10] ^= 1;
    await Deno.writeFile(shard, flipped);
    const ds = await openDataset(dir);
    await expectError("corrupt", shard, /corrupted: SHA-256/, () => readShard(ds, "train", 1));
    await expectError("corrupt in loader", shard, /corrupted/, async () => {
      for await (const _ of batches(ds, "train", { batchSize: 1 }));
    });
    // truncated
    await Deno.writeFile(shard, original.subarray(0, original.length - 100));
    await expectError(
      "truncated",
      shard,
      /truncated: \d+ bytes, the manifest says \d+/,
      () => openDataset(dir),
    );
    await expectError("truncated after open", shard, /truncated/, () => readShard(ds, "train", 1));
    // missing
    await Deno.remove(shard);
    await expectError(
      "missing",
      shard,
      /missing \(listed in the manifest\)/,
      () => openDataset(dir),
    );
    await Deno.writeFile(shard, original);
    // manifest: missing, not JSON, wrong version, edited spec, other settings than expected
    const edit = async (text: string) => await Deno.writeTextFile(manifestPath, text);
    await edit("{ not json");
    await expectError("bad json", manifestPath, /not valid JSON/, () => openDataset(dir));
    await edit(manifestText.replace('"version": 1', '"version": 2'));
    await expectError(
      "version",
      manifestPath,
      /format version 2; this library reads version 1/,
      () => openDataset(dir),
    );
    await edit(manifestText.replace('"g": 3', '"g": 9.81'));
    await expectError("edited spec", manifestPath, /spec does not match/, () => openDataset(dir));
    await edit(manifestText.replace('"std": 0.1', '"std": 0.3'));
    const edited = await openDataset(dir); // a valid spec on its own, but not the shards' one
    await expectError(
      "edited noise",
      join(dir, "train/shard-00000.bin"),
      /made with other settings than the manifest's spec/,
      () => readShard(edited, "train", 0),
    );
    await edit(manifestText);
    await expectError(
      "expectation",
      manifestPath,
      /dataset has size = 8, expected 32/,
      () => openDataset(dir, { size: 32 }),
    );
    // a shard from another dataset in place of this one: same size, other bytes and header
    await Deno.writeFile(shard, await Deno.readFile(join(dir, "train/shard-00000.bin")));
    await expectError(
      "swapped, unverified",
      shard,
      /header says first = 0, the manifest says 2/,
      async () => await readShard(await openDataset(dir), "train", 1, false),
    );
    await expectError(
      "swapped",
      shard,
      /corrupted/,
      async () => await readShard(await openDataset(dir), "train", 1),
    );
    await Deno.remove(manifestPath);
    await expectError(
      "no manifest",
      manifestPath,
      /not found: not a dataset directory/,
      () => openDataset(dir),
    );
  }));

Deno.test("io: an existing dataset is kept unless overwrite; overwriting removes stale shards; no temp files", () =>
  withDir(async (dir) => {
    await writeDataset({ out: dir, spec, train: 4, test: 1, shardSize: 1 });
    const before = await Deno.readTextFile(join(dir, "manifest.json"));
    await rejects(
      () => writeDataset({ out: dir, spec, train: 2, test: 1 }),
      /manifest\.json exists; choose another directory or pass --overwrite/,
    );
    strictEqual(await Deno.readTextFile(join(dir, "manifest.json")), before);
    await writeDataset({ out: dir, spec, train: 2, test: 1, shardSize: 2, overwrite: true });
    deepStrictEqual(await files(dir), [
      "manifest.json",
      "test/shard-00000.bin",
      "train/shard-00000.bin",
    ]);
    await openDataset(dir);
  }));

Deno.test("io: the loader shuffles by (seed, epoch), covers every example once, batches and drops", () =>
  withDir(async (dir) => {
    await writeDataset({ out: dir, spec, train: 11, test: 0, shardSize: 3 });
    const ds = await openDataset(dir);
    const order = async (o: Partial<Parameters<typeof batches>[2]>) => {
      const idx: number[] = [];
      const sizes: number[] = [];
      for await (const b of batches(ds, "train", { batchSize: 4, ...o })) {
        idx.push(...b.indices);
        sizes.push(b.size);
        strictEqual(b.pixels.length, b.size * 5 * 8 * 8 * 3);
        strictEqual(b.states.length, b.size * 5 * 2);
      }
      return { idx, sizes };
    };
    const a = await order({ seed: 1 });
    deepStrictEqual([...a.idx].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    deepStrictEqual(a.sizes, [4, 4, 3]);
    deepStrictEqual((await order({ seed: 1 })).idx, a.idx);
    notDeepStrictEqual((await order({ seed: 1, epoch: 1 })).idx, a.idx);
    notDeepStrictEqual((await order({ seed: 2 })).idx, a.idx);
    deepStrictEqual((await order({ shuffle: false })).idx, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    deepStrictEqual((await order({ seed: 1, dropLast: true })).sizes, [4, 4]);
    await rejects(async () => {
      for await (const _ of batches(ds, "train", { batchSize: 0 }));
    }, /batch size must be a positive integer/);
  }));

Deno.test("io: the file loader and on-the-fly generation give the same batches", () =>
  withDir(async (dir) => {
    await writeDataset({ out: dir, spec, train: 13, test: 0, shardSize: 3 });
    const ds = await openDataset(dir);
    for (
      const options of [{ batchSize: 4, seed: 7, epoch: 2 }, { batchSize: 5, bufferShards: 3 }]
    ) {
      const fromFiles = [];
      for await (const b of batches(ds, "train", options)) fromFiles.push(b);
      deepStrictEqual(fromFiles, [...generatedBatches(generator(spec), "train", 13, 3, options)]);
    }
  }));
