/**
 * Our own 2-D convolution for the wasm backend: wasm SIMD emitted per layer shape by
 * lib/tensor/wasm_emit.ts, run in tfjs-backend-wasm's own heap.
 *
 * Every convolution of the models reaches the backend as a forward `Conv2D` (the gradient layer,
 * lib/tensor/gradients.ts, writes the input and filter gradients as forward convolutions), so this
 * one kernel speeds up all three. tfjs-backend-wasm 4.22's XNNPACK build runs them at ~13 GFLOP/s
 * per core with plain 128-bit SIMD and no fused multiply-add.
 *
 * The kernel is a register-blocked matrix product over the convolution read in place (no im2col):
 * an output tile of `MR` neighbouring pixels of one output row by `NR` output channels is held in
 * `MR * NR / 4` vector accumulators; each step of the reduction loads one input float per pixel
 * (splat to four lanes) and `NR / 4` vectors of the filter, packed into panels of `NR` output
 * channels, and does `MR * NR / 4` multiply-adds (fused, `f32x4.relaxed_madd`, where the engine
 * has relaxed SIMD; multiply then add otherwise). In NHWC a window row `(ky, kx = 0.., ci = 0..)`
 * is one contiguous run of `KW * CI` floats, so the reduction is `KH` runs, each a loop unrolled
 * by four. Everything shape-dependent (channel counts, strides, the pixel offsets of the tile's
 * rows, the tile and panel tails) is an immediate of the emitted code; one module per distinct
 * shape is compiled once and cached.
 *
 * Each output is a sum over `(ky, kx, ci)` in that order, in float32 (fused or not, per engine):
 * results are bit-for-bit reproducible on one machine and engine, and within float32 rounding of
 * the stock kernel (tests/tensor/conv_kernel_test.ts checks them against float64).
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { Code, hasRelaxedSimd, I32, moduleBytes, V128 } from "./wasm_emit.ts";

/** The register blocking of the emitted kernel. */
export interface ConvTiling {
  /** pixels per output tile (of one output row) */
  readonly mr: number;
  /** output channels per panel (a multiple of 4) */
  readonly nr: number;
  /** unrolling of the reduction loop */
  readonly unroll: number;
  /** input floats by one splat load each, or four at a time by a vector load and lane shuffles */
  readonly shuffle?: boolean;
}

/**
 * 4 pixels by 8 channels: 8 accumulators, 2 filter vectors and a splat fit x64's 16 vector
 * registers (bench/conv_bench.ts measures the others).
 */
export const CONV_TILING: ConvTiling = { mr: 4, nr: 8, unroll: 8, shuffle: true };

/**
 * The tiling for `shape`: {@link CONV_TILING}, except 6 pixels by 4 channels when there are at
 * most 4 output channels (a decoder's RGB layer) and 2 pixels by 16 channels for outputs at most
 * 2 pixels wide (filter gradients of small layers), which keep 6-8 accumulators busy where
 * 4 x 8 would leave most of them idle (bench/conv_bench.ts).
 */
export const tilingFor = (shape: ConvShape): ConvTiling =>
  shape.co <= 4
    ? { ...CONV_TILING, mr: 6, nr: 4 }
    : shape.ow <= 2
    ? { ...CONV_TILING, mr: 2, nr: 16 }
    : CONV_TILING;

/** A convolution's shape as the emitted kernel sees it (all sizes in floats). */
export interface ConvShape {
  /** input channels, output channels */
  readonly ci: number;
  readonly co: number;
  /** filter height and width */
  readonly kh: number;
  readonly kw: number;
  /** strides */
  readonly sh: number;
  readonly sw: number;
  /** rows and row width of the (padded) input the kernel reads */
  readonly hx: number;
  readonly wx: number;
  /** output rows and columns */
  readonly oh: number;
  readonly ow: number;
}

/** Packed filter layout: panel offsets (floats) and widths (floats, multiples of 4). */
const panelsOf = (co: number, nr: number): { start: number; width: number; valid: number }[] => {
  const out = [];
  for (let c = 0; c < co; c += nr) {
    const valid = Math.min(nr, co - c);
    out.push({ start: c, width: Math.ceil(valid / 4) * 4, valid });
  }
  return out;
};

/**
 * The function `conv(x, w, y, n)` for `shape`: `n` images at byte address `x` (`hx * wx * ci`
 * floats each), the packed filter at `w` ({@link packFilter}), the output at `y`
 * (`oh * ow * co` floats per image).
 */
