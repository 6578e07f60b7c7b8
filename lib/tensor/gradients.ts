/**
 * The verified higher-order gradient layer: gradient functions that tfjs 4.22 gets wrong, or
 * lacks, at second order, re-registered once so that gradients of gradients are right.
 *
 * Why each one is here (measured in Deno on cpu and wasm, see tests/tensor/gradients_test.ts):
 *
 * - **Sigmoid, Tanh, Exp, Elu, Softmax, Pow**: the stock gradients reuse the op's
 *   saved OUTPUT. tfjs saves an output by cloning it inside the kernel, which puts the clone's
 *   tape node BEFORE the node that produced the output; the backward pass walks the tape in
 *   reverse, so a second-order gradient through the saved output is silently dropped (wrong
 *   numbers) or fails with "Cannot compute gradient of y=f(x)". Here they recompute from the
 *   INPUT (`sigmoid(x)` again), which is on the tape in the right order.
 * - **Greater, Less, LessEqual, Equal, NotEqual, LogicalNot/And/Or**: no gradient at all, so the
 *   second derivative of `leakyRelu`, `maximum`, `minimum`, `prelu` and `where` throws. Their
 *   gradient is zero.
 * - **Conv2D, Conv2DBackpropInput**: the filter gradient calls the Conv2DBackpropFilter kernel,
 *   which has no gradient (no second order), does not exist on wasm, takes ~54 s for one
 *   decoder-sized call on cpu and is silently wrong on the software WebGPU adapter for large
 *   inputs. Here it is {@link conv2dFilterGradient}, one forward convolution with the batch as
 *   channels; and the input gradient is {@link conv2dInputGradient}, a forward convolution by
 *   the flipped filter, instead of the Conv2DBackpropInput kernel (7x slower on wasm). Both are
 *   differentiable to any order.
 * - **Conv2DBackpropFilter**: given a gradient (and registered as a wasm kernel when missing),
 *   for code that calls `tf.conv2d`'s filter gradient directly.
 * - **ResizeNearestNeighbor, ResizeNearestNeighborGrad**: the stock gradient runs a kernel that
 *   has no gradient itself and is wrong on cpu for batch > 1. Here it is a block sum (reshape +
 *   sum) for integer upsampling and a pair of 0/1 matrix products otherwise.
 *
 * Stock gradients that ARE right at second order (they read only saved inputs) are left alone
 * and verified by the same tests: MatMul/BatchMatMul, Softplus, Log, Relu, Square, Sqrt, Select,
 * Sum, Mean, PadV2, Reshape, Transpose, Concat, Slice. LeakyRelu's stock gradient is right with
 * the comparison fix, but slow: it is replaced by `dy * step(x, alpha)`.
 *
 * Not fixable here (ops built with `tf.customGrad`, which saves outputs the same way and is not
 * looked up in the gradient registry): `tf.logSoftmax` (use `x - tf.logSumExp(x, axis, true)`,
 * verified by the tests) and `tf.fused.*` (use the unfused ops, as `layers.ts` does).
 *
 * @module
 */
import { tf } from "../deps/tf.ts";

type Tensor = tf.Tensor;
type GradFunc = tf.GradConfig["gradFunc"];
type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;
type Rounding = "floor" | "round" | "ceil" | undefined;

const pair = (v: number | readonly number[]): [number, number] =>
  typeof v === "number" ? [v, v] : [v[0], v[1]];

/** Zero-pads (positive amounts) or crops (negative amounts) the two spatial axes of NHWC. */
const padOrCrop = (
  t: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D => {
  let u = t;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    u = tf.pad(u, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [
      Math.max(left, 0),
      Math.max(right, 0),
    ], [0, 0]]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [b, h, w, c] = u.shape;
    const t0 = Math.max(-top, 0);
    const l0 = Math.max(-left, 0);
    u = tf.slice(u, [0, t0, l0, 0], [
      b,
      h - t0 - Math.max(-bottom, 0),
      w - l0 - Math.max(-right, 0),
      c,
    ]);
  }
  return u;
};

