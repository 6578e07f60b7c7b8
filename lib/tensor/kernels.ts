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
 *
 * @module
 */
import { tf } from "../deps/tf.ts";

type KernelParams = Parameters<tf.KernelFunc>[0];

/** The stock `BatchMatMul` kernel of wasm, captured before it is replaced (`undefined`: none). */
export const stockWasmMatMul: tf.KernelConfig | undefined = tf.getKernel("BatchMatMul", "wasm");

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
  const stock = stockWasmMatMul;
  const transpose = tf.getKernel("Transpose", "wasm")?.kernelFunc;
  if (!stock || !transpose) return;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    ...stock,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return stock.kernelFunc({ inputs, backend, attrs });
      const { a: a0, b: b0 } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const a = transposeA ? swapLastAxes(transpose, a0, backend) : a0;
      const b = transposeB ? swapLastAxes(transpose, b0, backend) : b0;
      try {
        return stock.kernelFunc({
          inputs: { a, b },
          backend,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        });
      } finally {
        const data = backend as { disposeData(id: unknown): boolean };
        if (transposeA) data.disposeData(a.dataId);
        if (transposeB) data.disposeData(b.dataId);
      }
    },
  });
};
