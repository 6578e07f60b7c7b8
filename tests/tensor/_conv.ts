// Shared by the convolution kernel tests (conv_kernel_test.ts, winograd_test.ts): the cases, the
// float64 reference with each output's sum of |terms|, the float32 dot-product bound, and
// tf.conv2d on wasm through a chosen kernel. Importing it starts the wasm backend.
import { tf } from "../../lib/deps/tf.ts";
import { useBackend } from "../../lib/tensor/backend.ts";
import { stockWasmKernels } from "../../lib/tensor/kernels.ts";
import { convLoop, geom } from "./_reference.ts";
import { values } from "./_numeric.ts";

await useBackend("wasm");

export type Shape = [number, number, number, number];
export interface Case {
  readonly x: Shape;
  readonly f: Shape;
  readonly s: number;
  readonly pad: "same" | "valid";
}

/** Stride-1 3x3 cases that run by Winograd F(2x2, 3x3) (at least WINOGRAD_MIN_BLOCKS blocks). */
export const winogradCases: Case[] = [
  { x: [4, 16, 16, 8], f: [3, 3, 8, 12], s: 1, pad: "same" },
  { x: [2, 18, 34, 12], f: [3, 3, 12, 8], s: 1, pad: "valid" }, // the direct path, 2 block rows
  { x: [1, 32, 34, 64], f: [3, 3, 64, 20], s: 1, pad: "same" }, // blocks across rows and batches
  { x: [3, 16, 22, 16], f: [3, 3, 16, 16], s: 1, pad: "same" },
];

/** `tf.conv2d` on wasm with `Conv2D` as `kernel` (restored after). */
export const withConv = <T>(kernel: tf.KernelFunc, body: () => T): T => {
  const current = tf.getKernel("Conv2D", "wasm")!;
  tf.unregisterKernel("Conv2D", "wasm");
  tf.registerKernel({ ...current, kernelFunc: kernel });
  try {
    return body();
  } finally {
    tf.unregisterKernel("Conv2D", "wasm");
    tf.registerKernel(current);
  }
};

export const stock = stockWasmKernels.Conv2D!;

/** The inputs of `c`, seeded, and the float64 convolution with each output's sum of |terms|. */
/** A case's seeded inputs and its float64 convolution. */
export interface Reference {
  readonly g: ReturnType<typeof geom>;
  readonly x: Float64Array;
  readonly f: Float64Array;
  readonly y: Float64Array;
  /** each output's sum of |terms| */
  readonly mass: Float64Array;
  /** terms per output */
  readonly k: number;
}

export const reference = (c: Case, seed: number): Reference => {
  const g = geom(c.x, c.f, c.s, c.pad);
  const x = values(seed, c.x.reduce((p, q) => p * q));
  const f = values(seed + 1, c.f.reduce((p, q) => p * q));
  const y = new Float64Array(g.b * g.oh * g.ow * g.co);
  const mass = new Float64Array(y.length);
  convLoop(g, (xi, fi, yi) => {
    y[yi] += x[xi] * f[fi];
    mass[yi] += Math.abs(x[xi] * f[fi]);
  });
  return { g, x, f, y, mass, k: c.f[0] * c.f[1] * c.f[2] };
};

/**
 * The largest `|got - exact| / bound` over the outputs, with `bound = gamma_K * sum |terms|`, the
 * float32 dot product's worst case (K terms, unit roundoff 2^-24): at most 1 for any correct
 * summation order, fused or not.
 */
export const errorRatio = (got: ArrayLike<number>, ref: Reference): number => {
  const u = 2 ** -24;
  const gamma = (ref.k * u) / (1 - ref.k * u);
  if (got.length !== ref.y.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref.y[i]);
    const bound = gamma * ref.mass[i] + 1e-30;
    if (!(err <= bound * 1e9)) return Infinity; // NaN, or far off
    worst = Math.max(worst, err / bound);
  }
  return worst;
};

export const viaTf = async (
  c: Case,
  x: Float64Array,
  f: Float64Array,
  kernel?: tf.KernelFunc,
): Promise<Float32Array> => {
  const run = () =>
    tf.conv2d(
      tf.tensor4d(Float32Array.from(x), c.x),
      tf.tensor4d(Float32Array.from(f), c.f),
      c.s,
      c.pad,
    );
  const y = kernel ? withConv(kernel, () => tf.tidy(run)) : tf.tidy(run);
  const data = await y.data();
  y.dispose();
  return data as Float32Array;
};
