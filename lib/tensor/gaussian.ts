/**
 * The diagonal Gaussian posterior's term of a variational objective.
 *
 * @module
 */
import { tf } from "../deps/tf.ts";

/**
 * The KL divergence of `N(mean, exp(logStd)^2)` from `N(0, 1)`, averaged over every entry.
 *
 * @example
 * ```ts
 * import { gaussianKl, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const kl = await gaussianKl(tf.zeros([2, 3]), tf.zeros([2, 3])).data();
 * ok(Math.abs(kl[0]) < 1e-7); // the prior itself
 * ```
 */
export const gaussianKl = (mean: tf.Tensor, logStd: tf.Tensor): tf.Scalar =>
  tf.mul(
    0.5,
    tf.mean(
      tf.sub(tf.add(tf.square(mean), tf.exp(tf.mul(2, logStd))), tf.add(1, tf.mul(2, logStd))),
    ),
  ) as tf.Scalar;
