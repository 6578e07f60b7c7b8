/**
 * `cli.ts generate`: writes one of the paper's datasets (train and test shards, manifest) and a
 * preview (PNG grid, one animated GIF per previewed trajectory).
 *
 * @module
 */
import { statfs } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { type DatasetSpec, datasetSpec, generator, type NoiseMode } from "../lib/data/dataset.ts";
import {
  datasetBytes,
  defaultShardSize,
  mergeDatasetParts,
  writeDataset,
  writeDatasetPart,
} from "../lib/io/dataset.ts";
import { writePreview } from "../lib/io/image.ts";
import { SingleBar } from "../lib/deps/progress.ts";
import { intFlag, numberFlag, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary = "generate a dataset of rendered trajectories (the paper's four systems)";

/** The flags of the command. */
export const options = {
  system: { type: "string" },
  out: { type: "string" },
  train: { type: "string" },
  test: { type: "string" },
  size: { type: "string" },
  seed: { type: "string" },
  steps: { type: "string" },
  dt: { type: "string" },
  "noise-std": { type: "string" },
  "noise-mode": { type: "string" },
  tolerance: { type: "string" },
  "shard-size": { type: "string" },
  preview: { type: "string" },
  overwrite: { type: "boolean" },
  part: { type: "string" },
  merge: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP =
  `usage: deno run --allow-read --allow-write=DIR --allow-sys=statfs cli.ts generate --system NAME --out DIR [flags]
Simulates exact trajectories (float64, sixth-order symplectic, error < tolerance per state),
adds Gaussian noise to every phase-space coordinate of every frame, renders RGB frames and
writes DIR/manifest.json, DIR/train/shard-*.bin, DIR/test/shard-*.bin and DIR/preview/.
  --system NAME        mass-spring, pendulum, two-body, three-body, henon-heiles, non-separable
  --out DIR            dataset directory (created; an existing dataset needs --overwrite)
  --train N            train trajectories (default 50000, the paper's)
  --test N             test trajectories (default 10000)
  --size N             image side in pixels: 32 (default) or 64 (any of 8..512 works)
  --seed N             dataset seed (default 0); example i uses deriveSeed(seed, split, i)
  --steps N            rollout steps, frames = steps + 1 (default 30)
  --dt X               time between frames (default 0.125)
  --noise-std X        noise standard deviation (default: the paper's per system:
                       0.1, 0.1, 0.05, 0.2)
  --noise-mode MODE    observation (default: every frame), initial (initial state only), none
  --tolerance X        bound on the estimated ground-truth state error (default 1e-9)
  --shard-size N       examples per shard file (default: about 64 MiB of frames)
  --preview N          trajectories in the preview (default 4; 0: none)
  --overwrite          replace an existing dataset in DIR
  --part I/N           write only part I (0 <= I < N) of the dataset's shards, e.g. one job of a
                       cluster's indexed job; run every part with the same flags and --out, then
  --merge              join the parts in --out into the dataset (the same bytes as one process)
  --quiet, -q          no progress bar and no summary`;

const NOISE_MODES = ["observation", "initial", "none"];

const gigabytes = (bytes: number) => (bytes / 1e9).toFixed(bytes < 1e7 ? 4 : 2);

/** Free bytes on the file system that holds `path` (or its nearest existing parent). */
const freeBytes = async (path: string): Promise<number> => {
  let at = resolve(path);
  for (;;) {
    try {
      const s = await statfs(at);
      return s.bavail * s.bsize;
    } catch (e) {
      if (!(e instanceof Error && "code" in e && e.code === "ENOENT") || dirname(at) === at) {
        throw e;
      }
      at = dirname(at);
    }
  }
};

/** The preview of a dataset (`--preview N`, default 4; 0: none): the files written. */
const writePreviewOf = (
  out: string,
  spec: DatasetSpec,
  train: number,
  test: number,
  flag: string | undefined,
): Promise<string[]> => {
  const preview = intFlag("preview", flag, 4, 0, 1000);
  if (preview === 0) return Promise.resolve([]);
  const split = train > 0 ? "train" : "test";
  return writePreview(
    join(out, "preview"),
    generator(spec),
    split,
    Math.min(preview, split === "train" ? train : test),
  );
};

/** `--part I/N` as numbers: 0 <= I < N. */
const parsePart = (value: string | undefined): { index: number; of: number } | undefined => {
  if (value === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const [index, of] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || !(of >= 1 && of <= 100_000) || !(index < of)) {
    throw new UsageError(`--part must be I/N with 0 <= I < N <= 100000 (e.g. 0/4), got '${value}'`);
  }
  return { index, of };
};

/** Runs the command. */
export const run = async (argv: string[]): Promise<void> => {
  const flags = parseFlags(argv, options);
  if (flags.help) {
    console.log(HELP);
    return;
  }
  if (flags.merge) {
    const others = Object.keys(flags).filter((k) =>
      !["merge", "out", "quiet", "preview"].includes(k)
    );
    if (others.length > 0) {
      throw new UsageError(
        `--merge takes only --out and --preview (the parts know the rest), got --${others[0]}`,
      );
    }
    if (flags.out === undefined || flags.out.trim() === "") {
      throw new UsageError("--merge needs --out DIR (the directory the parts wrote to)");
    }
    const m = await mergeDatasetParts(flags.out);
    const shards = m.splits.train.shards.length + m.splits.test.shards.length;
    await writePreviewOf(
      flags.out,
      m.spec,
      m.splits.train.count,
      m.splits.test.count,
      flags.preview,
    );
    if (!flags.quiet) {
      console.log(
        `generate: merged ${shards} shards (${m.splits.train.count} train + ${m.splits.test.count} test) into ${flags.out}`,
      );
    }
    return;
  }
  const part = parsePart(flags.part);
  if (flags.system === undefined) {
    throw new UsageError(
      "--system is required; accepted: mass-spring, pendulum, two-body, three-body, henon-heiles, non-separable",
    );
  }
  if (flags.out === undefined || flags.out.trim() === "") {
    throw new UsageError("--out DIR is required (the dataset directory)");
  }
  const mode = flags["noise-mode"];
  if (mode !== undefined && !NOISE_MODES.includes(mode)) {
    throw new UsageError(`--noise-mode must be one of ${NOISE_MODES.join(", ")}, got '${mode}'`);
  }
  const size = intFlag("size", flags.size, 32, 8, 512);
  const spec = datasetSpec({
    system: flags.system,
    seed: intFlag("seed", flags.seed, 0, 0, 2 ** 32 - 1),
    steps: intFlag("steps", flags.steps, 30, 1, 10000),
    dt: numberFlag("dt", flags.dt, 0.125),
    noiseStd: flags["noise-std"] === undefined
      ? undefined
      : numberFlag("noise-std", flags["noise-std"], 0),
    noiseMode: mode as NoiseMode | undefined,
    tolerance: numberFlag("tolerance", flags.tolerance, 1e-9),
    size,
  });
  const train = intFlag("train", flags.train, 50000, 0, 2 ** 31);
  const test = intFlag("test", flags.test, 10000, 0, 2 ** 31);
  if (train + test === 0) {
    throw new UsageError("--train and --test are both 0: nothing to generate");
  }
  const shardSize = intFlag(
    "shard-size",
    flags["shard-size"],
    defaultShardSize(spec.frames, size),
    1,
    1_000_000,
  );
  intFlag("preview", flags.preview, 4, 0, 1000); // checked before anything is written
  const out = flags.out;
  const quiet = flags.quiet ?? false;
  // Say how much will be written, and refuse what the disk cannot hold, before writing anything.
  const bytes = datasetBytes(spec, train, test, shardSize);
  const free = await freeBytes(out);
  if (bytes > free) {
    throw new UsageError(
      `${out}: the dataset needs ${gigabytes(bytes)} GB, the disk has ${
        gigabytes(free)
      } GB free; lower --train/--test/--size or choose another --out`,
    );
  }
  if (!quiet) console.log(`generate: writing ${gigabytes(bytes)} GB to ${out}`);
  const bar = !quiet && Deno.stderr.isTerminal()
    ? new SingleBar({
      format: "generate {system} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}",
      stream: process.stderr,
      hideCursor: false,
    })
    : undefined;
  const t0 = performance.now();
  bar?.start(train + test, 0, { system: spec.system });
  if (part !== undefined) {
    if (flags.overwrite) throw new UsageError("--overwrite cannot be used with --part");
    try {
      const r = await writeDatasetPart(
        {
          out,
          spec,
          train,
          test,
          shardSize,
          onProgress: (done, total) => bar?.update(done / total * (train + test)),
        },
        part.index,
        part.of,
      );
      if (!quiet) {
        console.log(
          `generate: part ${part.index}/${part.of} wrote ${r.shards.length} shards to ${out} in ${
            ((performance.now() - t0) / 1000).toFixed(1)
          } s; when every part is done: cli.ts generate --merge --out ${out}`,
        );
      }
    } finally {
      bar?.stop();
    }
    return;
  }
  let manifest;
  try {
    manifest = await writeDataset({
      out,
      spec,
      train,
      test,
      shardSize,
      overwrite: flags.overwrite ?? false,
      onProgress: (done) => bar?.update(done),
    });
  } finally {
    bar?.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const previewFiles = await writePreviewOf(out, spec, train, test, flags.preview);
  if (!quiet) {
    const a = manifest.accuracy;
    const gb = (datasetBytes(spec, train, test, shardSize) / 1e9).toFixed(3);
    console.log(
      `wrote ${train} train + ${test} test trajectories of ${spec.system} (${spec.frames} frames, ${size}x${size}) to ${out}: ${gb} GB in ${
        seconds.toFixed(1)
      } s (${((train + test) / seconds).toFixed(0)} trajectories/s); ` +
        `max estimated state error ${a.maxErrorEstimate.toExponential(2)}, max energy drift ${
          a.maxEnergyDrift.toExponential(2)
        }` +
        (a.maxExactError === null
          ? ""
          : `, max error vs exact ${a.maxExactError.toExponential(2)}`) +
        (previewFiles.length ? `; preview: ${previewFiles[0]}` : ""),
    );
  }
};
