/**
 * One-input float kernels for the wasm backend in wasm SIMD: the driver they share (the loop's
 * overlapping last step, the scratch path for small tensors), and our `LeakyRelu`.
 *
 * tfjs-backend-wasm 4.22's `LeakyRelu` is a scalar loop, about 1.7 ns a float on the project's
 * Xeon: 28 calls of the default HGN's update (its decoder's activations and their gradients'
 * forward passes) took 12 ms, 4.5% of its kernel time. Ours selects `alpha x` where `x < 0` and
 * `x` elsewhere, four floats per instruction: the stock kernel's choice and its one rounded
 * product, so the same bits.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { Code, compileOn, I32, V128 } from "./wasm_emit.ts";

/**
 * A compiled elementwise function `f(x, y, last)`: `y[i] = op(x[i])` for the floats at byte
 * addresses `x` and `y`, one step of floats at byte offsets `0, step * 4, ...` below `last`, then
 * one at `last` itself (`last = (n - step) * 4` for `n >= step` floats; the overlap is computed
 * twice, to the same bits).
 */
export type ElementwiseFunction = (x: number, y: number, last: number) => void;

/** The parts of tfjs-backend-wasm's backend the elementwise kernels use. */
interface WasmBackend {
  wasm?: {
    asm?: { memory: WebAssembly.Memory };
    HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * A kernel running `compiled(memory, attrs)` over a float32 input `x` (other dtypes go to the
 * stock kernel), `step` floats at a time. Fewer floats than one step run through a scratch buffer
 * padded with zeros, so every size gets the same bits per element.
 */
export const elementwiseKernel = (
  fallback: tf.KernelConfig,
  step: number,
  compiled: (memory: WebAssembly.Memory, attrs: tf.NamedAttrMap) => ElementwiseFunction,
): tf.KernelFunc =>
(params) => {
  const x = (params.inputs as { x: tf.TensorInfo }).x;
  const backend = params.backend as unknown as WasmBackend;
  const wasm = backend.wasm;
  if (x.dtype !== "float32" || !wasm?.asm?.memory) return fallback.kernelFunc(params);
  const out = backend.makeOutput([...x.shape], "float32");
  const size = tf.util.sizeFromShape(x.shape);
  if (size === 0) return out;
  const run = compiled(wasm.asm.memory, params.attrs ?? {});
  if (size >= step) {
    // views after the allocation (it may grow the heap and detach older views)
    const from = backend.typedArrayFromHeap(x).byteOffset;
    run(from, backend.typedArrayFromHeap(out).byteOffset, (size - step) * 4);
    return out;
  }
  const scratch = wasm._malloc(8 * step) >>> 0;
  if (scratch === 0) {
    throw new RangeError(`${fallback.kernelName}: the wasm heap has no room for ${step} floats`);
  }
  try {
    const [input, output] = [scratch / 4, scratch / 4 + step];
    wasm.HEAPF32.subarray(input, output).fill(0).set(backend.typedArrayFromHeap(x));
    run(scratch, scratch + 4 * step, 0);
    backend.typedArrayFromHeap(out).set(wasm.HEAPF32.subarray(output, output + size));
  } finally {
    wasm._free(scratch);
  }
  return out;
};

/**
 * Appends the loop of an {@link ElementwiseFunction} to `c`: `body()` at byte offsets
 * `local[at] = 0, bytes, 2 bytes, ...` below `local[last]`, then once at `local[last]` itself.
 */
export const emitOverlappingSteps = (
  c: Code,
  at: number,
  last: number,
  bytes: number,
  body: () => void,
): Code => {
  c.i32(0).set(at);
  c.loop(() => {
    body();
    c.bump(at, bytes).get(at).get(last).ltS().brIf(0);
  });
  c.get(last).set(at);
  body();
  return c;
};

/** Vectors of 4 floats per step of the `LeakyRelu` loop. */
export const LEAKY_RELU_VECTORS = 4;

/**
 * The body of the {@link ElementwiseFunction} `y = x < 0 ? alpha x : x` (`alpha` a float32
 * constant of the module), `vectors` vectors per step.
 */
export const emitLeakyRelu = (alpha: number, vectors = LEAKY_RELU_VECTORS): Code => {
  const c = new Code(3);
  const [X, Y, LAST] = [0, 1, 2];
  const at = c.local(I32), a = c.local(V128), zero = c.local(V128);
  const xs = Array.from({ length: vectors }, () => c.local(V128));
  c.f32x4Const(alpha).set(a).v128Zero().set(zero);
  const body = () => {
    xs.forEach((x, g) => c.get(X).get(at).add().v128Load(16 * g).set(x));
    xs.forEach((x, g) => {
      c.get(Y).get(at).add();
      c.get(x).get(a).f32x4Mul().get(x).get(x).get(zero).f32x4Lt().v128Bitselect();
      c.v128Store(16 * g);
    });
  };
  return emitOverlappingSteps(c, at, LAST, 16 * vectors, body);
};

/** The compiled `LeakyRelu` of slope `alpha` on `memory`. */
export const leakyReluOn = (memory: WebAssembly.Memory, alpha: number): ElementwiseFunction =>
  compileOn(memory, JSON.stringify(["leakyRelu", Math.fround(alpha)]), () => [
    { name: "leakyRelu", code: emitLeakyRelu(alpha) },
  ]).leakyRelu as ElementwiseFunction;

/**
 * `LeakyRelu` on wasm by {@link emitLeakyRelu}: the stock kernel's bits, four floats per
 * instruction; other dtypes go to the stock kernel.
 *
 * @example
 * ```ts
 * import { registerKernelFixes, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("wasm");
 * registerKernelFixes();
 * const y = await tf.leakyRelu(tf.tensor1d([-2, -0.5, 0, 3]), 0.25).data();
 * deepStrictEqual(Array.from(y), [-0.5, -0.125, 0, 3]);
 * ```
 */
export const leakyReluKernel = (fallback: tf.KernelConfig): tf.KernelFunc =>
  elementwiseKernel(
    fallback,
    4 * LEAKY_RELU_VECTORS,
    (memory, attrs) => leakyReluOn(memory, (attrs as { alpha: number }).alpha),
  );