/**
 * Inserts `s - 1` zeros between neighbouring pixels (the adjoint of a stride-`s` subsampling),
 * with rank-4 pads and reshapes only (WebGPU's pad is wrong from rank 5).
 */
const dilate = (t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D => {
  if (sh === 1 && sw === 1) return t;
  const [b, h, w, c] = t.shape;
  let u: Tensor = t;
  if (sh > 1) {
    u = tf.reshape(tf.pad(tf.reshape(u, [b, h, 1, w * c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]), [
      b,
      h * sh,
      w,
      c,
    ]);
  }
  if (sw > 1) {
    u = tf.reshape(
      tf.pad(tf.reshape(u, [b * h * sh, w, 1, c]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]),
      [b, h * sh, w * sw, c],
    );
  }
  return tf.slice(u, [0, 0, 0, 0], [b, (h - 1) * sh + 1, (w - 1) * sw + 1, c]) as tf.Tensor4D;
};

const convInfo = (
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | readonly number[],
  pad: Pad,
  dimRoundingMode: Rounding,
) =>
  tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(strides),
    1,
    pad as "same",
    dimRoundingMode,
  );

/**
 * The gradient of `sum(dy * conv2d(x, W))` with respect to the filter `W` (NHWC, no dilation),
 * built from FORWARD convolutions only: with the batch as channels, it is one stride-1 "valid"
 * convolution of the padded input by `dy` (zero-dilated for strides > 1), per chunk of the batch
 * of at most 2^21 input floats, the chunks' gradients summed in order. It works on every
 * backend (wasm has no Conv2DBackpropFilter kernel; the cpu one takes ~54 s on a decoder-sized
 * call and has no gradient), is ~10x faster than an im2col matMul on wasm, and is differentiable
 * to any order with respect to both `x` and `dy`.
 *
 * @example
 * ```ts
 * import { conv2dFilterGradient, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const x = tf.randomNormal([2, 5, 5, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const w = tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 2) as tf.Tensor4D;
 * const dy = tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 3) as tf.Tensor4D;
 * const viaGrad = tf.grad((w) => tf.conv2d(x, w as tf.Tensor4D, 2, "same").mul(dy).sum())(w);
 * const direct = conv2dFilterGradient(x, dy, [3, 3, 3, 4], 2, "same");
 * ok((await tf.max(tf.abs(viaGrad.sub(direct))).data())[0] < 1e-4);
 * ```
 */
export const conv2dFilterGradient = (
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: readonly [number, number, number, number],
  strides: number | readonly [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    // the gradient of one chunk: a forward convolution with the batch as channels
    const gradientOf = (xc: tf.Tensor4D, dyc: tf.Tensor4D): tf.Tensor4D => {
      const [kh, kw] = filterShape;
      const info = convInfo(xc.shape, filterShape, strides, pad, dimRoundingMode);
      const { top, left } = info.padInfo;
      const dyd = dilate(dyc, info.strideHeight, info.strideWidth);
      const [, lh, lw] = dyd.shape;
      // rows top-padded so that window (i, j) of the output starts at row i
      const [bottom, right] = [lh + kh - 1 - top - h, lw + kw - 1 - left - w];
      const ft = tf.transpose(dyd, [1, 2, 0, 3]) as tf.Tensor4D; // [lh, lw, B, co]
      // zero padding inside the convolution where no side crops (the same sums, no padded copy)
      const fold = top >= 0 && bottom >= 0 && left >= 0 && right >= 0;
      const xp = fold ? xc : padOrCrop(xc, top, bottom, left, right);
      const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, Hp, Wp, B]
      const pads: tf.backend_util.ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
      return tf.transpose(tf.conv2d(xt, ft, 1, fold ? pads : "valid"), [1, 2, 0, 3]) as tf.Tensor4D;
    };
    // A long reduction (batch x pixels) streams through the cache once per output tile of the
    // convolution; in chunks of at most FILTER_GRADIENT_CHUNK input floats it stays there (1.5x
    // faster on a 176 x 32 x 32 x 64 decoder input). Chunks are contiguous, summed in order.
    const chunks = Math.min(b, Math.ceil((b * h * w * c) / FILTER_GRADIENT_CHUNK));
    if (chunks <= 1) return gradientOf(x, dy);
    const per = Math.ceil(b / chunks);
    let sum: tf.Tensor4D | undefined;
    for (let b0 = 0; b0 < b; b0 += per) {
      const n = Math.min(per, b - b0);
      const part = gradientOf(
        tf.slice(x, [b0, 0, 0, 0], [n, h, w, c]),
        tf.slice(dy, [b0, 0, 0, 0], [n, -1, -1, -1]),
      );
      sum = sum ? tf.add(sum, part) : part;
    }
    return sum!;
  });

