// The checkpoint files: saved atomically, the newest N kept, damaged or non-finite ones refused,
// names and steps checked (the byte format itself: checkpoint_codec_test.ts).
import {
  checkpointName,
  decodeCheckpoint,
  encodeCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  saveCheckpoint,
} from "@hamiltonian/hgn/io";
import { deepStrictEqual, ok, rejects, throws } from "node:assert/strict";
import { join } from "node:path";
import { ckpt } from "./_checkpoint.ts";

Deno.test("checkpoint: the pure codec (no node:crypto) writes and reads the bytes of the files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = ckpt(9, Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)));
    const c = { ...base, tensors: [{ ...base.tensors[0], shape: [10, 100] }, base.tensors[1]] };
    const file = await saveCheckpoint(dir, c);
    const bytes = await Deno.readFile(file);
    // the codec's default digest is sha256Digest; the file functions use node:crypto's
    deepStrictEqual(encodeCheckpoint(c), bytes);
    deepStrictEqual(decodeCheckpoint(file, bytes), c);
    bytes[bytes.length - 40] ^= 1;
    throws(() => decodeCheckpoint(file, bytes), /SHA-256/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: saves atomically, keeps the newest N, refuses a damaged newest one", async () => {
  const dir = await Deno.makeTempDir();
  for (let s = 1; s <= 5; s++) await saveCheckpoint(dir, ckpt(s), 2);
  const files = await listCheckpoints(dir);
  deepStrictEqual(files.map((f) => f.split("/").pop()), ["step-0000004.ckpt", "step-0000005.ckpt"]);
  ok([...Deno.readDirSync(dir)].every((e) => !e.name.includes(".tmp")));
  deepStrictEqual((await loadLatestCheckpoint(dir)).meta.step, 5);
  await Deno.writeFile(join(dir, "step-0000005.ckpt"), new Uint8Array([1, 2, 3]));
  await rejects(() => loadLatestCheckpoint(dir), /step-0000005\.ckpt: not a checkpoint/);
  await rejects(() => loadLatestCheckpoint(join(dir, "nope")), /no checkpoint/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: a file whose name and step disagree is rejected; steps past 9999999 sort numerically", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, ckpt(7), 3);
  await Deno.rename(join(dir, checkpointName(7)), join(dir, checkpointName(9)));
  await rejects(
    () => loadCheckpoint(join(dir, checkpointName(9))),
    /says step 9 but it holds step 7/,
  );
  await Deno.remove(join(dir, checkpointName(9)));
  await saveCheckpoint(dir, ckpt(9_999_999), 3);
  await saveCheckpoint(dir, ckpt(10_000_000), 3);
  deepStrictEqual((await loadLatestCheckpoint(dir)).meta.step, 10_000_000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkpoint: a state holding NaN or infinity is never written", async () => {
  const dir = await Deno.makeTempDir();
  await saveCheckpoint(dir, ckpt(1), 3);
  await rejects(
    () => saveCheckpoint(dir, ckpt(2, Float32Array.of(1, NaN, 3, 4)), 3),
    /NaN or infinite/,
  );
  await rejects(
    () => saveCheckpoint(dir, ckpt(3, Float32Array.of(1, Infinity, 3, 4)), 3),
    /NaN or infinite/,
  );
  deepStrictEqual((await listCheckpoints(dir)).map((f) => f.split("/").pop()), [checkpointName(1)]);
  await Deno.remove(dir, { recursive: true });
});
