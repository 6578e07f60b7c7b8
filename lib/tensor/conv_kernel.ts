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
 * Stride-1 3x3 layers large enough run by Winograd F(2x2, 3x3) instead (lib/tensor/winograd.ts):
 * 16 multiplies per 2x2 output block and channel pair instead of 36, the products batched into
 * 16 matrix products that the same kernel runs as 1x1 convolutions; 1.7x the direct kernel on the
 * paper's 64-channel layers, within its float32 forward error bound of float64 (tested; its
 * largest error on a 64-channel layer is 3.4e-7 of the largest output).
 *
 * In the direct kernel, each output is a sum over `(ky, kx, ci)` in that order, in float32 (fused or not, per engine):
 * results are bit-for-bit reproducible on one machine and engine, and within float32 rounding of
 * the stock kernel (tests/tensor/conv_kernel_test.ts checks them against float64).
 *
 * @module
 */
import { tf } from "../deps/tf.ts";
import { Code, compileOn, hasRelaxedSimd, I32, V128 } from "./wasm_emit.ts";
import {
  emitWinogradInput,
  emitWinogradOutput,
  WINOGRAD_BLOCKS,
  winogradFilters,
} from "./winograd.ts";

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
 * (`oh * ow * co` floats per image). `accumulate`: add to the output that is there instead of
 * overwriting it (the row-blocked passes of {@link rowBlocksApply}).
 */
