/**
 * Faster paths for backend kernels that are correct but slow.
 *
 * - **wasm `BatchMatMul` with `transposeA` or `transposeB`**: tfjs-backend-wasm 4.22 hands the
 *   flags to its C++ matrix product, which runs 7-15x slower than transposing first and
 *   multiplying plainly (measured here: `[4096, 128]^T [4096, 128]` 185 ms against 15 ms;
 *   `[256, 128]^T [256, 128]` 12.0 ms against 1.2 ms). Every dense layer's backward pass multiplies
 *   by a transpose (`dW = x^T dy`, `dx = dy W^T`), so every MLP model trains at that speed. The
 *   replacement transposes the flagged operands with wasm's own `Transpose` kernel and calls the
 *   stock kernel without flags: the same products, as exact as before, in the time of a transpose
 *   and a plain product.
 * - **wasm `Slice`, `SplitV` and `Unpack`**: the stock slice copies the WHOLE input out of the
 *   wasm heap (`readSync`) before it copies the window, so taking one frame of a 12.9M-float batch
 *   costs as much as copying the batch (40 ms); from rank 5 it then walks the window element by
 *   element in JavaScript (1.4 s for a tenth of the same batch). `SplitV` and `Unpack` call it
 *   once per output, so an `n`-way split copies the input `n` times. The replacements read the
 *   input in place (a view of the heap) and copy each contiguous run of the window once, at any
 *   rank.
 * - **wasm `Reverse`**: the stock kernel computes every element's source index apart; each input
 *   gradient of a convolution flips its filter, ~190 times per update of the small HGN preset
 *   (9% of its kernel time). The replacement copies the blocks below the last reversed axis whole.
 * - **wasm `Sum` over leading axes**: the stock kernel first transposes the reduced axes innermost,
 *   so every bias gradient (`dy` summed over batch and pixels) copies all of `dy`: 100 ms for a
 *   `[176, 32, 32, 64]` decoder gradient. The replacement sums rows in place in one pass, with
 *   float64 accumulators (18 ms, and closer to the exact sum).
 * - **wasm `Identity`**: tfjs clones every tensor it saves for a gradient (`tf.clone`, the
 *   `Identity` kernel), and the stock wasm kernel copies the data: each conv layer's input and
 *   output copied once more per update (1,500 copies in a paper-sized HGN update), doubling the
 *   memory they hold. Tensors are immutable, so the replacement shares the buffer and counts the
 *   reference, as the cpu backend's `Identity` and wasm's own `Reshape` do.
 * - **wasm `Conv2D`**: our own kernel, wasm SIMD emitted per layer shape
 *   (lib/tensor/conv_kernel.ts); every convolution of the models, and their input and filter
 *   gradients, which lib/tensor/gradients.ts writes as forward convolutions, runs through it.
 * - **wasm `Softplus`**: the stock kernel is scalar (about 15 ns a float, 44% of NHF's density
 *   evaluation); ours is wasm SIMD (lib/tensor/softplus_kernel.ts), about 5x faster on inputs of
 *   moderate size, and more exact.
 * - **wasm `Concat`**: the stock kernel copies each input row by row in JavaScript (a `subarray`
 *   and `set` per row, 11 ns a float when the rows are a state's 16 channels); ours copies all of
 *   an input's rows in one wasm SIMD call (lib/tensor/copy_kernel.ts), as do the slices, splits
 *   and flips above when their blocks are short.
 * - **wasm `LeakyRelu`**: the stock kernel is scalar; ours is wasm SIMD with the same bits
 *   (lib/tensor/elementwise.ts).
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { conv2dKernel } from "./conv_kernel.ts";
import { softplusKernel } from "./softplus_kernel.ts";
import { leakyReluKernel } from "./elementwise.ts";
import { concatKernel, copyRuns, type RowCopy, rowCopyOf } from "./copy_kernel.ts";

type KernelParams = Parameters<tf.KernelFunc>[0];

/** The last two axes of `x` swapped, by wasm's `Transpose` kernel. */
const swapLastAxes = (
  transpose: tf.KernelFunc,
  x: tf.TensorInfo,
  backend: KernelParams["backend"],
): tf.TensorInfo => {
  const r = x.shape.length;
  const perm = Array.from({ length: r }, (_, i) => i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i);
  return transpose({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
};

/** The parts of tfjs-backend-wasm's backend that the slice kernels use. */
interface WasmHeap {
  wasm?: { asm?: { memory: WebAssembly.Memory } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Row-major strides of `shape`. */
const stridesOf = (shape: readonly number[]): number[] => {
  const stride = new Array<number>(shape.length);
  for (let a = shape.length - 1, s = 1; a >= 0; s *= shape[a], a--) stride[a] = s;
  return stride;
};

/**
 * Advances the multi-index `index` over `counts` (last axis fastest) by one; returns how far the
 * source moves, `steps[a]` elements per index of axis `a`.
 */
const odometerStep = (
  index: number[],
  counts: readonly number[],
  steps: readonly number[],
): number => {
  let move = 0;
  for (let a = counts.length - 1; a >= 0; a--) {
    move += steps[a];
    if (++index[a] < counts[a]) break;
    move -= counts[a] * steps[a];
    index[a] = 0;
  }
  return move;
};

/**
 * Fills `dst` in order with blocks of `run` elements of `src`: the first block starts at `start`,
 * and the next one's start is found by an odometer over `counts` (last axis fastest) that moves
 * `steps[a]` elements of `src` (negative: backwards) per index of axis `a`.
 */
const copyBlocks = (
  src: Float32Array | Int32Array | Uint8Array,
  dst: Float32Array | Int32Array | Uint8Array,
  run: number,
  start: number,
  counts: readonly number[],
  steps: readonly number[],
  copy?: RowCopy,
): void => {
  if (copy && src.BYTES_PER_ELEMENT === 4 && run < SHORT_RUN) {
    return copyRowBlocks(copy, src, dst, run, start, counts, steps);
  }
  const index = new Array<number>(counts.length).fill(0);
  let from = start;
  for (let to = 0; to < dst.length; to += run) {
    if (run >= 16) dst.set(src.subarray(from, from + run), to);
    else for (let i = 0; i < run; i++) dst[to + i] = src[from + i];
    from += odometerStep(index, counts, steps);
  }
};

/** Blocks shorter than this many elements are copied by wasm rows (longer: `TypedArray.set`). */
const SHORT_RUN = 256;

/**
 * {@link copyBlocks} of 4-byte elements by wasm rows: axes that step on from the one after them
 * merge into it, the innermost is the rows of one {@link RowCopy} call, and the odometer walks
 * the rest.
 */
const copyRowBlocks = (
  copy: RowCopy,
  src: Float32Array | Int32Array | Uint8Array,
  dst: Float32Array | Int32Array | Uint8Array,
  run: number,
  start: number,
  counts: readonly number[],
  steps: readonly number[],
): void => {
  const c = [...counts], s = [...steps];
  for (let a = c.length - 2; a >= 0; a--) {
    if (s[a] === c[a + 1] * s[a + 1]) {
      c[a + 1] *= c[a];
      c.splice(a, 1);
      s.splice(a, 1);
    }
  }
  const rows = c.pop() ?? 1, step = s.pop() ?? 0;
  const index = new Array<number>(c.length).fill(0);
  let from = start;
  for (let to = 0; to < dst.length; to += rows * run) {
    copyRuns(copy, src.byteOffset + 4 * from, dst.byteOffset + 4 * to, rows, run, step, run);
    from += odometerStep(index, c, s);
  }
};

/**
 * A new tensor of `shape` and `x`'s dtype, filled by `fill(src, dst)` from views of the heap
 * taken after the allocation (allocating may grow the heap and detach older views).
 */
const fillOutput = (
  backend: WasmHeap,
  x: tf.TensorInfo,
  shape: number[],
  fill: (
    src: Float32Array | Int32Array | Uint8Array,
    dst: Float32Array | Int32Array | Uint8Array,
  ) => void,
): tf.TensorInfo => {
  const out = backend.makeOutput(shape, x.dtype);
  if (shape.every((n) => n > 0)) {
    fill(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out));
  }
  return out;
};

/**
 * Copies the window `[begin, begin + size)` of `x` into a new tensor of shape `size`, reading
 * `x` in place: the window's innermost contiguous run (its last axis, widened over every trailing
 * axis it spans whole) is one block; the axes before it are walked by {@link copyBlocks}.
 */
const sliceWindow = (
  backend: WasmHeap,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: number[],
): tf.TensorInfo =>
  fillOutput(backend, x, size, (src, dst) => {
    const shape = x.shape;
    if (shape.length === 0) return void (dst[0] = src[0]);
    const stride = stridesOf(shape);
    let k = shape.length - 1; // axes after k are whole: the run spans them
    while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
    const start = begin.reduce((sum, b, a) => sum + b * stride[a], 0);
    copyBlocks(
      src,
      dst,
      size[k] * stride[k],
      start,
      size.slice(0, k),
      stride.slice(0, k),
      rowCopyOf(backend),
    );
  });

/**
 * `x` reversed along `axes`, reading `x` in place: everything after the last reversed axis is
 * one block; the axes up to it are walked by {@link copyBlocks}, backwards on the reversed ones.
 */
const reverseAxes = (backend: WasmHeap, x: tf.TensorInfo, axes: readonly number[]) =>
  fillOutput(backend, x, [...x.shape], (src, dst) => {
    const shape = x.shape;
    const last = Math.max(...axes);
    const stride = stridesOf(shape);
    const counts = shape.slice(0, last + 1);
    const steps = counts.map((_, a) => axes.includes(a) ? -stride[a] : stride[a]);
    const start = counts.reduce(
      (sum, n, a) => sum + (axes.includes(a) ? (n - 1) * stride[a] : 0),
      0,
    );
    copyBlocks(src, dst, stride[last], start, counts, steps, rowCopyOf(backend));
  });

/** `Slice` on wasm, reading its input in place; strings go to the stock kernel. */
const sliceKernel = (fallback: tf.KernelConfig): tf.KernelFunc => (params) => {
  const { inputs, backend, attrs } = params;
  const x = (inputs as { x: tf.TensorInfo }).x;
  if (x.dtype === "string") return fallback.kernelFunc(params);
  const { begin, size } = attrs as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as tf.TensorInfo as tf.Tensor, b, s);
  return sliceWindow(backend as unknown as WasmHeap, x, b, s);
};

/** `SplitV` on wasm: consecutive windows along `axis`, each copied once. */
const splitVKernel = (fallback: tf.KernelConfig): tf.KernelFunc => (params) => {
  const { inputs, backend, attrs } = params;
  const x = (inputs as { x: tf.TensorInfo }).x;
  if (x.dtype === "string") return fallback.kernelFunc(params);
  const { numOrSizeSplits, axis } = attrs as { numOrSizeSplits: number | number[]; axis: number };
  const [ax] = tf.util.parseAxisParam(axis, x.shape);
  const sizes = tf.backend_util.prepareSplitSize(
    x as tf.TensorInfo as tf.Tensor,
    numOrSizeSplits,
    ax,
  );
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((n) => {
    const size = [...x.shape];
    size[ax] = n;
    const part = sliceWindow(backend as unknown as WasmHeap, x, begin, size);
    begin[ax] += n;
    return part;
  });
};

/** `Unpack` on wasm: each index along `axis` copied once, that axis dropped. */
const unpackKernel = (fallback: tf.KernelConfig): tf.KernelFunc => (params) => {
  const { inputs, backend, attrs } = params;
  const x = (inputs as { value: tf.TensorInfo }).value;
  if (x.dtype === "string") return fallback.kernelFunc(params);
  const ax = tf.util.parseAxisParam((attrs as { axis: number }).axis, x.shape)[0];
  const outShape = x.shape.filter((_, a) => a !== ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  const size = [...x.shape];
  size[ax] = 1;
  return Array.from({ length: x.shape[ax] }, (_, i) => {
    begin[ax] = i;
    const part = sliceWindow(backend as unknown as WasmHeap, x, begin, size);
    return { ...part, shape: outShape };
  });
};

/** `Reverse` on wasm, reading its input in place; strings and scalars go to the stock kernel. */
const reverseKernel = (fallback: tf.KernelConfig): tf.KernelFunc => (params) => {
  const { inputs, backend, attrs } = params;
  const x = (inputs as { x: tf.TensorInfo }).x;
  const axes = tf.util.parseAxisParam((attrs as { dims: number | number[] }).dims, x.shape);
  if (x.dtype === "string" || axes.length === 0) return fallback.kernelFunc(params);
  return reverseAxes(backend as unknown as WasmHeap, x, axes);
};

/**
 * `Sum` on wasm over leading axes (the bias gradient of every layer: `dy` summed over batch and
 * pixels) in one pass over the input in place, accumulated in float64; every other reduction (and
 * dtype) goes to the stock kernel, which transposes the reduced axes innermost first.
 */
const sumKernel = (fallback: tf.KernelConfig): tf.KernelFunc => (params) => {
  const { inputs, backend, attrs } = params;
  const x = (inputs as { x: tf.TensorInfo }).x;
  const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q);
  const k = axes.length;
  const leading = k > 0 && k < x.shape.length && axes.every((a, i) => a === i);
  if (x.dtype !== "float32" || !leading) return fallback.kernelFunc(params);
  const rows = x.shape.slice(0, k).reduce((p, q) => p * q, 1);
  const kept = x.shape.slice(k);
  const shape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept;
  const heap = backend as unknown as WasmHeap;
  const out = heap.makeOutput(shape, "float32");
  const width = kept.reduce((p, q) => p * q, 1);
  if (width === 0) return out;
  const src = heap.typedArrayFromHeap(x);
  const dst = heap.typedArrayFromHeap(out);
  const acc = new Float64Array(width);
  for (let r = 0, o = 0; r < rows; r++, o += width) {
    for (let c = 0; c < width; c++) acc[c] += src[o + c];
  }
  dst.set(acc);
  return out;
};

/** `Identity` on wasm: the same buffer, one more reference; strings go to the stock kernel. */
const identityKernel = (fallback: tf.KernelConfig): tf.KernelFunc => (params) => {
  const x = (params.inputs as { x: tf.TensorInfo }).x;
  if (x.dtype === "string") return fallback.kernelFunc(params);
  (params.backend as unknown as { incRef(dataId: unknown): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/**
 * `BatchMatMul` on wasm: operands flagged for transposition are transposed first by wasm's own
 * `Transpose` kernel, then the stock product runs unflagged (without a `Transpose` kernel, the
 * stock kernel as it is).
 */
const matMulKernel = (fallback: tf.KernelConfig): tf.KernelFunc => {
  const transpose = tf.getKernel("Transpose", "wasm")?.kernelFunc;
  if (!transpose) return fallback.kernelFunc;
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return fallback.kernelFunc({ inputs, backend, attrs });
    const { a: a0, b: b0 } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const a = transposeA ? swapLastAxes(transpose, a0, backend) : a0;
    const b = transposeB ? swapLastAxes(transpose, b0, backend) : b0;
    try {
      return fallback.kernelFunc({
        inputs: { a, b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      const data = backend as { disposeData(id: unknown): boolean };
      if (transposeA) data.disposeData(a.dataId);
      if (transposeB) data.disposeData(b.dataId);
    }
  };
};

/** Each replaced wasm kernel, by name, and how its replacement is made from the stock one. */
const replacements: Readonly<Record<string, (stock: tf.KernelConfig) => tf.KernelFunc>> = {
  BatchMatMul: matMulKernel,
  Concat: concatKernel,
  Conv2D: (stock) => conv2dKernel(stock),
  Identity: identityKernel,
  LeakyRelu: leakyReluKernel,
  Reverse: reverseKernel,
  Slice: sliceKernel,
  Softplus: softplusKernel,
  SplitV: splitVKernel,
  Sum: sumKernel,
  Unpack: unpackKernel,
};

/**
 * The stock wasm kernels that {@link registerKernelFixes} replaces, captured before it does, by
 * kernel name (`undefined`: the backend lacks it). Benchmarks register them back to compare.
 */
export const stockWasmKernels: Readonly<Record<string, tf.KernelConfig | undefined>> = Object
  .fromEntries(Object.keys(replacements).map((name) => [name, tf.getKernel(name, "wasm")]));

/** Replaces `config`'s kernel function on its backend (idempotence is the caller's). */
const replaceKernel = (config: tf.KernelConfig, kernelFunc: tf.KernelFunc): void => {
  tf.unregisterKernel(config.kernelName, config.backendName);
  tf.registerKernel({ ...config, kernelFunc });
};

let registered = false;

/**
 * Replaces the slow kernels above with their faster paths, once (idempotent; a backend that lacks
 * a kernel is left alone). {@link useBackend} calls it.
 *
 * Law: `tf.matMul(a, b, transposeA, transposeB)` on wasm equals the product of the transposed
 * operands to float32 rounding, for every rank and flag combination
 * (tests/tensor/kernels_test.ts).
 *
 * @example
 * ```ts
 * import { registerKernelFixes, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("wasm");
 * registerKernelFixes();
 * const a = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 * const p = await tf.matMul(a, a, true, false).data(); // a^T a
 * ok(p[0] === 35 && p[1] === 44 && p[3] === 56);
 * ```
 */
export const registerKernelFixes = (): void => {
  if (registered) return;
  registered = true;
  for (const [name, replacement] of Object.entries(replacements)) {
    const stock = stockWasmKernels[name];
    if (stock) replaceKernel(stock, replacement(stock));
  }
};
