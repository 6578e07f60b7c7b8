/**
 * Run directories for any model: claimed atomically (two runs never share one), the run's
 * `config.json`, an append-only `metrics.jsonl` that a resume truncates back to its checkpoint,
 * and checkpoints under `checkpoints/`.
 *
 * @module
 */
import { join } from "node:path";
import { writeTextAtomic } from "./atomic.ts";

/**
 * A run directory cannot be used (it holds another run, or a dataset): names it.
 *
 * @example
 * ```ts
 * import { RunDirError } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new RunDirError("runs/a", "holds a run").message, "runs/a: holds a run");
 * ```
 */
export class RunDirError extends RangeError {
  override name = "RunDirError";
  /** @param dir the directory @param message what is wrong with it */
  constructor(dir: string, message: string) {
    super(`${dir}: ${message}`);
  }
}

/** The marker a run directory is claimed with (created exclusively). */
export const RUN_MARKER = "checkpoints";

const rank = (
  name: string,
) => (name === "manifest.json" ? 0 : name === RUN_MARKER || name === "config.json" ? 1 : 2);

const tryMkdir = async (dir: string): Promise<boolean> => {
  try {
    await Deno.mkdir(dir);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
};

/**
 * Claims a fresh run directory. With `dir`: that directory (created if missing; an existing one
 * must not hold a run, a dataset or anything but hidden files). Without: `base/name`, or
 * `base/name-2`, `-3`, ... when taken. The claim is the exclusive creation of
 * `checkpoints/` inside it, so two processes started at the same moment never get the same
 * directory. Resolves to the directory.
 *
 * @example
 * ```ts
 * import { claimRunDir } from "@hamiltonian/hgn/io";
 * import { notStrictEqual } from "node:assert/strict";
 * const base = await Deno.makeTempDir();
 * const [a, b] = await Promise.all([claimRunDir({ base, name: "r" }), claimRunDir({ base, name: "r" })]);
 * notStrictEqual(a, b);
 * await Deno.remove(base, { recursive: true });
 * ```
 */
export const claimRunDir = async (
  where: { readonly dir: string } | { readonly base: string; readonly name: string },
): Promise<string> => {
  if ("dir" in where) {
    const dir = where.dir;
    if (dir.trim() === "") throw new RunDirError("''", "an empty path is not a run directory");
    const kind = await Deno.stat(dir).then((s) => (s.isDirectory ? "dir" : "file"), (e) => {
      if (e instanceof Deno.errors.NotFound) return "none";
      throw e;
    });
    if (kind === "file") {
      throw new RunDirError(dir, "is a file, not a folder; choose another --out");
    }
    await Deno.mkdir(dir, { recursive: true });
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    // what the folder is matters more than what it holds first
    names.sort((a, b) => rank(a) - rank(b));
    for (const name of names) {
      const e = { name };
      if (e.name === "manifest.json") {
        throw new RunDirError(dir, "holds a dataset (manifest.json); choose another --out");
      }
      if (e.name === RUN_MARKER || e.name === "config.json") {
        throw new RunDirError(
          dir,
          "already holds a run; continue it with --resume, or choose another --out",
        );
      }
      if (!e.name.startsWith(".")) {
        throw new RunDirError(dir, `is not empty (holds '${e.name}'); choose another --out`);
      }
    }
    if (!await tryMkdir(join(dir, RUN_MARKER))) {
      throw new RunDirError(dir, "was claimed by another run at the same moment");
    }
    return dir;
  }
  await Deno.mkdir(where.base, { recursive: true });
  for (let k = 1;; k++) {
    const dir = join(where.base, k === 1 ? where.name : `${where.name}-${k}`);
    if (!await tryMkdir(dir)) continue;
    await Deno.mkdir(join(dir, RUN_MARKER));
    return dir;
  }
};

/**
 * Writes `config.json` (pretty JSON, atomically).
 *
 * @example
 * ```ts
 * import { writeRunConfig } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeRunConfig(dir, { a: 1 });
 * strictEqual(JSON.parse(await Deno.readTextFile(`${dir}/config.json`)).a, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const writeRunConfig = (dir: string, config: unknown): Promise<void> =>
  writeTextAtomic(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");

/** A metrics line: at least the step it was logged at. */
export interface MetricsLine {
  readonly step: number;
  readonly [key: string]: unknown;
}

/**
 * Reads `metrics.jsonl`. A torn last line (a process killed mid-write) is ignored; a damaged line
 * before it is a `RangeError` naming the file and line. A missing file reads as no lines.
 *
 * @example
 * ```ts
 * import { readMetrics } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"step":1}\n{"step":2}\n{"st');
 * deepStrictEqual((await readMetrics(dir)).map((m) => m.step), [1, 2]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const readMetrics = async (dir: string): Promise<MetricsLine[]> => {
  const file = join(dir, "metrics.jsonl");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  const lines = text.split("\n");
  const out: MetricsLine[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === "") return;
    try {
      out.push(JSON.parse(l));
    } catch {
      const torn = i === lines.length - 1; // no newline after it: cut off mid-write
      if (!torn) throw new RangeError(`${file}: line ${i + 1} is not valid JSON`);
    }
  });
  return out;
};

/** An open `metrics.jsonl`, appending one JSON line per call. */
export interface MetricsLog {
  readonly append: (line: MetricsLine) => Promise<void>;
  readonly close: () => void;
}

/**
 * Opens `metrics.jsonl` for appending. With `upTo` (a resume from the checkpoint of that step),
 * first rewrites the file (atomically) to its lines with `step <= upTo`, dropping the lines of
 * updates the checkpoint does not hold (they are redone) and any torn last line.
 *
 * @example
 * ```ts
 * import { openMetrics, readMetrics } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const log = await openMetrics(dir);
 * for (const step of [1, 2, 3]) await log.append({ step });
 * log.close();
 * (await openMetrics(dir, 2)).close();
 * deepStrictEqual((await readMetrics(dir)).map((m) => m.step), [1, 2]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const openMetrics = async (dir: string, upTo?: number): Promise<MetricsLog> => {
  const path = join(dir, "metrics.jsonl");
  if (upTo !== undefined) {
    const kept = (await readMetrics(dir)).filter((m) => m.step <= upTo);
    await writeTextAtomic(path, kept.map((m) => JSON.stringify(m) + "\n").join(""));
  }
  const file = await Deno.open(path, { append: true, create: true });
  const encoder = new TextEncoder();
  return {
    append: async (line) => {
      const bytes = encoder.encode(JSON.stringify(line) + "\n");
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    },
    close: () => file.close(),
  };
};
