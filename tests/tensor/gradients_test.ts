// Per-kernel checks of the higher-order gradient layer: value, first derivative and second
// derivative (reverse-over-reverse Hessian-vector product) against float64 finite differences,
// on cpu and wasm (and webgpu with HGN_TEST_WEBGPU=1). A negative control restores the stock
// tfjs gradient of each replaced kernel and checks that the same comparison then fails.
import { ok } from "node:assert/strict";
import { conv, convFilter, convInput, geom } from "./_reference.ts";
import { tf } from "../../lib/deps/tf.ts";
import {
  type Activation,
  convStackInputGradient,
  mlpInputGradient,
  upsampleConv2d,
} from "../../lib/tensor/layers.ts";
import {
  conv2dFilterGradient,
  higherOrderGradients,
  nearestSourceIndices,
  registerHigherOrderGradients,
  stockGradients,
} from "../../lib/tensor/gradients.ts";
import {
  fdGradient,
  fdHvp,
  onBackend,
  read,
  type Ref,
  relErr,
  testBackends,
  values,
} from "./_numeric.ts";

const TOL = 1e-3;

// ---------------------------------------------------------------- float64 reference kernels
type Shape = number[];
const size = (s: Shape) => s.reduce((a, b) => a * b, 1);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const resize = (
  x: Float64Array,
  [b, h, w, c]: Shape,
  [oh, ow]: number[],
  align: boolean,
  half: boolean,
) => {
  const ri = nearestSourceIndices(h, oh, align, half);
  const ci = nearestSourceIndices(w, ow, align, half);
  const y = new Float64Array(b * oh * ow * c);
  for (let n = 0; n < b; n++) {
    for (let r = 0; r < oh; r++) {
      for (let s = 0; s < ow; s++) {
        for (let k = 0; k < c; k++) {
          y[((n * oh + r) * ow + s) * c + k] = x[((n * h + ri[r]) * w + ci[s]) * c + k];
        }
      }
    }
  }
  return y;
};
const resizeAdjoint = (
  dy: Float64Array,
  [b, h, w, c]: Shape,
  [oh, ow]: number[],
  align: boolean,
  half: boolean,
) => {
  const ri = nearestSourceIndices(h, oh, align, half);
  const ci = nearestSourceIndices(w, ow, align, half);
  const dx = new Float64Array(b * h * w * c);
  for (let n = 0; n < b; n++) {
    for (let r = 0; r < oh; r++) {
      for (let s = 0; s < ow; s++) {
        for (let k = 0; k < c; k++) {
          dx[((n * h + ri[r]) * w + ci[s]) * c + k] += dy[((n * oh + r) * ow + s) * c + k];
        }
      }
    }
  }
  return dx;
};
const matmul = (
  a: Float64Array,
  b: Float64Array,
  batch: number,
  m: number,
  k: number,
  n: number,
) => {
  const y = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += a[(t * m + i) * k + l] * b[(t * k + l) * n + j];
        y[(t * m + i) * n + j] = s;
      }
    }
  }
  return y;
};
const transpose2 = (x: Float64Array, r: number, c: number) => {
  const y = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) y[j * r + i] = x[i * c + j];
  return y;
};

// ---------------------------------------------------------------- the cases
interface Case {
  /** the kernel(s) under test */
  name: string;
  shapes: Shape[];
  /** the kernel's output Y from the inputs (tensors) */
  op: (...xs: tf.Tensor[]) => tf.Tensor;
  /** the same in float64 */
  ref: (...xs: Float64Array[]) => Float64Array;
  /** input generator (default uniform in [-1, 1)) */
  gen?: (u: () => number) => number;
  /** kernels whose stock tfjs gradient must make this case fail */
  controls?: string[];
  /** not run on webgpu: its known third-order defect (see webgpuDefect) */
  webgpuDefect?: boolean;
}
const map = (f: (x: number) => number) => (x: Float64Array) => x.map(f);
// |x| >= 0.1 keeps finite differences away from kinks
const awayFromZero = (u: () => number) => {
  const v = 0.1 + 0.9 * u();
  return u() < 0.5 ? -v : v;
};
const positive = (u: () => number) => 0.5 + 1.5 * u();
// pairs (a, b) with |a - b| >= 0.2: a in ±[0.3, 1], b = a ± [0.2, 0.6] alternating
const spread = (u: () => number) => (u() < 0.5 ? -1 : 1) * (0.3 + 0.7 * u());