/** Input floats per chunk of {@link conv2dFilterGradient}'s batch (8 MB). */
const FILTER_GRADIENT_CHUNK = 1 << 21;

/**
 * The gradient of `sum(dy * conv2d(x, W))` with respect to the input `x` (NHWC, no dilation), as
 * a FORWARD stride-1 convolution of the zero-dilated, padded `dy` by the flipped, transposed
 * filter. Equals `tf.conv2dTranspose` (the Conv2DBackpropInput kernel) but is ~7x faster on wasm
 * and differentiable to any order.
 *
 * @example
 * ```ts
 * import { conv2dInputGradient, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * const x = tf.randomNormal([2, 5, 5, 3], 0, 1, "float32", 1) as tf.Tensor4D;
 * const w = tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 2) as tf.Tensor4D;
 * const dy = tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 3) as tf.Tensor4D;
 * const viaGrad = tf.grad((x) => tf.conv2d(x as tf.Tensor4D, w, 2, "same").mul(dy).sum())(x);
 * const direct = conv2dInputGradient([2, 5, 5, 3], dy, w, 2, "same");
 * ok((await tf.max(tf.abs(viaGrad.sub(direct))).data())[0] < 1e-4);
 * ```
 */
export const conv2dInputGradient = (
  inputShape: readonly [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number | readonly [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): tf.Tensor4D =>
  tf.tidy(() => {
    const [, h, w] = inputShape;
    const [kh, kw] = filter.shape;
    const info = convInfo(inputShape, filter.shape, strides, pad, dimRoundingMode);
    const { top, left } = info.padInfo;
    const dyd = dilate(dy, info.strideHeight, info.strideWidth);
    const [, lh, lw] = dyd.shape;
    const ph = kh - 1 - top;
    const pw = kw - 1 - left;
    const [bottom, right] = [h + kh - 1 - ph - lh, w + kw - 1 - pw - lw];
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    // zero padding inside the convolution where no side crops (the same sums, no padded copy)
    if (ph >= 0 && bottom >= 0 && pw >= 0 && right >= 0) {
      return tf.conv2d(dyd, flipped, 1, [[0, 0], [ph, bottom], [pw, right], [0, 0]]);
    }
    return tf.conv2d(padOrCrop(dyd, ph, bottom, pw, right), flipped, 1, "valid");
  });

const assertNhwc = (attrs: tf.NamedAttrMap, what: string): void => {
  const df = attrs.dataFormat as string | undefined;
  if (df !== undefined && df !== "NHWC" && df !== "channelsLast") {
    throw new RangeError(`${what}: only NHWC data format is supported, got '${df}'`);
  }
  const d = attrs.dilations as number | number[] | undefined;
  if (d !== undefined && pair(d).some((v) => v !== 1)) {
    throw new RangeError(`${what}: dilations must be 1, got ${d}`);
  }
};

/** Source indices of a nearest-neighbour resize along one axis, exactly as tfjs computes them. */
export const nearestSourceIndices = (
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): number[] => {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const idx: number[] = [];
  for (let r = 0; r < outSize; r++) {
    const frac = halfPixelCenters ? ratio * (r + 0.5) : ratio * r;
    let s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) s = Math.max(0, s);
    idx.push(s);
  }
  return idx;
};

const selection = (idx: number[], inSize: number): Tensor => {
  const m = new Float32Array(idx.length * inSize);
  idx.forEach((s, r) => (m[r * inSize + s] = 1));
  return tf.tensor2d(m, [idx.length, inSize]);
};

/**
 * The adjoint of a nearest-neighbour resize of `[B, H, W, C]` images to `dy`'s size: each input
 * pixel receives the sum of the output pixels that copied it. Differentiable (reshape + sum for
 * integer upsampling factors, 0/1 matrix products otherwise); correct for any batch size.
 *
 * @example
 * ```ts
 * import { resizeNearestAdjoint, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const dy = tf.ones([2, 4, 4, 1]);
 * const dx = resizeNearestAdjoint(dy, [2, 2], false, false);
 * deepStrictEqual(Array.from(await dx.data()), new Array(8).fill(4));
 * ```
 */
export const resizeNearestAdjoint = (
  dy: Tensor,
  inSize: readonly [number, number],
  alignCorners: boolean,
  halfPixelCenters: boolean,
): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, oh, ow, c] = dy.shape;
    const [h, w] = inSize;
    const ri = nearestSourceIndices(h, oh, alignCorners, halfPixelCenters);
    const ci = nearestSourceIndices(w, ow, alignCorners, halfPixelCenters);
    const blocky = oh % h === 0 && ow % w === 0 &&
      ri.every((s, r) => s === Math.floor(r / (oh / h))) &&
      ci.every((s, r) => s === Math.floor(r / (ow / w)));
    if (blocky) {
      return tf.sum(tf.reshape(dy, [b, h, oh / h, w, ow / w, c]), [2, 4]) as tf.Tensor4D;
    }
    // dx[b, i, j, c] = sum_{r, s} R[r, i] C[s, j] dy[b, r, s, c]
    const t = tf.transpose(dy, [0, 3, 1, 2]); // [b, c, oh, ow]
    const cw = tf.reshape(tf.matMul(tf.reshape(t, [b * c * oh, ow]), selection(ci, w)), [
      b * c,
      oh,
      w,
    ]);
    const rt = tf.reshape(tf.transpose(cw, [0, 2, 1]), [b * c * w, oh]);
    const rh = tf.reshape(tf.matMul(rt, selection(ri, h)), [b, c, w, h]);
    return tf.transpose(rh, [0, 3, 2, 1]) as tf.Tensor4D;
  });

