// The checkpoint byte format, pure (no Deno.*, no node:): named tensors and meta round-trip
// exactly; every damaged, truncated or foreign byte string is refused with the file named; names
// carry the step. The files themselves: checkpoint_test.ts.
import {
  CheckpointError,
  checkpointName,
  checkpointStep,
  decodeCheckpoint,
  encodeCheckpoint,
  isFiniteCheckpoint,
} from "../../lib/io/checkpoint_codec.ts";
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { ckpt } from "./_checkpoint.ts";

Deno.test("checkpoint codec: named tensors and meta round-trip exactly", () => {
  const c = ckpt(5);
  deepStrictEqual(decodeCheckpoint("mem", encodeCheckpoint(c)), c);
  throws(() => encodeCheckpoint({ meta: { step: 1.5 }, tensors: [] }), /integer step/);
  throws(
    () =>
      encodeCheckpoint({
        meta: { step: 1 },
        tensors: [{ name: "w", shape: [3], values: new Float32Array(2) }],
      }),
    /needs 3 values/,
  );
});

Deno.test("checkpoint codec: corrupted (data or header), truncated or foreign files are rejected with the file named", () => {
  const bytes = encodeCheckpoint(ckpt(3));
  const dataFlip = bytes.slice();
  dataFlip[bytes.length - 40] ^= 0xff;
  throws(() => decodeCheckpoint("a.ckpt", dataFlip), /^CheckpointError: a\.ckpt: corrupted/);
  // the checksum covers the header too: change the step inside the JSON meta
  const text = new TextDecoder().decode(bytes);
  const at = text.indexOf('"step":3');
  ok(at > 0);
  const headerFlip = bytes.slice();
  headerFlip[at + 7] = "4".charCodeAt(0);
  throws(() => decodeCheckpoint("h.ckpt", headerFlip), /h\.ckpt: corrupted/);
  throws(
    () => decodeCheckpoint("b.ckpt", bytes.slice(0, bytes.length - 10)),
    /b\.ckpt: corrupted or truncated/,
  );
  throws(
    () => decodeCheckpoint("c.ckpt", new TextEncoder().encode("not a checkpoint at all")),
    /c\.ckpt: not a checkpoint of this library/,
  );
  throws(
    () => decodeCheckpoint("d.ckpt", bytes.slice(0, 20)),
    (e: Error) => e instanceof CheckpointError,
  );
});

Deno.test("checkpoint codec: names carry the step; finiteness is of every value", () => {
  strictEqual(checkpointStep(checkpointName(42)), 42);
  strictEqual(checkpointStep(checkpointName(12_345_678)), 12_345_678);
  strictEqual(checkpointStep("step-12.ckpt.tmp"), undefined);
  strictEqual(checkpointStep("notes.txt"), undefined);
  // zero-padded, so names up to step 9999999 sort as their steps (listCheckpoints sorts by step)
  const names = [3, 20, 9_999_999, 100].map(checkpointName).sort();
  deepStrictEqual(names.map(checkpointStep), [3, 20, 100, 9_999_999]);
  ok(isFiniteCheckpoint(ckpt(1)));
  ok(!isFiniteCheckpoint(ckpt(1, Float32Array.of(1, NaN, 3, 4))));
  ok(!isFiniteCheckpoint(ckpt(1, Float32Array.of(1, 2, -Infinity, 4))));
});