const unaryCase = (
  name: string,
  op: (x: tf.Tensor) => tf.Tensor,
  f: (x: number) => number,
  gen?: (u: () => number) => number,
  controls?: string[],
): Case => ({ name, shapes: [[2, 3]], op: (x) => op(x), ref: map(f), gen, controls });

const softmax = (x: Float64Array, rows: number, cols: number) => {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const m = Math.max(...x.subarray(r * cols, r * cols + cols));
    let s = 0;
    for (let c = 0; c < cols; c++) s += y[r * cols + c] = Math.exp(x[r * cols + c] - m);
    for (let c = 0; c < cols; c++) y[r * cols + c] /= s;
  }
  return y;
};

const convCase = (xs: Shape, fs: Shape, s: number, pad: "same" | "valid"): Case => {
  const g = geom(xs, fs, s, pad);
  return {
    name: `Conv2D ${xs}*${fs} stride ${s} ${pad}`,
    shapes: [xs, fs],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, s, pad),
    ref: (x, f) => conv(g, x, f),
    controls: ["Conv2D", "Conv2DBackpropFilter"],
  };
};

/** Nearest-neighbour x2 upsampling of NHWC `x` of `shape`, in float64. */
const upsample2 = (x: Float64Array, [b, h, w, c]: Shape): Float64Array => {
  const y = new Float64Array(4 * x.length);
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < 2 * h; i++) {
      for (let j = 0; j < 2 * w; j++) {
        for (let k = 0; k < c; k++) {
          y[((n * 2 * h + i) * 2 * w + j) * c + k] = x[((n * h + (i >> 1)) * w + (j >> 1)) * c + k];
        }
      }
    }
  }
  return y;
};

/** `upsampleConv2d`'s phase form (forced) against "upsample, then convolve" in float64. */
const upsampleConvCase = (xs: Shape, fs: Shape): Case => {
  const g = geom([xs[0], 2 * xs[1], 2 * xs[2], xs[3]], fs, 1, "same");
  return {
    name: `upsampleConv2d (four 2x2 phases) ${xs}*${fs}`,
    shapes: [xs, fs],
    op: (x, f) => upsampleConv2d(x as tf.Tensor4D, f as tf.Tensor4D, { minMacs: 0 }),
    ref: (x, f) => conv(g, upsample2(x, xs), f),
  };
};

const resizeCase = (xs: Shape, out: [number, number], align: boolean, half: boolean): Case => ({
  name: `ResizeNearestNeighbor ${xs} -> ${out}${align ? " alignCorners" : ""}${
    half ? " halfPixel" : ""
  }`,
  shapes: [xs],
  op: (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, out, align, half),
  ref: (x) => resize(x, xs, out, align, half),
  controls: ["ResizeNearestNeighbor", "ResizeNearestNeighborGrad"],
});

/** A smooth activation and its derivative, in float64. */
const act64 = (act: Activation): [(a: number) => number, (a: number) => number] => {
  switch (act) {
    case "tanh":
      return [Math.tanh, (a) => 1 - Math.tanh(a) ** 2];
    case "sigmoid":
      return [sigmoid, (a) => sigmoid(a) * (1 - sigmoid(a))];
    case "softplus":
      return [(a) => Math.log1p(Math.exp(a)), sigmoid];
    case "linear":
      return [(a) => a, () => 1];
    default:
      throw new RangeError(`no smooth float64 reference for ${act}`);
  }
};

/**
 * The closed-form input gradient of an MLP energy (`mlpInputGradient`), per sample, in float64:
 * written out by loops, independently of the tensor formula, for sizes `[in, ...hidden, 1]`.
 * `xs` is the batch `[b, in]`, then each layer's weights `[in, out]` and biases `[out]`.
 */
