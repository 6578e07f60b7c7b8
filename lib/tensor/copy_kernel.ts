/**
 * Strided copies in wasm SIMD for the wasm backend's data-movement kernels: `Concat` (ours), and
 * the slices, splits and flips of lib/tensor/kernels.ts.
 *
 * tfjs-backend-wasm 4.22's `Concat` copies each input's rows in JavaScript, one `subarray` and
 * `set` per row; joining two `[4, 16, 16, 16]` states along their channels is 2,048 such calls,
 * about 0.37 ms, 11 ns a float, for what is a memory copy. The default HGN's update joins `[q, p]`
 * that way at every force evaluation of its conv Hamiltonian, and splits the joined gradient back
 * (our `SplitV` had the same per-row cost): 9% of the update's kernel time. Here one wasm call
 * copies every row of an input: four floats per `v128` load and store, the row's last one to three
 * elements by 32-bit loads and stores. Copies move bits, so the results are the same bits as the
 * stock kernels', NaN payloads included.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { Code, compileOn, I32 } from "./wasm_emit.ts";

/**
 * `copyRows(src, dst, rows, srcStep, dstStep, vecBytes, rowBytes)`, every argument in bytes but
 * `rows` (at least 1): row `r` copies `rowBytes` from `src + r srcStep` to `dst + r dstStep`, the
 * first `vecBytes` (a multiple of 16) by vectors, the rest by 4-byte words.
 */
export type RowCopy = (
  src: number,
  dst: number,
  rows: number,
  srcStep: number,
  dstStep: number,
  vecBytes: number,
  rowBytes: number,
) => void;

/** The body of {@link RowCopy}. */
export const emitCopyRows = (): Code => {
  const c = new Code(7);
  const [src, dst, rows, srcStep, dstStep, vecBytes, rowBytes] = [0, 1, 2, 3, 4, 5, 6];
  const r = c.local(I32), i = c.local(I32);
  c.forLocal(r, rows, () => {
    c.i32(0).set(i);
    c.whileBelow(i, vecBytes, 16, () => {
      c.get(dst).get(i).add().get(src).get(i).add().v128Load(0).v128Store(0);
    });
    c.whileBelow(i, rowBytes, 4, () => {
      c.get(dst).get(i).add().get(src).get(i).add().i32Load(0).i32Store(0);
    });
    c.get(src).get(srcStep).add().set(src);
    c.get(dst).get(dstStep).add().set(dst);
  });
  return c;
};

/** The compiled {@link RowCopy} on `memory`. */
export const copyRowsOn = (memory: WebAssembly.Memory): RowCopy =>
  compileOn(memory, "copyRows", () => [{ name: "copyRows", code: emitCopyRows() }])
    .copyRows as RowCopy;

/**
 * Copies `rows` runs of `run` 4-byte elements by `copy`: run `r` from element `r srcStep` after
 * the byte address `src` to element `r dstStep` after `dst` (steps may be negative).
 */
export const copyRuns = (
  copy: RowCopy,
  src: number,
  dst: number,
  rows: number,
  run: number,
  srcStep: number,
  dstStep: number,
): void => {
  if (rows > 0 && run > 0) copy(src, dst, rows, 4 * srcStep, 4 * dstStep, 16 * (run >> 2), 4 * run);
};

/** The parts of tfjs-backend-wasm's backend the copies use. */
export interface CopyBackend {
  wasm?: { asm?: { memory: WebAssembly.Memory } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The backend's {@link RowCopy}, when it is the wasm backend with its memory. */
export const rowCopyOf = (backend: CopyBackend): RowCopy | undefined => {
  const memory = backend.wasm?.asm?.memory;
  return memory ? copyRowsOn(memory) : undefined;
};

/**
 * `Concat` on wasm: each input's rows (everything from `axis` on) copied into place by one
 * {@link RowCopy} call. Inputs of 4-byte dtypes (`float32`, `int32`) only; others go to the stock
 * kernel.
 *
 * @example
 * ```ts
 * import { registerKernelFixes, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("wasm");
 * registerKernelFixes();
 * const a = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
 * const b = tf.tensor3d([7, 8], [1, 2, 1]);
 * deepStrictEqual(Array.from(await tf.concat([a, b], 2).data()), [1, 2, 3, 7, 4, 5, 6, 8]);
 * ```
 */
export const concatKernel = (fallback: tf.KernelConfig): tf.KernelFunc => (params) => {
  const xs = params.inputs as unknown as tf.TensorInfo[];
  const backend = params.backend as unknown as CopyBackend;
  const copy = rowCopyOf(backend);
  const dtype = xs[0]?.dtype;
  if (
    !copy || (dtype !== "float32" && dtype !== "int32") || xs.some((x) => x.dtype !== dtype)
  ) {
    return fallback.kernelFunc(params);
  }
  const shapes = xs.map((x) => x.shape);
  const [axis] = tf.util.parseAxisParam((params.attrs as { axis: number }).axis, shapes[0]);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const shape = tf.backend_util.computeOutShape(shapes, axis);
  const out = backend.makeOutput(shape, dtype);
  const rows = tf.util.sizeFromShape(shape.slice(0, axis));
  const width = tf.util.sizeFromShape(shape.slice(axis));
  if (rows * width === 0) return out;
  // addresses after the allocation (it may grow the heap and detach older views)
  const to = backend.typedArrayFromHeap(out).byteOffset;
  let column = 0;
  for (const x of xs) {
    const run = tf.util.sizeFromShape(x.shape.slice(axis));
    copyRuns(
      copy,
      backend.typedArrayFromHeap(x).byteOffset,
      to + 4 * column,
      rows,
      run,
      run,
      width,
    );
    column += run;
  }
  return out;
};
