/**
 * Pixels to tensors: byte sequences of frames (the dataset's layout) as float batches in [0, 1],
 * for every model that learns from pixels.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";

/**
 * Stacks byte sequences `[>= frames, size, size, 3]` (the dataset's layout) into a float batch
 * `[B, frames, size, size, 3]` in [0, 1], keeping the first `frames` of each.
 *
 * @example
 * ```ts
 * import { toBatch, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const b = toBatch([new Uint8Array(2 * 4 * 4 * 3).fill(255)], 1, 4);
 * deepStrictEqual(b.shape, [1, 1, 4, 4, 3]);
 * ```
 */
export const toBatch = (
  sequences: readonly Uint8Array[],
  frames: number,
  size: number,
): tf.Tensor5D => {
  const per = frames * size * size * 3;
  const out = new Float32Array(sequences.length * per);
  sequences.forEach((seq, b) => {
    if (seq.length < per) {
      throw new RangeError(
        `sequence ${b} has ${seq.length} bytes, needs ${per} (${frames} frames of ${size}x${size}x3)`,
      );
    }
    for (let i = 0; i < per; i++) out[b * per + i] = seq[i] / 255;
  });
  return tf.tensor5d(out, [sequences.length, frames, size, size, 3]);
};