const mlpGradientRef = (sizes: number[], act: Activation, b: number) =>
(
  x: Float64Array,
  ...wb: Float64Array[]
): Float64Array => {
  const [f, df] = act64(act);
  const layers = sizes.length - 1;
  const out = new Float64Array(b * sizes[0]);
  for (let n = 0; n < b; n++) {
    const pre: Float64Array[] = [];
    let h = x.slice(n * sizes[0], (n + 1) * sizes[0]);
    for (let l = 0; l < layers; l++) {
      const [w, bias] = [wb[2 * l], wb[2 * l + 1]];
      const a = Float64Array.from(bias);
      for (let i = 0; i < sizes[l]; i++) {
        for (let j = 0; j < sizes[l + 1]; j++) a[j] += h[i] * w[i * sizes[l + 1] + j];
      }
      pre.push(a);
      h = l === layers - 1 ? a : a.map(f);
    }
    let g = new Float64Array(1).fill(1);
    for (let l = layers - 1; l >= 0; l--) {
      if (l < layers - 1) g = g.map((v, j) => v * df(pre[l][j]));
      const w = wb[2 * l];
      const next = new Float64Array(sizes[l]);
      for (let i = 0; i < sizes[l]; i++) {
        for (let j = 0; j < sizes[l + 1]; j++) next[i] += g[j] * w[i * sizes[l + 1] + j];
      }
      g = next;
    }
    out.set(g, n * sizes[0]);
  }
  return out;
};

/** `mlpInputGradient` of `[3, 5, 4, 1]` with `act` on a batch of 2, against the float64 loops. */
const mlpGradientCase = (act: Activation): Case => {
  const sizes = [3, 5, 4, 1];
  const b = 2;
  const shapes = [[b, 3], ...sizes.slice(1).flatMap((o, l) => [[sizes[l], o], [o]])];
  return {
    name: `mlpInputGradient ${act} [${sizes}]`,
    shapes,
    op: (x, ...wb) =>
      mlpInputGradient(
        { sizes, activation: act },
        sizes.slice(1).map((_, l) => ({
          w: wb[2 * l] as tf.Tensor2D,
          b: wb[2 * l + 1] as tf.Tensor1D,
        })),
        x,
      ),
    ref: mlpGradientRef(sizes, act, b),
  };
};

/** A conv stack layer of the float64 reference: square filter, stride, output channels, activation. */
interface RefLayer {
  k: number;
  s: number;
  co: number;
  act: Activation;
}
/** A filter `[k, k, ci, co]` turned by 180 degrees in space. */
const turned = (f: Float64Array, k: number, ci: number, co: number): Float64Array => {
  const t = new Float64Array(f.length);
  const tap = ci * co;
  for (let i = 0; i < k * k; i++) t.set(f.subarray(i * tap, (i + 1) * tap), (k * k - 1 - i) * tap);
  return t;
};

/** The layers from this index on are all linear: their biases do not reach the force. */
const linearTail = (layers: RefLayer[]): number => {
  let i = layers.length;
  while (i > 0 && layers[i - 1].act === "linear") i--;
  return i;
};

/**
 * The closed-form input gradient of a conv stack's summed outputs ("same" padding), per sample,
 * in float64: the forward pass and the adjoint pass written out with the reference loops,
 * independently of the tensor formula. The inputs are `x`, every layer's filter, then the biases
 * of the layers before the linear tail (the others do not reach the force, so they are zeros).
 * `mutant: "unflipped"` takes each adjoint with the filter turned by 180 degrees (the bug of a
 * missing flip), for the negative control.
 */