const unary = (kernelName: string, f: (x: Tensor, dy: Tensor) => Tensor): tf.GradConfig => ({
  kernelName,
  inputsToSave: ["x"],
  gradFunc: ((dy: Tensor, saved: Tensor[]) => ({
    x: () => f(saved[0], dy),
  })) as GradFunc,
});

const zeroGrad = (kernelName: string, inputs: string[]): tf.GradConfig => ({
  kernelName,
  inputsToSave: inputs,
  gradFunc: ((_dy: Tensor, saved: Tensor[]) =>
    Object.fromEntries(
      inputs.map((name, i) => [name, () => tf.zeros(saved[i].shape, "float32")]),
    )) as GradFunc,
});

const reduceTo = (g: Tensor, shape: number[]): Tensor => {
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
};

/** Every gradient this layer registers, by kernel name. */
export const higherOrderGradients: readonly tf.GradConfig[] = [
  unary("Sigmoid", (x, dy) => {
    const s = tf.sigmoid(x);
    return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
  }),
  unary("Tanh", (x, dy) => tf.mul(dy, tf.sub(1, tf.square(tf.tanh(x))))),
  unary("Exp", (x, dy) => tf.mul(dy, tf.exp(x))),
  // elu(x) = x for x > 0, exp(x) - 1 otherwise (tfjs has no alpha); exp of min(x, 0) so that the
  // unused branch cannot overflow into 0 * inf at higher order
  unary("Elu", (x, dy) => tf.where(tf.greater(x, 0), dy, tf.mul(dy, tf.exp(tf.minimum(x, 0))))),
  {
    kernelName: "Softmax",
    inputsToSave: ["logits"],
    gradFunc: ((dy: Tensor, saved: Tensor[], attrs: tf.NamedAttrMap) => ({
      logits: () => {
        const dim = attrs.dim as number;
        const y = tf.softmax(saved[0], dim);
        const dyy = tf.mul(dy, y);
        return tf.sub(dyy, tf.mul(tf.sum(dyy, [dim], true), y));
      },
    })) as GradFunc,
  },
  {
    kernelName: "Pow",
    inputsToSave: ["a", "b"],
    gradFunc: ((dy: Tensor, saved: Tensor[]) => {
      const [a, b] = saved;
      return {
        a: () => reduceTo(tf.mul(dy, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
        b: () => {
          const logA = tf.where(tf.greater(a, 0), tf.log(tf.maximum(a, 1e-30)), tf.zerosLike(a));
          return reduceTo(tf.mul(dy, tf.mul(tf.pow(a, b), logA)), b.shape);
        },
      };
    }) as GradFunc,
  },
  // leakyRelu'(x) = step(x, alpha): 1 where x > 0, alpha elsewhere, as the stock gradient's
  // where(x > 0, dy, alpha dy), in two kernels instead of three and without a bool mask (the stock
  // form's comparison and select were 4% of a paper-sized HGN update on wasm); Step's gradient is 0
  {
    kernelName: "LeakyRelu",
    inputsToSave: ["x"],
    gradFunc: ((dy: Tensor, saved: Tensor[], attrs: tf.NamedAttrMap) => ({
      x: () => tf.mul(dy, tf.step(saved[0], attrs.alpha as number)),
    })) as GradFunc,
  },
  zeroGrad("Greater", ["a", "b"]),
  zeroGrad("GreaterEqual", ["a", "b"]),
  zeroGrad("Less", ["a", "b"]),
  zeroGrad("LessEqual", ["a", "b"]),
  zeroGrad("Equal", ["a", "b"]),
  zeroGrad("NotEqual", ["a", "b"]),
  zeroGrad("LogicalAnd", ["a", "b"]),
  zeroGrad("LogicalOr", ["a", "b"]),
  zeroGrad("LogicalNot", ["x"]),
  {
    kernelName: "Conv2D",
    inputsToSave: ["x", "filter"],
    gradFunc: ((dy: Tensor, saved: Tensor[], attrs: tf.NamedAttrMap) => {
      assertNhwc(attrs, "gradient of conv2d");
      const [x, filter] = saved as tf.Tensor4D[];
      const { strides, pad, dimRoundingMode } = attrs;
      return {
        x: () =>
          conv2dInputGradient(
            x.shape,
            dy as tf.Tensor4D,
            filter,
            strides as number,
            pad as Pad,
            dimRoundingMode as Rounding,
          ),
        filter: () =>
          conv2dFilterGradient(
            x,
            dy as tf.Tensor4D,
            filter.shape,
            strides as number,
            pad as Pad,
            dimRoundingMode as Rounding,
          ),
      };
    }) as GradFunc,
  },
  {
    // y = conv2dBackpropInput(dy, W): linear in each of dy and W
    kernelName: "Conv2DBackpropInput",
    inputsToSave: ["dy", "filter"],
    gradFunc: ((ddx: Tensor, saved: Tensor[], attrs: tf.NamedAttrMap) => {
      assertNhwc(attrs, "gradient of conv2dBackpropInput");
      const [dy, filter] = saved as tf.Tensor4D[];
      const { strides, pad, dimRoundingMode } = attrs;
      return {
        dy: () =>
          tf.conv2d(
            ddx as tf.Tensor4D,
            filter,
            strides as number,
            pad as "same",
            "NHWC",
            1,
            dimRoundingMode as Rounding,
          ),
        filter: () =>
          conv2dFilterGradient(
            ddx as tf.Tensor4D,
            dy,
            filter.shape,
            strides as number,
            pad as Pad,
            dimRoundingMode as Rounding,
          ),
      };
    }) as GradFunc,
  },
  {
    // y = filterGrad(x, dy): bilinear; d<y, G>/dx = convBackpropInput(dy, G), d/ddy = conv2d(x, G)
    kernelName: "Conv2DBackpropFilter",
    inputsToSave: ["x", "dy"],
    gradFunc: ((ddw: Tensor, saved: Tensor[], attrs: tf.NamedAttrMap) => {
      assertNhwc(attrs, "gradient of conv2dBackpropFilter");
      const [x, dy] = saved as tf.Tensor4D[];
      const { strides, pad, dimRoundingMode } = attrs;
      return {
        x: () =>
          conv2dInputGradient(
            x.shape,
            dy,
            ddw as tf.Tensor4D,
            strides as number,
            pad as Pad,
            dimRoundingMode as Rounding,
          ),
        dy: () =>
          tf.conv2d(
            x,
            ddw as tf.Tensor4D,
            strides as number,
            pad as "same",
            "NHWC",
            1,
            dimRoundingMode as Rounding,
          ),
      };
    }) as GradFunc,
  },
  {
    kernelName: "ResizeNearestNeighbor",
    inputsToSave: ["images"],
    gradFunc: ((dy: Tensor, saved: Tensor[], attrs: tf.NamedAttrMap) => ({
      images: () =>
        resizeNearestAdjoint(
          dy,
          [(saved[0] as tf.Tensor4D).shape[1], (saved[0] as tf.Tensor4D).shape[2]],
          attrs.alignCorners as boolean,
          attrs.halfPixelCenters as boolean,
        ),
    })) as GradFunc,
  },
  {
    // the adjoint's adjoint is the resize itself (linear in dy; images only give the shape)
    kernelName: "ResizeNearestNeighborGrad",
    inputsToSave: ["images", "dy"],
    gradFunc: ((ddx: Tensor, saved: Tensor[], attrs: tf.NamedAttrMap) => ({
      images: () => tf.zerosLike(saved[0]),
      dy: () =>
        tf.image.resizeNearestNeighbor(
          ddx as tf.Tensor4D,
          [(saved[1] as tf.Tensor4D).shape[1], (saved[1] as tf.Tensor4D).shape[2]],
          attrs.alignCorners as boolean,
          attrs.halfPixelCenters as boolean,
        ),
    })) as GradFunc,
  },
];

let registered = false;

/**
 * Registers {@link higherOrderGradients} with tfjs (replacing the stock gradients of those
 * kernels) and a wasm `Conv2DBackpropFilter` kernel when wasm lacks one. Idempotent: the second
 * call does nothing. {@link useBackend} calls it, so code that starts through the backend policy
 * never runs with the stock gradients.
 *
 * Law: after it, `tf.grad(tf.grad(f))` agrees with finite differences for every kernel listed
 * in this module (tests/tensor/gradients_test.ts).
 *
 * @example
 * ```ts
 * import { registerHigherOrderGradients, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * registerHigherOrderGradients();
 * const d2 = tf.grad(tf.grad((x: tf.Tensor) => tf.sigmoid(x).sum()))(tf.scalar(0.5));
 * const s = 1 / (1 + Math.exp(-0.5));
 * ok(Math.abs((await d2.data())[0] - s * (1 - s) * (1 - 2 * s)) < 1e-6);
 * ```
 */
export const registerHigherOrderGradients = (): void => {
  if (registered) return;
  registered = true;
  for (const g of higherOrderGradients) tf.registerGradient(g);
  if (tf.getKernel("Conv2DBackpropFilter", "wasm") === undefined) {
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs }) => {
        const a = attrs as unknown as {
          filterShape: [number, number, number, number];
          strides: number;
          pad: Pad;
          dimRoundingMode?: Rounding;
        };
        return conv2dFilterGradient(
          inputs.x as tf.Tensor4D,
          inputs.dy as tf.Tensor4D,
          a.filterShape,
          a.strides,
          a.pad,
          a.dimRoundingMode,
        );
      },
    });
  }
};

/**
 * The stock tfjs gradient configs of the kernels this layer replaces, captured before the first
 * registration; for tests that prove a replacement matters. `undefined` where tfjs had none.
 */
export const stockGradients: ReadonlyMap<string, tf.GradConfig | undefined> = new Map(
  higherOrderGradients.map((g) => [g.kernelName, tf.getGradient(g.kernelName)]),
);