export const emitConv = (
  shape: ConvShape,
  fused: boolean,
  { mr: MR, nr: NR, unroll: UNROLL, shuffle }: ConvTiling = CONV_TILING,
  accumulate = false,
): Code => {
  const { ci, co, kh, kw, sh, sw, hx, wx, oh, ow } = shape;
  const f = 4; // bytes per float
  const c = new Code(4);
  const [X, W, Y, N] = [0, 1, 2, 3];
  const img = c.local(I32), oy = c.local(I32), t = c.local(I32), jn = c.local(I32);
  const ky = c.local(I32), j = c.local(I32);
  const rowX = c.local(I32), rowY = c.local(I32), pa = c.local(I32), py = c.local(I32);
  const pk = c.local(I32), pb = c.local(I32), pyj = c.local(I32);
  const baseX = c.local(I32), baseY = c.local(I32);
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
  const step = (mr: number, nv: number, u: number, quad: boolean, ps: number) => {
    for (let v = 0; v < nv; v++) c.get(pb).v128Load((u * nv + v) * 16).set(bv[v]);
    if (quad && u % 4 === 0) {
      for (let i = 0; i < mr; i++) c.get(pk).v128Load((i * ps + u) * f).set(av[i]);
    }
    for (let i = 0; i < mr; i++) {
      if (quad) c.get(av[i]).get(av[i]).f32x4SplatLane(u % 4).set(a);
      else c.get(pk).v128Load32Splat((i * ps + u) * f).set(a);
      for (let v = 0; v < nv; v++) {
        if (fused) c.get(a).get(bv[v]).get(acc[i][v]).f32x4RelaxedMadd();
        else c.get(a).get(bv[v]).f32x4Mul().get(acc[i][v]).f32x4Add();
        c.set(acc[i][v]);
      }
    }
  };

  /**
   * The output tile of `mr` pixels at `pa`/`pyj` by one panel of `valid` channels; pixel `i` is
   * `i * ps` input floats and `i * qs` output floats from the first.
   */
  const panel = (mr: number, width: number, valid: number, ps: number, qs: number) => {
    const nv = width / 4;
    for (let i = 0; i < mr; i++) {
      for (let v = 0; v < nv; v++) {
        const at = (i * qs + v * 4) * f;
        if (!accumulate) c.v128Zero();
        else if (v * 4 + 4 <= valid) c.get(pyj).v128Load(at);
        else {
          c.v128Zero();
          for (let l = 0; v * 4 + l < valid; l++) {
            c.get(pyj).f32Load(at + l * f).f32x4ReplaceLane(l);
          }
        }
        c.set(acc[i][v]);
      }
    }
    c.get(pa).set(pk);
    c.forRange(ky, kh, () => {
      c.forRange(j, Math.floor(run / UNROLL), () => {
        for (let u = 0; u < UNROLL; u++) step(mr, nv, u, quads, ps);
        c.bump(pk, UNROLL * f).bump(pb, UNROLL * width * f);
      });
      for (let u = 0; u < run % UNROLL; u++) step(mr, nv, u, false, ps);
      c.bump(pk, (run % UNROLL) * f + (wx - kw) * ci * f).bump(pb, (run % UNROLL) * width * f);
    });
    for (let i = 0; i < mr; i++) {
      for (let v = 0; v < nv; v++) {
        const at = (i * qs + v * 4) * f;
        if (v * 4 + 4 <= valid) c.get(pyj).get(acc[i][v]).v128Store(at);
        else {
          for (let l = 0; v * 4 + l < valid; l++) {
            c.get(pyj).get(acc[i][v]).f32x4ExtractLane(l).f32Store(at + l * f);
          }
        }
      }
    }
  };

  /**
   * The tile of `mr` pixels at `pa`/`py` over every panel of output channels: neighbours in a row
   * by default, in a column (`ps`, `qs`: a row's input and output floats) for the rows' tails.
   */
  const tile = (mr: number, ps = sw * ci, qs = co) => {
    const panels = panelsOf(co, NR);
    const full = panels.filter((p) => p.valid === NR).length;
    c.get(W).set(pb).get(py).set(pyj);
    c.forRange(jn, full, () => {
      panel(mr, NR, NR, ps, qs);
      c.bump(pyj, NR * f);
    });
    for (const p of panels.slice(full)) panel(mr, p.width, p.valid, ps, qs);
  };

  // Each row's full tiles of MR pixels, then the `ow % MR` columns left over, each in tiles of MR
  // rows (a row of 17 is 4 tiles and a column, not 4 tiles and a tile of one pixel per row).
  const tail = ow % MR;
  c.get(X).set(rowX).get(Y).set(rowY);
  c.forLocal(img, N, () => {
    c.get(rowX).set(baseX).get(rowY).set(baseY);
    c.forRange(oy, oh, () => {
      c.get(rowX).set(pa).get(rowY).set(py);
      c.forRange(t, Math.floor(ow / MR), () => {
        tile(MR);
        c.bump(pa, MR * sw * ci * f).bump(py, MR * co * f);
      });
      c.bump(rowX, sh * wx * ci * f).bump(rowY, ow * co * f);
    });
    for (let cx = ow - tail; cx < ow; cx++) {
      const [ps, qs] = [sh * wx * ci, ow * co];
      c.get(baseX).i32(cx * sw * ci * f).add().set(pa).get(baseY).i32(cx * co * f).add().set(py);
      c.forRange(t, Math.floor(oh / MR), () => {
        tile(MR, ps, qs);
        c.bump(pa, MR * ps * f).bump(py, MR * qs * f);
      });
      if (oh % MR) tile(oh % MR, ps, qs);
    }
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
type TransformFunction = (from: number, to: number, count: number) => void;
/** Runs a convolution on `count` images: input at byte address `xPtr`, output at `yPtr`. */
type ChunkRun = (xPtr: number, yPtr: number, count: number) => void;

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
  disposeData(dataId: tf.DataId): boolean;
}

let fusedSimd: boolean | undefined;

/** Whether the emitted kernels use fused multiply-add (relaxed SIMD validates here). */
export const convUsesFma = (): boolean => fusedSimd ??= hasRelaxedSimd();

/** The compiled direct kernel for `shape` on `memory` (adding to its output: `accumulate`). */
const kernelFor = (
  shape: ConvShape,
  tiling: ConvTiling,
  memory: WebAssembly.Memory,
  accumulate = false,
) =>
  compileOn(memory, JSON.stringify(["conv", shape, tiling, accumulate]), () => [
    { name: "conv", code: emitConv(shape, convUsesFma(), tiling, accumulate) },
  ]).conv as ConvFunction;

/** Packed filters larger than this run one filter row at a time ({@link rowBlocksApply}). */
export const ROW_BLOCK_MIN_BYTES = 1 << 19;

/**
 * Whether the direct kernel runs `shape` one filter row at a time: when its packed filter is
 * over {@link ROW_BLOCK_MIN_BYTES}, as the filter gradients' are (the batch's gradients as a
 * 16x16 or 32x32 filter over a few output pixels). Each tile streams the whole packed filter, so
 * a filter too large for the core's cache is read from memory once per tile of a few pixels;
 * one row of it stays in cache while every tile of the images uses it, and each output is read
 * and written back once per row. The sum's order is unchanged, and a float32 stored and loaded
 * again is exact: the same bits as in one pass.
 */
export const rowBlocksApply = (shape: ConvShape, nr: number): boolean =>
  shape.kh > 1 && packedFilterLength(shape.kh * shape.kw * shape.ci, shape.co, nr) * 4 >
    ROW_BLOCK_MIN_BYTES;

/** Input bytes padded at a time: the copy stays small beside the tensors themselves. */
const PAD_CHUNK_BYTES = 1 << 24;

/**
 * Images `b0 .. b0 + count` of the NHWC input `xs` (`h x w x ci`) into `padded`, zero-filled,
 * `hx x wx` each, with the input's pixel (0, 0) at (`top`, `left`).
 */
const padInto = (
  xs: Float32Array,
  padded: Float32Array,
  b0: number,
  count: number,
  g: { h: number; w: number; ci: number; hx: number; wx: number; top: number; left: number },
): void => {
  const { h, w, ci, hx, wx, top, left } = g;
  padded.fill(0);
  // rows and columns of the input that land inside the padded window
  const r0 = Math.max(0, top), r1 = Math.min(hx, top + h);
  const c0 = Math.max(0, left), c1 = Math.min(wx, left + w);
  if (r1 <= r0 || c1 <= c0) return;
  const len = (c1 - c0) * ci;
  for (let b = 0; b < count; b++) {
    for (let r = r0; r < r1; r++) {
      const src = (((b0 + b) * h + r - top) * w + c0 - left) * ci;
      padded.set(xs.subarray(src, src + len), ((b * hx + r) * wx + c0) * ci);
    }
  }
};

/** The fewest 2x2 output blocks for which Winograd measured faster than the direct kernel. */
export const WINOGRAD_MIN_BLOCKS = 256;

/** The compiled Winograd transforms for `ci`, `co`, input width `wx` and output width `ow`. */
const transformsFor = (
  ci: number,
  co: number,
  wx: number,
  ow: number,
  memory: WebAssembly.Memory,
) => {
  const e = compileOn(memory, JSON.stringify(["winograd", ci, co, wx, ow]), () => [
    { name: "input", code: emitWinogradInput(ci, wx) },
    { name: "output", code: emitWinogradOutput(co, ow) },
  ]);
  return { input: e.input as TransformFunction, output: e.output as TransformFunction };
};

/**
 * Whether a convolution of `n` images runs by Winograd F(2x2, 3x3): 3x3, stride 1, an even
 * number of output rows and columns, channel counts multiples of 4 and at least 8, and at least
 * {@link WINOGRAD_MIN_BLOCKS} output blocks (below these the transforms cost more than the
 * multiplies saved: bench/conv_bench.ts).
 */
export const winogradApplies = (shape: ConvShape, n: number): boolean =>
  (n * shape.oh * shape.ow) / 4 >= WINOGRAD_MIN_BLOCKS && shape.kh === 3 && shape.kw === 3 &&
  shape.sh === 1 && shape.sw === 1 && shape.oh % 2 === 0 &&
  shape.ow % 2 === 0 && shape.ci % 4 === 0 && shape.co % 4 === 0 && shape.ci >= 8 &&
  shape.co >= 8;

/**
 * The convolution `shape` on each chunk of images that `eachChunk` hands over (`hx * wx * ci`
 * input floats per image; `filter` gives a view of the filter) by Winograd F(2x2, 3x3), in
 * batches of {@link WINOGRAD_BLOCKS} output blocks: input transforms, 16 matrix products by the direct kernel as 1x1 convolutions, output
 * transforms; the filters are transformed once for all chunks. False (nothing written) when the
 * heap cannot hold its scratch.
 */
const winogradConv = (
  wasm: WasmBackend["wasm"],
  shape: ConvShape,
  filter: () => Float32Array,
  eachChunk: (run: ChunkRun) => void,
): boolean => {
  const { ci, co, hx, wx, oh, ow } = shape;
  const B = WINOGRAD_BLOCKS;
  const product: ConvShape = { ci, co, kh: 1, kw: 1, sh: 1, sw: 1, hx: 1, wx: B, oh: 1, ow: B };
  const tiling = tilingFor(product);
  const gemm = kernelFor(product, tiling, wasm.asm.memory);
  const { input, output } = transformsFor(ci, co, wx, ow, wasm.asm.memory);
  const uLen = packedFilterLength(ci, co, tiling.nr);
  const [vLen, mLen] = [B * ci, B * co];
  const scratch = wasm._malloc(16 * (uLen + vLen + mLen) * 4) >>> 0; // unsigned, as above
  if (scratch === 0) return false;
  try {
    const [U, V, M] = [scratch, scratch + 16 * uLen * 4, scratch + 16 * (uLen + vLen) * 4];
    const u = winogradFilters(filter(), ci, co); // a view taken after the allocation
    for (let e = 0; e < 16; e++) {
      const at = U / 4 + e * uLen;
      packFilter(u[e], ci, co, wasm.HEAPF32.subarray(at, at + uLen), tiling.nr);
    }
    const rows: [number, number, number][] = []; // output address, first block, blocks
    let fill = 0;
    const flush = () => {
      for (let e = 0; e < 16; e++) gemm(V + e * vLen * 4, U + e * uLen * 4, M + e * mLen * 4, 1);
      for (const [y, first, count] of rows) output(M + first * co * 4, y, count);
      rows.length = 0;
      fill = 0;
    };
    const across = ow / 2;
    eachChunk((xPtr, yPtr, n) => {
      for (let b = 0; b < n; b++) {
        for (let ty = 0; ty < oh / 2; ty++) {
          for (let tx = 0; tx < across;) {
            const count = Math.min(across - tx, B - fill);
            input(xPtr + ((b * hx + 2 * ty) * wx + 2 * tx) * ci * 4, V + fill * ci * 4, count);
            rows.push([yPtr + ((b * oh + 2 * ty) * ow + 2 * tx) * co * 4, fill, count]);
            fill += count;
            tx += count;
            if (fill === B) flush();
          }
        }
      }
    }); // a batch may span chunks: its inputs are transformed already, its outputs are in `out`
    if (fill > 0) flush();
  } finally {
    wasm._free(scratch);
  }
  return true;
};

/**
 * `Conv2D` on wasm by our kernel for float32 NHWC without dilation; anything else goes to the
 * stock kernel. Stride-1 3x3 layers run by Winograd F(2x2, 3x3) where {@link winogradApplies}.
 * `options` fix the tiling, turn Winograd or row blocking on or off, or size the padded copies
 * (for tests and benchmarks).
 */
export const conv2dKernel = (
  fallback: tf.KernelConfig,
  options: {
    readonly tiling?: ConvTiling;
    readonly winograd?: boolean;
    readonly rowBlocks?: boolean;
    readonly padChunkBytes?: number;
  } = {},
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
  const tiling = options.tiling ?? tilingFor(shape);
  const winograd = (options.winograd ?? true) && winogradApplies(shape, n);
  const wasm = backend.wasm;
  const k = kh * kw * ci;
  const wBytes = winograd ? 0 : packedFilterLength(k, co, tiling.nr) * 4;
  // padded copies of at most PAD_CHUNK_BYTES of input at a time (at least one image)
  const imageBytes = hx * wx * ci * 4;
  const chunk = direct
    ? n
    : Math.max(1, Math.min(n, Math.floor((options.padChunkBytes ?? PAD_CHUNK_BYTES) / imageBytes)));
  const xBytes = direct ? 0 : chunk * imageBytes;
  const scratch = wasm._malloc(wBytes + xBytes) >>> 0; // an address past 2 GiB comes back negative
  if (scratch === 0) {
    // the heap cannot grow by that much: the stock kernel needs no copy
    backend.disposeData(out.dataId);
    return fallback.kernelFunc(params);
  }
  try {
    const weights = () => backend.typedArrayFromHeap(filter);
    /** `run` on each chunk of images, padded first where the input needs it */
    const eachChunk = (run: ChunkRun) => {
      for (let b0 = 0; b0 < n; b0 += chunk) {
        const count = Math.min(chunk, n - b0);
        // views after every allocation (one may grow the heap and detach older views)
        const xs = backend.typedArrayFromHeap(x);
        let xPtr = xs.byteOffset + b0 * h * w * ci * 4;
        if (!direct) {
          xPtr = scratch + wBytes;
          const padded = wasm.HEAPF32.subarray(xPtr / 4, (xPtr + count * imageBytes) / 4);
          padInto(xs, padded, b0, count, { h, w, ci, hx, wx, top, left });
        }
        run(xPtr, backend.typedArrayFromHeap(out).byteOffset + b0 * oh * ow * co * 4, count);
      }
    };
    if (!winograd) {
      // in `parts` passes of `kh / parts` filter rows (one pass, or one row at a time): part p's
      // filter packed at p * partLength, its kernel reading the input from row p on; the first
      // pass writes the output and the others add to it
      const parts = (options.rowBlocks ?? rowBlocksApply(shape, tiling.nr)) ? kh : 1;
      const part = { ...shape, kh: kh / parts };
      const floats = part.kh * kw * ci, partLength = packedFilterLength(floats, co, tiling.nr);
      const packed = wasm.HEAPF32.subarray(scratch / 4, (scratch + wBytes) / 4);
      const ws = weights();
      for (let p = 0; p < parts; p++) {
        const to = packed.subarray(p * partLength, (p + 1) * partLength);
        packFilter(ws.subarray(p * floats * co, (p + 1) * floats * co), floats, co, to, tiling.nr);
      }
      const first = kernelFor(part, tiling, wasm.asm.memory);
      const rest = parts > 1 ? kernelFor(part, tiling, wasm.asm.memory, true) : first;
      eachChunk((xPtr, yPtr, count) => {
        for (let p = 0; p < parts; p++) {
          const fn = p === 0 ? first : rest;
          fn(xPtr + p * part.kh * wx * ci * 4, scratch + p * partLength * 4, yPtr, count);
        }
      });
    } else if (!winogradConv(wasm, shape, weights, eachChunk)) {
      backend.disposeData(out.dataId);
      return fallback.kernelFunc(params);
    }
  } finally {
    wasm._free(scratch);
  }
  return out;
};
