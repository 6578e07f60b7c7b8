/**
 * The {@link VectorSpace} of tfjs tensors, so the core integrators run unchanged on tensors.
 *
 * @module
 */
import type { VectorSpace } from "../core/vector_space.ts";
import type { LogDetSpace } from "../core/density_map.ts";
import { tf } from "../deps/tf.ts";

/**
 * The tensor instance of {@link VectorSpace}: elementwise tfjs ops, new tensors out, inputs never
 * disposed, no intermediates left behind (`axpy` is one tidy). There is no `normInf`: values
 * live on a device and reading them would synchronise, so implicit integrators run a fixed number
 * of iterations (which keeps them differentiable). Shapes must match (or broadcast).
 *
 * Laws (float32): the {@link VectorSpace} laws; `axpy(a, x, y) = add(y, scale(x, a))`.
 *
 * @example
 * ```ts
 * import { tensorSpace, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const v = tensorSpace.axpy(2, tf.tensor1d([1, 2]), tf.tensor1d([10, 20]));
 * deepStrictEqual(Array.from(await v.data()), [12, 24]);
 * ```
 */
export const tensorSpace: VectorSpace<tf.Tensor> = {
  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  scale: (a, k) => tf.mul(a, k),
  axpy: (k, x, y) => tf.tidy(() => tf.add(tf.mul(x, k), y)),
};

/**
 * Log-determinants of a batch: per-sample tensors `[B]`, or the plain number 0 of maps that
 * preserve volume (so a symplectic step allocates nothing), for density maps over tensors
 * (`densityMaps(tensorLogDet)`, see `@hamiltonian/hgn/core`).
 *
 * @example
 * ```ts
 * import { tensorLogDet, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(tensorLogDet.add(tensorLogDet.zero, 0), 0);
 * const l = tensorLogDet.add(tensorLogDet.zero, tf.tensor1d([1, 2])) as tf.Tensor;
 * deepStrictEqual(Array.from(await l.data()), [1, 2]);
 * ```
 */
export const tensorLogDet: LogDetSpace<tf.Tensor | number> = {
  zero: 0,
  add: (a, b) =>
    typeof a === "number" && typeof b === "number"
      ? a + b
      : typeof a === "number" && a === 0
      ? b
      : typeof b === "number" && b === 0
      ? a
      : tf.add(a, b),
};
