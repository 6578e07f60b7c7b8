import {
  CheckpointError,
  decodeCheckpoint,
  encodeCheckpoint,
  listCheckpoints,
  loadLatestCheckpoint,
  saveCheckpoint,
} from "@hamiltonian/hgn/io";
import { disposeTrainState, initTrainState } from "@hamiltonian/hgn/train";
import { useBackend } from "@hamiltonian/hgn/tensor";
import { deepStrictEqual, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { TINY } from "../models/hgn/_tiny.ts";

await useBackend("cpu");

const config = {
  model: TINY,
  objective: { tolerance: 1e-3 },
  batchSize: 2,
  learningRate: 1e-3,
  multiplierInit: 1,
  multiplierLearningRate: 1e-2,
  seed: 1,
  trainSize: 4,
};

Deno.test("checkpoint: corrupted, truncated, foreign or mismatched files are rejected with the file named", async () => {
  const state = initTrainState(config);
  const bytes = await encodeCheckpoint(state);
  const flipped = bytes.slice();
  flipped[flipped.length - 5] ^= 0xff;
  throws(
    () => decodeCheckpoint("a.ckpt", flipped),
    (e: Error) => e instanceof CheckpointError && /^a\.ckpt: corrupted/.test(e.message),
  );
  throws(
    () => decodeCheckpoint("b.ckpt", bytes.slice(0, bytes.length - 100)),
    /^CheckpointError: b\.ckpt: truncated/,
  );
  throws(
    () => decodeCheckpoint("c.ckpt", new TextEncoder().encode("not a checkpoint at all")),
    /c\.ckpt: not an HGN checkpoint/,
  );
  throws(() => decodeCheckpoint("d.ckpt", bytes.slice(0, 20)), /d\.ckpt: truncated/);
  disposeTrainState(state);
});

Deno.test("checkpoint: saves atomically, keeps the newest N, refuses a damaged newest one", async () => {
  const dir = await Deno.makeTempDir();
  const state = initTrainState(config);
  for (let s = 1; s <= 5; s++) {
    state.step = s;
    await saveCheckpoint(dir, state, 2);
  }
  const files = await listCheckpoints(dir);
  deepStrictEqual(files.map((f) => f.split("/").pop()), ["step-0000004.ckpt", "step-0000005.ckpt"]);
  ok([...Deno.readDirSync(dir)].every((e) => !e.name.includes(".tmp")));
  const loaded = await loadLatestCheckpoint(dir);
  deepStrictEqual(loaded.step, 5);
  disposeTrainState(loaded);
  await Deno.writeFile(join(dir, "step-0000005.ckpt"), new Uint8Array([1, 2, 3]));
  await rejects(() => loadLatestCheckpoint(dir), /step-0000005\.ckpt: not an HGN checkpoint/);
  await rejects(() => loadLatestCheckpoint(join(dir, "nope")), /no checkpoint/);
  disposeTrainState(state);
  await Deno.remove(dir, { recursive: true });
});