const convStackGradientRef = (xs: Shape, layers: RefLayer[], mutant?: "unflipped") =>
(
  x: Float64Array,
  ...wb: Float64Array[]
): Float64Array => {
  const n = layers.length;
  const bias = (i: number) => i < linearTail(layers) ? wb[n + i] : new Float64Array(layers[i].co);
  const geoms: ReturnType<typeof geom>[] = [];
  const pre: Float64Array[] = [];
  let shape = xs;
  let h = x;
  layers.forEach((l, i) => {
    const g = geom(shape, [l.k, l.k, shape[3], l.co], l.s, "same");
    geoms.push(g);
    const b = bias(i);
    const a = conv(g, h, wb[i]).map((v, j) => v + b[j % l.co]);
    pre.push(a);
    h = a.map(act64(l.act)[0]);
    shape = [g.b, g.oh, g.ow, l.co];
  });
  let dy: Float64Array = new Float64Array(h.length).fill(1);
  for (let i = n - 1; i >= 0; i--) {
    const d = act64(layers[i].act)[1];
    dy = dy.map((v, j) => v * d(pre[i][j]));
    const g = geoms[i];
    dy = convInput(g, dy, mutant === "unflipped" ? turned(wb[i], g.kh, g.ci, g.co) : wb[i]);
  }
  return dy;
};

/** `convStackInputGradient` of `layers` on `xs` against the float64 reference. */
const convStackCase = (xs: Shape, layers: RefLayer[], mutant?: "unflipped"): Case => {
  const n = layers.length;
  const inputs = [xs[3], ...layers.map((l) => l.co)];
  const shapes = [
    xs,
    ...layers.map((l, i) => [l.k, l.k, inputs[i], l.co]),
    ...layers.slice(0, linearTail(layers)).map((l) => [l.co]),
  ];
  const spec = {
    inChannels: xs[3],
    layers: layers.map((l) => ({ channels: l.co, stride: l.s, activation: l.act })),
  };
  return {
    name: `convStackInputGradient ${xs} ${
      layers.map((l) => `${l.k}x${l.k}/${l.s} ${l.co} ${l.act}`).join(", ")
    }${mutant ? ` (${mutant} reference)` : ""}`,
    shapes,
    op: (x, ...wb) =>
      convStackInputGradient(
        spec,
        layers.map((l, i) => ({
          w: wb[i] as tf.Tensor4D,
          b: (i < linearTail(layers) ? wb[n + i] : tf.zeros([l.co])) as tf.Tensor1D,
        })),
      )(x as tf.Tensor4D),
    ref: convStackGradientRef(xs, layers, mutant),
    webgpuDefect: webgpuDefect(layers),
  };
};
// the HGN Hamiltonian's shape (3x3, stride 1, ending in one linear channel) at odd sizes and
// channel counts that are not multiples of 4; then stride 2, an even filter (asymmetric
// padding: the general adjoint) and several output channels; then four layers, one linear
// between non-linear ones (see webgpuDefect)
const CONV_STACKS: [Shape, RefLayer[]][] = [
  [[2, 5, 3, 3], [
    { k: 3, s: 1, co: 5, act: "softplus" },
    { k: 3, s: 1, co: 6, act: "tanh" },
    { k: 3, s: 1, co: 1, act: "linear" },
  ]],
  [[2, 5, 5, 2], [
    { k: 3, s: 2, co: 3, act: "softplus" },
    { k: 2, s: 1, co: 3, act: "sigmoid" },
    { k: 1, s: 1, co: 2, act: "linear" },
  ]],
  [[2, 5, 5, 2], [
    { k: 3, s: 2, co: 3, act: "softplus" },
    { k: 2, s: 1, co: 3, act: "linear" },
    { k: 3, s: 1, co: 3, act: "tanh" },
    { k: 1, s: 1, co: 2, act: "linear" },
  ]],
];
/**
 * On tfjs-webgpu (Deno's llvmpipe adapter, 2026-12-07) the Hessian-vector product of a conv
 * stack's force, a third derivative of its energy, is wrong (relative error 0.35-30) for stacks
 * of four layers or more, whatever the activations and filter sizes (four softplus/linear layers,
 * 1x1 filters, a linear layer inside), and the same for autodiff forces (`energyGradient`) as for
 * the closed form; value and gradient (what training uses) agree, three-layer stacks pass, and cpu
 * and wasm pass. The HGN Hamiltonian has three layers; such cases are not run there.
 */
