/**
 * HGN checkpoints: every weight, the multiplier and both optimisers' moments in one file, written
 * atomically (temp + rename), checked on load (magic, version, checksum, shapes), the last N kept.
 *
 * Layout: `HGNCKPT1`, a little-endian u32 header length, the JSON header (format version, step,
 * training config, tensor table, sha256 of the data), then float32 data.
 *
 * @module
 */
import { join } from "node:path";
import { tf } from "../deps/tf.ts";
import { hgnVariables } from "../models/hgn/model.ts";
import {
  type HgnTrainConfig,
  type HgnTrainState,
  initTrainState,
  MULTIPLIER,
} from "../train/hgn.ts";
import type { AdamState } from "../train/adam.ts";
import { writeFileAtomic } from "./atomic.ts";
import { sha256 } from "./dataset.ts";

/** The checkpoint format version this code writes and reads. */
export const CHECKPOINT_VERSION = 1;
const MAGIC = "HGNCKPT1";

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

interface Entry {
  readonly name: string;
  readonly shape: number[];
  readonly offset: number;
  readonly length: number;
}

interface Header {
  readonly format: string;
  readonly version: number;
  readonly step: number;
  readonly config: HgnTrainConfig;
  readonly optimizerSteps: { readonly weights: number; readonly multiplier: number };
  readonly tensors: Entry[];
  readonly sha256: string;
}

/** Every tensor of a state, by checkpoint name. */
const stateTensors = (state: HgnTrainState): [string, tf.Variable][] => {
  const slots = (prefix: string, opt: AdamState): [string, tf.Variable][] => [
    ...[...opt.m].map(([n, v]) => [`${prefix}/m/${n}`, v] as [string, tf.Variable]),
    ...[...opt.v].map(([n, v]) => [`${prefix}/v/${n}`, v] as [string, tf.Variable]),
  ];
  return [
    ...hgnVariables(state.params).map(([n, v]) => [`param/${n}`, v] as [string, tf.Variable]),
    [MULTIPLIER, state.multiplier],
    ...slots("adam", state.optimizer),
    ...slots("adamMultiplier", state.multiplierOptimizer),
  ];
};

/**
 * Encodes a training state into checkpoint bytes.
 *
 * @example
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "@hamiltonian/hgn/io";
 * import { initTrainState } from "@hamiltonian/hgn/train";
 * import { SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const model = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const state = initTrainState({ model, objective: { tolerance: 1e-3 }, batchSize: 1, learningRate: 1e-3, multiplierInit: 1, multiplierLearningRate: 1e-2, seed: 0, trainSize: 1 });
 * state.step = 7;
 * strictEqual(decodeCheckpoint("mem", await encodeCheckpoint(state)).step, 7);
 * ```
 */
