/**
 * Tensors that can be trusted: the tfjs backend policy, the verified higher-order gradient layer,
 * the {@link VectorSpace} of tensors, Hamiltonians from networks by autodiff, and small nn blocks.
 * The only part of the library that imports tfjs (import it from `@hamiltonian/hgn/tensor`; the
 * root module and the core never download tfjs).
 *
 * ```ts
 * import { tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(tf.getBackend(), "cpu");
 * ```
 * @module
 */
export { tf } from "../deps/tf.ts";
export * from "./backend.ts";
export * from "./gradients.ts";
export * from "./kernels.ts";
export * from "./space.ts";
export * from "./hamiltonian.ts";
export * from "./params.ts";
export * from "./layers.ts";
export * from "./gaussian.ts";
export * from "./frames.ts";