const webgpuDefect = (layers: RefLayer[]): boolean => layers.length >= 4;

const cases: Case[] = [
  unaryCase("Sigmoid", tf.sigmoid, sigmoid, undefined, ["Sigmoid"]),
  unaryCase("Tanh", tf.tanh, Math.tanh, undefined, ["Tanh"]),
  unaryCase("Exp", tf.exp, Math.exp, undefined, ["Exp"]),
  unaryCase("Elu", tf.elu, (x) => (x > 0 ? x : Math.exp(x) - 1), awayFromZero, ["Elu"]),
  unaryCase("Softplus", tf.softplus, (x) => Math.log1p(Math.exp(x))),
  unaryCase("Log", tf.log, Math.log, positive),
  unaryCase("Sqrt", tf.sqrt, Math.sqrt, positive),
  unaryCase("Square", tf.square, (x) => x * x),
  unaryCase("Relu", tf.relu, (x) => Math.max(x, 0), awayFromZero),
  unaryCase(
    "LeakyRelu",
    (x) => tf.leakyRelu(x, 0.2),
    (x) => (x > 0 ? x : 0.2 * x),
    awayFromZero,
    ["LeakyRelu", "Greater"],
  ),
  {
    name: "Select (Greater)",
    shapes: [[2, 3], [2, 3]],
    gen: spread,
    op: (a, b) => tf.where(tf.greater(a, b), tf.square(a), tf.mul(a, b)),
    ref: (a, b) => a.map((ai, i) => (ai > b[i] ? ai * ai : ai * b[i])),
    controls: ["Greater"],
  },
  {
    name: "Maximum (GreaterEqual, Less)",
    shapes: [[2, 3], [2, 3]],
    gen: spread,
    op: (a, b) => tf.maximum(tf.square(a), tf.mul(a, b)),
    ref: (a, b) => a.map((ai, i) => Math.max(ai * ai, ai * b[i])),
    controls: ["Less"],
  },
  {
    name: "Minimum (LessEqual, Greater)",
    shapes: [[2, 3], [2, 3]],
    gen: spread,
    op: (a, b) => tf.minimum(tf.square(a), tf.mul(a, b)),
    ref: (a, b) => a.map((ai, i) => Math.min(ai * ai, ai * b[i])),
    controls: ["LessEqual"],
  },
  {
    name: "Equal, NotEqual, LogicalAnd/Or/Not",
    shapes: [[2, 3], [2, 3]],
    gen: spread,
    op: (a, b) => {
      const c = tf.logicalOr(
        tf.logicalAnd(tf.notEqual(a, b), tf.logicalNot(tf.equal(a, b))),
        tf.equal(a, a),
      );
      return tf.where(c, tf.mul(a, b), a);
    },
    ref: (a, b) => a.map((ai, i) => ai * b[i]),
    controls: ["NotEqual", "Equal", "LogicalAnd", "LogicalOr", "LogicalNot"],
  },
  {
    name: "Softmax",
    shapes: [[2, 4]],
    op: (x) => tf.softmax(x),
    ref: (x) => softmax(x, 2, 4),
    controls: ["Softmax"],
  },
  {
    name: "x - logSumExp(x) (Max, Equal), the log-softmax to use",
    shapes: [[2, 4]],
    op: (x) => tf.sub(x, tf.logSumExp(x, 1, true)),
    ref: (x) => softmax(x, 2, 4).map(Math.log),
  },
  {
    name: "Pow",
    shapes: [[2, 3], [2, 3]],
    gen: positive,
    op: (a, b) => tf.pow(a, b),
    ref: (a, b) => a.map((ai, i) => ai ** b[i]),
    controls: ["Pow"],
  },
  {
    name: "Sum",
    shapes: [[2, 3, 2]],
    op: (x) => tf.sum(x, 1),
    ref: (x) =>
      Float64Array.from(
        { length: 4 },
        (_, j) =>
          x[(j >> 1) * 6 + (j & 1)] + x[(j >> 1) * 6 + 2 + (j & 1)] + x[(j >> 1) * 6 + 4 + (j & 1)],
      ),
  },
  {
    name: "Mean",
    shapes: [[2, 3]],
    op: (x) => tf.mean(x, 1),
    ref: (x) => Float64Array.of((x[0] + x[1] + x[2]) / 3, (x[3] + x[4] + x[5]) / 3),
  },
  {
    name: "PadV2",
    shapes: [[2, 2]],
    op: (x) => tf.pad(x, [[1, 0], [0, 1]], 0.5),
    ref: (x) => Float64Array.of(0.5, 0.5, 0.5, x[0], x[1], 0.5, x[2], x[3], 0.5),
  },
  {
    name: "Reshape, Transpose",
    shapes: [[2, 3]],
    op: (x) => tf.transpose(tf.reshape(x, [3, 2])),
    ref: (x) => transpose2(x, 3, 2),
  },
  {
    name: "Concat, Slice",
    shapes: [[2, 3], [2, 1]],
    op: (a, b) => tf.slice(tf.concat([a, b], 1), [0, 1], [2, 3]),
    ref: (a, b) => Float64Array.of(a[1], a[2], b[0], a[4], a[5], b[1]),
  },
  {
    name: "MatMul",
    shapes: [[2, 3], [3, 4]],
    op: (a, b) => tf.matMul(a, b),
    ref: (a, b) => matmul(a, b, 1, 2, 3, 4),
  },
  {
    name: "MatMul transposeA, transposeB",
    shapes: [[3, 2], [4, 3]],
    op: (a, b) => tf.matMul(a, b, true, true),
    ref: (a, b) => matmul(transpose2(a, 3, 2), transpose2(b, 4, 3), 1, 2, 3, 4),
  },
  {
    name: "BatchMatMul",
    shapes: [[2, 2, 3], [2, 3, 2]],
    op: (a, b) => tf.matMul(a, b),
    ref: (a, b) => matmul(a, b, 2, 2, 3, 2),
  },
  convCase([2, 4, 4, 2], [3, 3, 2, 3], 1, "same"),
  convCase([2, 5, 5, 2], [3, 3, 2, 2], 2, "same"),
  convCase([1, 6, 5, 2], [2, 3, 2, 2], 2, "valid"),
  convCase([2, 5, 6, 2], [3, 2, 2, 2], 1, "valid"),
  convCase([1, 7, 7, 1], [3, 3, 1, 2], 3, "same"),
  // our wasm kernel's other tilings: 4 x 8 with a 3-pixel tail and a 1-channel panel; 2 x 16
  convCase([1, 3, 7, 2], [3, 3, 2, 9], 1, "same"),
  convCase([1, 5, 5, 2], [4, 4, 2, 17], 1, "valid"),
  upsampleConvCase([2, 3, 4, 2], [3, 3, 2, 3]),
  upsampleConvCase([1, 1, 2, 3], [3, 3, 3, 2]),
  (() => {
    const xs = [2, 5, 5, 2];
    const fs = [3, 3, 2, 2];
    const g = geom(xs, fs, 2, "same");
    return {
      name: "Conv2DBackpropInput (conv2dTranspose) stride 2 same",
      shapes: [[2, g.oh, g.ow, 2], fs],
      op: (dy: tf.Tensor, f: tf.Tensor) =>
        tf.conv2dTranspose(
          dy as tf.Tensor4D,
          f as tf.Tensor4D,
          xs as [number, number, number, number],
          2,
          "same",
        ),
      ref: (dy: Float64Array, f: Float64Array) => convInput(g, dy, f),
      controls: ["Conv2DBackpropInput", "Conv2DBackpropFilter"],
    };
  })(),
  (() => {
    const xs = [2, 4, 4, 2];
    const fs = [3, 3, 2, 2];
    const g = geom(xs, fs, 1, "same");
    return {
      name: "Conv2DBackpropFilter stride 1 same",
      shapes: [xs, [2, g.oh, g.ow, 2]],
      op: (x: tf.Tensor, dy: tf.Tensor) =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
          strides: [1, 1],
          pad: "same",
          dataFormat: "NHWC",
          filterShape: fs,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      ref: (x: Float64Array, dy: Float64Array) => convFilter(g, x, dy),
      controls: ["Conv2DBackpropFilter"],
    };
  })(),
  resizeCase([2, 2, 3, 2], [4, 6], false, false),
  resizeCase([2, 2, 3, 1], [3, 5], false, true),
  resizeCase([2, 3, 3, 1], [5, 4], true, false),
  {
    name: "ResizeNearestNeighborGrad",
    shapes: [[1, 4, 6, 2]],
    op: (dy) =>
      tf.engine().runKernel("ResizeNearestNeighborGrad", { images: tf.zeros([1, 2, 3, 2]), dy }, {
        alignCorners: false,
        halfPixelCenters: false,
      }) as tf.Tensor,
    ref: (dy) => resizeAdjoint(dy, [1, 2, 3, 2], [4, 6], false, false),
    controls: ["ResizeNearestNeighborGrad"],
  },
  // closed-form MLP forces: value, first and second derivative of the force through every weight
  mlpGradientCase("tanh"),
  mlpGradientCase("softplus"),
  mlpGradientCase("sigmoid"),
  // closed-form conv-stack forces (the HGN Hamiltonian's), the same three orders
  ...CONV_STACKS.map(([xs, layers]) => convStackCase(xs, layers)),
];