export const emitConv = (
  shape: ConvShape,
  fused: boolean,
  { mr: MR, nr: NR, unroll: UNROLL, shuffle }: ConvTiling = CONV_TILING,
): Code => {
  const { ci, co, kh, kw, sh, sw, hx, wx, oh, ow } = shape;
  const f = 4; // bytes per float
  const c = new Code(4);
  const [X, W, Y, N] = [0, 1, 2, 3];
  const img = c.local(I32), oy = c.local(I32), t = c.local(I32), jn = c.local(I32);
  const ky = c.local(I32), j = c.local(I32);
  const rowX = c.local(I32), rowY = c.local(I32), pa = c.local(I32), py = c.local(I32);
  const pk = c.local(I32), pb = c.local(I32), pyj = c.local(I32);
  const a = c.local(V128);
  const av = Array.from({ length: MR }, () => c.local(V128));
  const bv = Array.from({ length: NR / 4 }, () => c.local(V128));
  const acc = Array.from({ length: MR }, () => Array.from({ length: NR / 4 }, () => c.local(V128)));
  const run = kw * ci; // floats in one window row
  const quads = !!shuffle && UNROLL % 4 === 0;

  /**
   * Reduction step `u` of a tile of `mr` pixels by `nv` vectors; `quad`: the input floats of
   * steps `u - u % 4 ..` were loaded as one vector per pixel, and lane `u % 4` is splat.
   */
  const step = (mr: number, nv: number, u: number, quad: boolean) => {
    for (let v = 0; v < nv; v++) c.get(pb).v128Load((u * nv + v) * 16).set(bv[v]);
    if (quad && u % 4 === 0) {
      for (let i = 0; i < mr; i++) c.get(pk).v128Load((i * sw * ci + u) * f).set(av[i]);
    }
    for (let i = 0; i < mr; i++) {
      if (quad) c.get(av[i]).get(av[i]).f32x4SplatLane(u % 4).set(a);
      else c.get(pk).v128Load32Splat((i * sw * ci + u) * f).set(a);
      for (let v = 0; v < nv; v++) {
        if (fused) c.get(a).get(bv[v]).get(acc[i][v]).f32x4RelaxedMadd();
        else c.get(a).get(bv[v]).f32x4Mul().get(acc[i][v]).f32x4Add();
        c.set(acc[i][v]);
      }
    }
  };

  /** The output tile of `mr` pixels at `pa`/`pyj` by one panel of `valid` channels. */
  const panel = (mr: number, width: number, valid: number) => {
    const nv = width / 4;
    for (let i = 0; i < mr; i++) for (let v = 0; v < nv; v++) c.v128Zero().set(acc[i][v]);
    c.get(pa).set(pk);
    c.forRange(ky, kh, () => {
      c.forRange(j, Math.floor(run / UNROLL), () => {
        for (let u = 0; u < UNROLL; u++) step(mr, nv, u, quads);
        c.bump(pk, UNROLL * f).bump(pb, UNROLL * width * f);
      });
      for (let u = 0; u < run % UNROLL; u++) step(mr, nv, u, false);
      c.bump(pk, (run % UNROLL) * f + (wx - kw) * ci * f).bump(pb, (run % UNROLL) * width * f);
    });
    for (let i = 0; i < mr; i++) {
      for (let v = 0; v < nv; v++) {
        const at = (i * co + v * 4) * f;
        if (v * 4 + 4 <= valid) c.get(pyj).get(acc[i][v]).v128Store(at);
        else {
          for (let l = 0; v * 4 + l < valid; l++) {
            c.get(pyj).get(acc[i][v]).f32x4ExtractLane(l).f32Store(at + l * f);
          }
        }
      }
    }
  };

  /** The tile of `mr` pixels at `pa`/`py` over every panel of output channels. */
  const tile = (mr: number) => {
    const panels = panelsOf(co, NR);
    const full = panels.filter((p) => p.valid === NR).length;
    c.get(W).set(pb).get(py).set(pyj);
    c.forRange(jn, full, () => {
      panel(mr, NR, NR);
      c.bump(pyj, NR * f);
    });
    for (const p of panels.slice(full)) panel(mr, p.width, p.valid);
  };

  c.get(X).set(rowX).get(Y).set(rowY);
  c.forLocal(img, N, () => {
    c.forRange(oy, oh, () => {
      c.get(rowX).set(pa).get(rowY).set(py);
      c.forRange(t, Math.floor(ow / MR), () => {
        tile(MR);
        c.bump(pa, MR * sw * ci * f).bump(py, MR * co * f);
      });
      if (ow % MR) tile(ow % MR);
      c.bump(rowX, sh * wx * ci * f).bump(rowY, ow * co * f);
    });
    // rowX advanced oh * sh rows; move it to the next image
    c.bump(rowX, (hx - oh * sh) * wx * ci * f);
  });
  return c;
};

/** The floats of the packed filter for `co` output channels and reduction length `k`. */
export const packedFilterLength = (k: number, co: number, nr = CONV_TILING.nr): number =>
  panelsOf(co, nr).reduce((n, p) => n + k * p.width, 0);

/**
 * The filter `[kh, kw, ci, co]` (`k = kh * kw * ci` rows of `co`) as panels of `nr` output
 * channels, each `k` rows of its width (zero-padded to a multiple of 4), into `dst`.
 */
