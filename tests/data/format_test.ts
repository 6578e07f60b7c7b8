// The shard format and the manifest check: round trip, and every kind of bad file rejected by name.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  DatasetError,
  datasetSpec,
  decodeShard,
  encodeShard,
  FORMAT_VERSION,
  generator,
  shardBytes,
  type ShardExpectation,
  validateManifest,
} from "@hamiltonian/hgn/data";

const spec = datasetSpec({ system: "two-body", steps: 3, size: 8 });
const gen = generator(spec);
const examples = [5, 6, 7].map((i) => gen.example("test", i));
const bytes = encodeShard(spec, examples);
const expect: ShardExpectation = { spec, split: "test", first: 5, count: 3 };

Deno.test("format: encode -> decode gives back every array", () => {
  strictEqual(bytes.length, shardBytes({ count: 3, frames: 4, dim: 4, size: 8 }));
  const shard = decodeShard(bytes, "s.bin", expect);
  strictEqual(shard.first, 5);
  const per = 4 * 8;
  examples.forEach((e, k) => {
    deepStrictEqual(shard.states.slice(k * per, (k + 1) * per), e.states);
    deepStrictEqual(shard.observed.slice(k * per, (k + 1) * per), e.observed);
    deepStrictEqual(shard.energies.slice(k * 4, (k + 1) * 4), e.energies);
    deepStrictEqual(shard.pixels.slice(k * e.pixels.length, (k + 1) * e.pixels.length), e.pixels);
    deepStrictEqual([...shard.meta.slice(k * 5, k * 5 + 5)], [
      e.substeps,
      e.errorEstimate,
      e.energyDrift,
      e.exactError,
      e.resampled,
    ]);
  });
  // an unaligned copy decodes to the same values
  const shifted = new Uint8Array(bytes.length + 1).subarray(1);
  shifted.set(bytes);
  deepStrictEqual(decodeShard(shifted, "s.bin", expect).states, shard.states);
});

Deno.test("format: truncated, foreign, other-version and mismatched shards are rejected by name", () => {
  const cases: [Uint8Array, typeof expect, RegExp][] = [
    [bytes.subarray(0, bytes.length - 1), expect, /^s\.bin: truncated: \d+ bytes, expected \d+/],
    [
      bytes.subarray(0, 20),
      expect,
      /^s\.bin: truncated: 20 bytes, shorter than the 64-byte header/,
    ],
    [new Uint8Array([...bytes, 0]), expect, /^s\.bin: \d+ bytes, expected \d+ \(trailing data\)/],
    [
      (() => {
        const b = bytes.slice();
        b[0] = 0x58;
        return b;
      })(),
      expect,
      /^s\.bin: not a dataset shard/,
    ],
    [
      (() => {
        const b = bytes.slice();
        new DataView(b.buffer).setUint32(8, FORMAT_VERSION + 1, true);
        return b;
      })(),
      expect,
      /^s\.bin: format version 2; this library reads version 1/,
    ],
    [bytes, { ...expect, first: 0 }, /^s\.bin: header says first = 5, the manifest says 0/],
    [bytes, { ...expect, split: "train" }, /^s\.bin: header says split = 1, the manifest says 0/],
    [
      bytes,
      { ...expect, spec: datasetSpec({ system: "two-body", steps: 3, size: 16 }) },
      /header says size = 8, the manifest says 16/,
    ],
    [
      bytes,
      { ...expect, spec: datasetSpec({ system: "two-body", steps: 3, size: 8, noiseStd: 0.3 }) },
      /^s\.bin: made with other settings than the manifest's spec/,
    ],
  ];
  for (const [b, e, pattern] of cases) {
    throws(
      () => decodeShard(b, "s.bin", e),
      (err: unknown) =>
        err instanceof DatasetError && pattern.test(err.message) && err.file === "s.bin",
    );
  }
});

Deno.test("format: validateManifest names the problem", () => {
  const shard = {
    file: "train/shard-00000.bin",
    first: 0,
    count: 3,
    bytes: bytes.length,
    sha256: "0".repeat(64),
    accuracy: {
      maxErrorEstimate: 1e-11,
      maxEnergyDrift: 2e-12,
      maxExactError: null,
      maxSubsteps: 8,
      resampled: 0,
    },
  };
  const good = {
    format: "hgn-dataset",
    version: 1,
    spec,
    splits: {
      train: { count: 3, shardSize: 3, shards: [shard] },
      test: { count: 0, shardSize: 3, shards: [] },
    },
    accuracy: shard.accuracy,
    bytes: bytes.length,
  };
  validateManifest(good, "m.json");
  const bad: [unknown, RegExp][] = [
    [null, /m\.json: not a JSON object/],
    [{ ...good, format: "zip" }, /format 'zip', expected 'hgn-dataset'/],
    [{ ...good, bytes: 12 }, /lists 12 bytes in all; its shards hold/],
    [{ ...good, accuracy: { ...shard.accuracy, maxSubsteps: 99 } }, /not those of its shards/],
    [{
      ...good,
      splits: {
        ...good.splits,
        train: {
          ...good.splits.train,
          shards: [{ ...shard, accuracy: { ...shard.accuracy, maxEnergyDrift: "x" } }],
        },
      },
    }, /train shard train\/shard-00000\.bin: accuracy figures are missing or malformed/],
    [{ ...good, version: 7 }, /format version 7; this library reads version 1/],
    [{ ...good, spec: { ...spec, frames: 9 } }, /spec is missing or malformed/],
    [
      { ...good, splits: { ...good.splits, train: { ...good.splits.train, count: 4 } } },
      /lists 4 examples but its shards hold 3/,
    ],
    [{
      ...good,
      splits: { ...good.splits, train: { ...good.splits.train, shards: [{ ...shard, bytes: 5 }] } },
    }, /lists 5 bytes; its shape needs/],
    [{
      ...good,
      splits: { ...good.splits, train: { ...good.splits.train, shards: [{ ...shard, first: 1 }] } },
    }, /expected to start at 0/],
    [{
      ...good,
      splits: {
        ...good.splits,
        train: { ...good.splits.train, shards: [{ ...shard, file: "../x" }] },
      },
    }, /bad file name/],
    [{
      ...good,
      splits: {
        ...good.splits,
        train: { ...good.splits.train, shards: [{ ...shard, sha256: "abc" }] },
      },
    }, /no valid sha256/],
    [{ ...good, splits: { train: good.splits.train } }, /split 'test' is missing/],
  ];
  for (const [json, pattern] of bad) throws(() => validateManifest(json, "m.json"), pattern);
});