// ---------------------------------------------------------------- the checks
/** the scalar tested: f = sum(c * Y + d * Y^2), so second order sees both dy and x paths */
const weights = (n: number) => [values(101, n), values(102, n)];

const check = async (k: Case) => {
  const n = k.shapes.map(size);
  const xs = n.map((m, i) => values(7 + i, m, k.gen));
  const v = n.map((m, i) => values(50 + i, m));
  const yRef = k.ref(...xs);
  const [c, d] = weights(yRef.length);
  const f: Ref = (...a) => {
    const y = k.ref(...a);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += c[i] * y[i] + d[i] * y[i] * y[i];
    return s;
  };
  const gRef = fdGradient(f, xs);
  const hRef = fdHvp(f, xs, v);
  const out = tf.tidy(() => {
    const ts = xs.map((x, i) => tf.tensor(Float32Array.from(x), k.shapes[i]));
    const vs = v.map((x, i) => tf.tensor(Float32Array.from(x), k.shapes[i]));
    const ct = tf.tensor(Float32Array.from(c));
    const dt = tf.tensor(Float32Array.from(d));
    const ft = (...a: tf.Tensor[]) => {
      const y = tf.reshape(k.op(...a), [-1]);
      return tf.sum(tf.add(tf.mul(ct, y), tf.mul(dt, tf.square(y)))) as tf.Scalar;
    };
    const y = k.op(...ts);
    const g = tf.grads(ft)(ts);
    const hv = tf.grads((...a: tf.Tensor[]) => {
      const ga = tf.grads(ft)(a);
      return tf.addN(ga.map((gi, i) => tf.sum(tf.mul(gi, vs[i])))) as tf.Scalar;
    })(ts);
    return [y, ...g, ...hv];
  });
  const got = await read(out);
  tf.dispose(out);
  const m = xs.length;
  return {
    value: relErr([got[0]], [yRef]),
    grad: relErr(got.slice(1, 1 + m), gRef),
    hvp: relErr(got.slice(1 + m), hRef),
  };
};