export const encodeCheckpoint = async (state: HgnTrainState): Promise<Uint8Array> => {
  const tensors = stateTensors(state);
  const values = await Promise.all(tensors.map(([, v]) => v.data() as Promise<Float32Array>));
  const total = values.reduce((a, v) => a + v.length, 0);
  const data = new Float32Array(total);
  const entries: Entry[] = [];
  let offset = 0;
  tensors.forEach(([name, v], i) => {
    data.set(values[i], offset);
    entries.push({ name, shape: v.shape, offset, length: values[i].length });
    offset += values[i].length;
  });
  const bytes = new Uint8Array(data.buffer);
  const header: Header = {
    format: "hgn-checkpoint",
    version: CHECKPOINT_VERSION,
    step: state.step,
    config: state.config,
    optimizerSteps: { weights: state.optimizer.step, multiplier: state.multiplierOptimizer.step },
    tensors: entries,
    sha256: sha256(bytes),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + 4 + json.length + bytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(bytes, 12 + json.length);
  return out;
};

/**
 * Decodes checkpoint bytes into a fresh training state (built from the stored config, then
 * overwritten with the stored tensors). Every inconsistency is a {@link CheckpointError}.
 *
 * @example
 * ```ts
 * import { CheckpointError, decodeCheckpoint } from "@hamiltonian/hgn/io";
 * import { throws } from "node:assert/strict";
 * throws(() => decodeCheckpoint("x.ckpt", new Uint8Array(4)), CheckpointError);
 * ```
 */
export const decodeCheckpoint = (file: string, bytes: Uint8Array): HgnTrainState => {
  const fail = (message: string): never => {
    throw new CheckpointError(file, message);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    fail("not an HGN checkpoint (bad magic bytes)");
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.length) fail("truncated (header runs past the end of the file)");
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header.format !== "hgn-checkpoint" || header.version !== CHECKPOINT_VERSION) {
    fail(
      `checkpoint format ${header.format} v${header.version}; this version reads v${CHECKPOINT_VERSION}`,
    );
  }
  const body = bytes.slice(12 + headerLength);
  const expected = header.tensors.reduce((a, t) => a + t.length, 0) * 4;
  if (body.length !== expected) {
    fail(`truncated or padded: ${body.length} data bytes, the header lists ${expected}`);
  }
  if (sha256(body) !== header.sha256) fail("corrupted: data checksum does not match");
  const data = new Float32Array(body.buffer, body.byteOffset, body.length / 4);
  const state = initTrainState(header.config);
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const restore = (name: string, target: tf.Variable) => {
    const e = byName.get(name) ??
      fail(`missing tensor '${name}' (the checkpoint does not fit its config)`);
    if (e.shape.join("x") !== target.shape.join("x")) {
      fail(`tensor '${name}' has shape [${e.shape}], the model needs [${target.shape}]`);
    }
    target.assign(tf.tensor(data.subarray(e.offset, e.offset + e.length), e.shape));
  };
  for (const [name, v] of stateTensors(state)) restore(name, v);
  const slots = (prefix: string, opt: AdamState, params: Map<string, tf.Variable>) => {
    for (const [pname, p] of params) {
      for (const which of ["m", "v"] as const) {
        const name = `${prefix}/${which}/${pname}`;
        if (!byName.has(name)) continue; // a slot not yet created (its parameter never had a gradient)
        const slot = tf.variable(tf.zerosLike(p), false);
        restore(name, slot);
        opt[which].set(pname, slot);
      }
    }
  };
  slots("adam", state.optimizer, new Map(hgnVariables(state.params)));
  slots("adamMultiplier", state.multiplierOptimizer, new Map([[MULTIPLIER, state.multiplier]]));
  state.optimizer.step = header.optimizerSteps.weights;
  state.multiplierOptimizer.step = header.optimizerSteps.multiplier;
  state.step = header.step;
  return state;
};

/**
 * `step-000123.ckpt`
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

/**
 * Saves a checkpoint into `dir` atomically, then deletes all but the newest `keep`.
 * Resolves to the file written.
 *
 * @example
 * ```ts
 * import { listCheckpoints, loadCheckpoint, loadLatestCheckpoint, saveCheckpoint } from "@hamiltonian/hgn/io";
 * import { initTrainState } from "@hamiltonian/hgn/train";
 * import { SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const model = { ...SMALL_HGN, inputFrames: 2, rolloutSteps: 2, stateChannels: 2, encoderWidth: 4, encoderLayers: 5, transformerWidth: 4, transformerLayers: 2, hamiltonianWidth: 4, hamiltonianLayers: 2, decoderWidth: 4 };
 * const state = initTrainState({ model, objective: { tolerance: 1e-3 }, batchSize: 1, learningRate: 1e-3, multiplierInit: 1, multiplierLearningRate: 1e-2, seed: 0, trainSize: 1 });
 * const dir = await Deno.makeTempDir();
 * for (const step of [1, 2, 3]) {
 *   state.step = step;
 *   await saveCheckpoint(dir, state, 2);
 * }
 * strictEqual((await listCheckpoints(dir)).length, 2);
 * strictEqual((await loadLatestCheckpoint(dir)).step, 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const saveCheckpoint = async (
  dir: string,
  state: HgnTrainState,
  keep = 3,
): Promise<string> => {
  const file = join(dir, checkpointName(state.step));
  await writeFileAtomic(file, await encodeCheckpoint(state));
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
      if (e.isFile && /^step-\d+\.ckpt$/.test(e.name)) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort().map((n) => join(dir, n));
};

/**
 * Loads one checkpoint file.
 *
 * @example
 * ```ts
 * import { CheckpointError, loadCheckpoint } from "@hamiltonian/hgn/io";
 * import { rejects } from "node:assert/strict";
 * await rejects(() => loadCheckpoint("/no/such.ckpt"), CheckpointError);
 * ```
 */
export const loadCheckpoint = async (file: string): Promise<HgnTrainState> => {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new CheckpointError(file, "not found");
    throw e;
  }
  return decodeCheckpoint(file, bytes);
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
export const loadLatestCheckpoint = async (dir: string): Promise<HgnTrainState> => {
  const all = await listCheckpoints(dir);
  if (all.length === 0) throw new CheckpointError(dir, "no checkpoint (step-*.ckpt) found");
  return loadCheckpoint(all[all.length - 1]);
};
