// A small checkpoint for the codec and file tests: two named tensors, the step in the meta and in
// the bias, so checkpoints of different steps differ.

import type { StoredCheckpoint } from "../../lib/io/checkpoint_codec.ts";

/** A checkpoint's meta here. */
type Meta = { readonly step: number; readonly model: string; readonly config: { width: number } };

/** A checkpoint of `step` with weights `w` (a 2x2 matrix) and the step as its bias. */
export const ckpt = (step: number, w = Float32Array.of(1, 2, 3, 4)): StoredCheckpoint<Meta> => ({
  meta: { step, model: "m", config: { width: 2 } },
  tensors: [
    { name: "param/w", shape: [2, 2], values: w },
    { name: "param/b", shape: [1], values: Float32Array.of(step) },
  ],
});