const passes = (e: { value: number; grad: number; hvp: number }) =>
  e.value < TOL && e.grad < TOL && e.hvp < TOL;

for (const backend of testBackends) {
  Deno.test({
    name:
      `gradients [${backend.name}]: value, gradient and grad-of-grad (HVP) match float64 finite differences`,
    ignore: backend.ignore,
    fn: async (t) => {
      await onBackend(backend.name);
      for (const k of cases) {
        await t.step({
          name: k.name,
          ignore: backend.name === "webgpu" && k.webgpuDefect === true,
          fn: async () => {
            const e = await check(k);
            ok(
              passes(e),
              `${k.name} on ${backend.name}: relative errors ${
                JSON.stringify(e)
              } (tolerance ${TOL})`,
            );
          },
        });
      }
    },
  });
}

const replaced = new Map(higherOrderGradients.map((g) => [g.kernelName, g]));
const withStock = async <T>(kernels: string[], f: () => Promise<T>): Promise<T> => {
  for (const name of kernels) {
    tf.unregisterGradient(name);
    const stock = stockGradients.get(name);
    if (stock) tf.registerGradient(stock);
  }
  try {
    return await f();
  } finally {
    for (const name of kernels) {
      if (tf.getGradient(name)) tf.unregisterGradient(name);
      // deno-lint-ignore no-non-null-assertion
      tf.registerGradient(replaced.get(name)!);
    }
  }
};