export const packFilter = (
  w: Float32Array,
  k: number,
  co: number,
  dst: Float32Array,
  nr = CONV_TILING.nr,
): void => {
  let o = 0;
  for (const p of panelsOf(co, nr)) {
    for (let r = 0; r < k; r++, o += p.width) {
      const src = r * co + p.start;
      for (let q = 0; q < p.valid; q++) dst[o + q] = w[src + q];
      for (let q = p.valid; q < p.width; q++) dst[o + q] = 0;
    }
  }
};

type ConvFunction = (x: number, w: number, y: number, n: number) => void;

/** The parts of tfjs-backend-wasm's backend the kernel uses. */
interface WasmBackend {
  wasm: {
    asm: { memory: WebAssembly.Memory };
    HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** Compiled kernels by memory (one per wasm backend), then by shape and tiling. */
const compiled = new WeakMap<WebAssembly.Memory, Map<string, ConvFunction>>();
let fusedSimd: boolean | undefined;

/** Whether the emitted kernels use fused multiply-add (relaxed SIMD validates here). */
export const convUsesFma = (): boolean => fusedSimd ??= hasRelaxedSimd();

/** The compiled kernel for `shape` on `memory` (cached by shape; at most 512 kept). */
const kernelFor = (
  shape: ConvShape,
  tiling: ConvTiling,
  memory: WebAssembly.Memory,
): ConvFunction => {
  const key = JSON.stringify([shape, tiling]);
  let cache = compiled.get(memory);
  if (!cache) compiled.set(memory, cache = new Map());
  let fn = cache.get(key);
  if (!fn) {
    const bytes = moduleBytes([{ name: "conv", code: emitConv(shape, convUsesFma(), tiling) }]);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    fn = instance.exports.conv as ConvFunction;
    if (cache.size >= 512) cache.clear();
    cache.set(key, fn);
  }
  return fn;
};

/**
 * `Conv2D` on wasm by our kernel for float32 NHWC without dilation; anything else goes to the
 * stock kernel. `tiling` is for benchmarks.
 */
export const conv2dKernel = (
  fallback: tf.KernelConfig,
  fixedTiling?: ConvTiling,
): tf.KernelFunc =>
(params) => {
  const { inputs, attrs } = params;
  const backend = params.backend as unknown as WasmBackend;
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as {
    strides: number | [number, number];
    pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding;
    dataFormat?: string;
    dilations?: number | [number, number];
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const dil = dilations === undefined
    ? [1, 1]
    : typeof dilations === "number"
    ? [dilations, dilations]
    : dilations;
  const nhwc = dataFormat === undefined || dataFormat === "NHWC" || dataFormat === "channelsLast";
  if (
    !nhwc || dil[0] !== 1 || dil[1] !== 1 || x.dtype !== "float32" || filter.dtype !== "float32" ||
    !backend.wasm?.asm?.memory
  ) return fallback.kernelFunc(params);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  const [n, h, w, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const out = backend.makeOutput([n, oh, ow, co], "float32");
  if (n * oh * ow * co === 0) return out;
  if (ci === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const { top, left } = info.padInfo;
  const needH = (oh - 1) * sh + kh, needW = (ow - 1) * sw + kw;
  const direct = top === 0 && left === 0 && needH <= h && needW <= w;
  const hx = direct ? h : needH, wx = direct ? w : needW;
  const shape: ConvShape = { ci, co, kh, kw, sh, sw, hx, wx, oh, ow };
  const tiling = fixedTiling ?? tilingFor(shape);
  const wasm = backend.wasm;
  const k = kh * kw * ci;
  const wBytes = packedFilterLength(k, co, tiling.nr) * 4;
  const xBytes = direct ? 0 : n * hx * wx * ci * 4;
  const scratch = wasm._malloc(wBytes + xBytes);
  try {
    const fn = kernelFor(shape, tiling, wasm.asm.memory);
    // views after the allocation (it may grow the heap)
    const heap = wasm.HEAPF32;
    const packed = heap.subarray(scratch / 4, (scratch + wBytes) / 4);
    packFilter(backend.typedArrayFromHeap(filter), k, co, packed, tiling.nr);
    const xs = backend.typedArrayFromHeap(x);
    let xPtr = xs.byteOffset;
    if (!direct) {
      xPtr = scratch + wBytes;
      const padded = heap.subarray(xPtr / 4, (xPtr + xBytes) / 4);
      padded.fill(0);
      // rows and columns of the input that land inside the padded window
      const r0 = Math.max(0, top), r1 = Math.min(hx, top + h);
      const c0 = Math.max(0, left), c1 = Math.min(wx, left + w);
      if (r1 > r0 && c1 > c0) {
        const len = (c1 - c0) * ci;
        for (let b = 0; b < n; b++) {
          for (let r = r0; r < r1; r++) {
            const src = ((b * h + r - top) * w + c0 - left) * ci;
            padded.set(xs.subarray(src, src + len), ((b * hx + r) * wx + c0) * ci);
          }
        }
      }
    }
    fn(xPtr, scratch, backend.typedArrayFromHeap(out).byteOffset, n);
  } finally {
    wasm._free(scratch);
  }
  return out;
};