for (const backend of testBackends) {
  Deno.test({
    name:
      `gradients [${backend.name}]: negative control, each case fails with the stock tfjs gradient`,
    ignore: backend.ignore,
    fn: async (t) => {
      await onBackend(backend.name);
      registerHigherOrderGradients();
      for (const k of cases.filter((k) => k.controls)) {
        // deno-lint-ignore no-non-null-assertion
        const controls = k.controls!;
        await t.step(`${k.name} without ${controls.join(", ")}`, async () => {
          let outcome: string;
          try {
            const e = await withStock(controls, () => check(k));
            outcome = passes(e) ? `passed ${JSON.stringify(e)}` : `wrong ${JSON.stringify(e)}`;
          } catch (err) {
            outcome = `threw: ${(err as Error).message.slice(0, 60)}`;
          }
          if (Deno.env.get("HGN_TEST_VERBOSE")) console.log(`stock ${controls}: ${outcome}`);
          ok(!outcome.startsWith("passed"), `${k.name} still ${outcome} with the stock gradient`);
        });
      }
    },
  });
}

for (const backend of testBackends) {
  Deno.test({
    name:
      `gradients [${backend.name}]: negative control, convStackInputGradient does not match a reference whose adjoints skip the filter flip`,
    ignore: backend.ignore,
    fn: async (t) => {
      await onBackend(backend.name);
      for (const [xs, layers] of CONV_STACKS) {
        const k = convStackCase(xs, layers, "unflipped");
        await t.step(k.name, async () => {
          const e = await check(k);
          ok(!passes(e), `${k.name} passed: relative errors ${JSON.stringify(e)}`);
        });
      }
    },
  });
}

for (const backend of testBackends) {
  Deno.test({
    name:
      `gradients [${backend.name}]: a filter gradient over more than 2^21 input floats, summed in batch chunks, equals the float64 one`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      // 5 x 96 x 96 x 48 = 2.2M floats: two chunks (3 and 2 images), stride 2 so dy is dilated
      for (
        const [xs, fs, s] of [[[5, 96, 96, 48], [3, 3, 48, 2], 2], [[3, 200, 120, 30], [
          2,
          3,
          30,
          1,
        ], 1]] as [Shape, Shape, number][]
      ) {
        const g = geom(xs, fs, s, "same");
        const x = values(3, size(xs));
        const dy = values(4, g.b * g.oh * g.ow * g.co);
        const want = convFilter(g, x, dy);
        const got = tf.tidy(() =>
          conv2dFilterGradient(
            tf.tensor4d(Float32Array.from(x), xs as [number, number, number, number]),
            tf.tensor(Float32Array.from(dy), [g.b, g.oh, g.ow, g.co]) as tf.Tensor4D,
            fs as [number, number, number, number],
            s,
            "same",
          )
        );
        const [out] = await read([got]);
        got.dispose();
        const err = relErr([out], [want]);
        ok(err < 1e-5, `x [${xs}] filter [${fs}] stride ${s}: relative error ${err}`);
      }
    },
  });
}
