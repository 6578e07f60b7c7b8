/**
 * Pictures of datasets: PNG grids of frames (optionally with a text label on each row, drawn in a
 * built-in 5x7 bitmap font) and animated GIFs of trajectories.
 *
 * @module
 */
import { join } from "node:path";
import { applyPalette, GIFEncoder, pngEncode, quantize } from "../deps/image.ts";
import type { Generator, Split } from "../data/dataset.ts";
import { writeFileAtomic } from "./atomic.ts";

/**
 * Encodes `width x height x 3` RGB bytes as a PNG.
 *
 * @example
 * ```ts
 * import { encodePng } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(encodePng(new Uint8Array(2 * 2 * 3), 2, 2).subarray(1, 4), new TextEncoder().encode("PNG"));
 * ```
 */
export const encodePng = (rgb: Uint8Array, width: number, height: number): Uint8Array => {
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`encodePng: ${rgb.length} bytes for ${width}x${height}x3`);
  }
  return pngEncode({ width, height, data: rgb, channels: 3, depth: 8 });
};

/** An RGB image: `width x height x 3` bytes, row-major, no padding. */
export interface RgbImage {
  /** `width * height * 3` bytes, R, G, B per pixel, rows top first */
  readonly rgb: Uint8Array;
  /** pixels per row */
  readonly width: number;
  /** rows */
  readonly height: number;
}

/**
 * Tiles `rows x cols` RGB frames of `size x size` (row-major list, `frames[r * cols + c]`) into
 * one image with a `gap`-pixel white border between tiles. Returns the bytes, width and height.
 *
 * @example
 * ```ts
 * import { tileFrames } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const t = tileFrames([new Uint8Array(12), new Uint8Array(12)], 1, 2, 2, 1);
 * strictEqual(t.width, 7);
 * ```
 */
export const tileFrames = (
  frames: readonly Uint8Array[],
  rows: number,
  cols: number,
  size: number,
  gap = 1,
): { rgb: Uint8Array; width: number; height: number } => {
  const width = cols * size + (cols + 1) * gap;
  const height = rows * size + (rows + 1) * gap;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  frames.forEach((f, k) => {
    const r = Math.floor(k / cols);
    const c = k % cols;
    if (r >= rows) return;
    for (let y = 0; y < size; y++) {
      const dst = ((gap + r * (size + gap) + y) * width + gap + c * (size + gap)) * 3;
      rgb.set(f.subarray(y * size * 3, (y + 1) * size * 3), dst);
    }
  });
  return { rgb, width, height };
};

/**
 * The built-in font: 5x7 pixel glyphs for lowercase a-z, digits 0-9 and `. , - ( ) / = : + _ ' %`
 * (a space, like any character not listed, is blank). Each space-separated entry is the character
 * followed by its 7 rows, top first, each row one base-32 digit whose 5 bits are the pixels, most
 * significant bit leftmost (e.g. `-000v000`: a 5-pixel bar on row 3).
 */
const FONT_5X7: readonly string[] = (
  "a00e1fhf bggmphhu c00egghe d11djhhf e00ehvge f698s888 g0fhhf1e hggmphhh i40c444e j20622ic " +
  "kggikoki lc44444e m00qllhh n00mphhh o00ehhhe p00uhugg q00djf11 r00mpggg s00ege1u t88s8896 " +
  "u00hhhjd v00hhha4 w00hhlla x00ha4ah y00hhf1e z00v248v 0ehjlphe 14c4444e 2eh1248v 3v2421he " +
  "426aiv22 5vgu11he 668guhhe 7v124888 8ehhehhe 9ehhf12c .00000cc ,0000c48 -000v000 (2488842 " +
  ")8422248 /01248g0 =00v0v00 :0cc0cc0 +044v440 _000000v 'c480000 %op248j3"
).split(" ");

/** Glyph width and height of the built-in font, in font pixels. */
const GLYPH_W = 5;
const GLYPH_H = 7;
/** Horizontal advance per character (glyph plus one blank column), in font pixels. */
const ADVANCE = GLYPH_W + 1;

const GLYPHS: ReadonlyMap<string, readonly number[]> = new Map(
  FONT_5X7.map((e) => [e[0], Array.from(e.slice(1), (d) => parseInt(d, 32))]),
);

/** Rows of a character's glyph; uppercase maps to lowercase, anything unknown is blank. */
const glyphOf = (ch: string): readonly number[] | undefined =>
  GLYPHS.get(ch) ?? GLYPHS.get(ch.toLowerCase());

/** Options of {@linkcode labelRows}. */
export interface LabelOptions {
  /** y of the first row's top edge in the strip (default 0; `gap` for a {@linkcode tileFrames} grid) */
  readonly top?: number;
  /** integer magnification of the font (default 1: glyphs 5x7 pixels on a 6-pixel advance) */
  readonly scale?: number;
  /** blank pixels left and right of the text in the margin (default 2) */
  readonly padding?: number;
  /** margin colour, RGB bytes (default black) */
  readonly background?: readonly [number, number, number];
  /** text colour, RGB bytes (default white) */
  readonly foreground?: readonly [number, number, number];
}

/**
 * Width in pixels of the left margin {@linkcode labelRows} adds for `labels`: the longest label
 * (in characters, one 6-pixel advance each at scale 1, less the trailing blank column) plus
 * `padding` on both sides; 0 when every label is empty.
 *
 * @example
 * ```ts
 * import { labelMarginWidth } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(labelMarginWidth(["truth", "backward"]), 2 + 8 * 6 - 1 + 2);
 * strictEqual(labelMarginWidth(["", ""]), 0);
 * ```
 */
export const labelMarginWidth = (labels: readonly string[], options: LabelOptions = {}): number => {
  const { scale = 1, padding = 2 } = options;
  const longest = Math.max(0, ...labels.map((l) => Array.from(l).length));
  return longest === 0 ? 0 : 2 * padding + (longest * ADVANCE - 1) * scale;
};

/**
 * A copy of `strip` with a left margin of width {@linkcode labelMarginWidth} holding `labels[r]`
 * for row `r`, the rows being `rowHeight` pixels apart from `options.top` (for a
 * {@linkcode tileFrames} grid of `size`-pixel frames and gap `gap`: `rowHeight = size + gap`,
 * `top = gap`). Each label is drawn in the built-in 5x7 font (lowercase a-z, digits, space,
 * `. , - ( ) / = : + _ ' %`; uppercase is drawn lowercase, other characters as blanks), white on
 * black by default, left-aligned after `padding` and vertically centred on the row's `rowHeight`
 * pixels (rounded up when the slack is odd). Pure and deterministic; the strip's pixels reappear
 * unchanged, shifted right by the margin.
 *
 * @throws {RangeError} when the rows do not fit in the strip or a glyph is taller than a row
 * @example
 * ```ts
 * import { labelRows, tileFrames } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const frames = Array.from({ length: 4 }, () => new Uint8Array(16 * 16 * 3));
 * const strip = tileFrames(frames, 2, 2, 16, 1);
 * const out = labelRows(strip, ["truth", "dt x0.5"], 17, { top: 1 });
 * strictEqual(out.width, strip.width + 2 + 7 * 6 - 1 + 2);
 * strictEqual(out.height, strip.height);
 * ```
 */
export const labelRows = (
  strip: RgbImage,
  labels: readonly string[],
  rowHeight: number,
  options: LabelOptions = {},
): RgbImage => {
  const {
    top = 0,
    scale = 1,
    padding = 2,
    background = [0, 0, 0],
    foreground = [255, 255, 255],
  } = options;
  const { rgb, width, height } = strip;
  if (rgb.length !== width * height * 3) {
    throw new RangeError(`labelRows: ${rgb.length} bytes for a ${width}x${height}x3 strip`);
  }
  if (!Number.isInteger(scale) || scale < 1) {
    throw new RangeError(`labelRows: scale must be a positive integer, got ${scale}`);
  }
  if (!Number.isInteger(padding) || padding < 0) {
    throw new RangeError(`labelRows: padding must be a non-negative integer, got ${padding}`);
  }
  if (!Number.isInteger(rowHeight) || rowHeight < GLYPH_H * scale) {
    throw new RangeError(
      `labelRows: row height must be an integer >= ${
        GLYPH_H * scale
      } (the glyph height at scale ${scale}), got ${rowHeight}`,
    );
  }
  if (!Number.isInteger(top) || top < 0 || top + labels.length * rowHeight > height) {
    throw new RangeError(
      `labelRows: ${labels.length} rows of ${rowHeight} px from y = ${top} need a strip at least ${
        top + labels.length * rowHeight
      } px tall, got ${height} (top must be a non-negative integer)`,
    );
  }
  const margin = labelMarginWidth(labels, { scale, padding });
  const outWidth = margin + width;
  const out = new Uint8Array(outWidth * height * 3);
  for (let y = 0; y < height; y++) {
    const row = y * outWidth * 3;
    for (let x = 0; x < margin; x++) out.set(background, row + x * 3);
    out.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), row + margin * 3);
  }
  labels.forEach((label, r) => {
    const y0 = top + r * rowHeight + Math.ceil((rowHeight - GLYPH_H * scale) / 2);
    Array.from(label).forEach((ch, i) => {
      const glyph = glyphOf(ch);
      if (glyph === undefined) return;
      const x0 = padding + i * ADVANCE * scale;
      for (let gy = 0; gy < GLYPH_H * scale; gy++) {
        const bits = glyph[Math.floor(gy / scale)];
        for (let gx = 0; gx < GLYPH_W * scale; gx++) {
          if ((bits >> (GLYPH_W - 1 - Math.floor(gx / scale))) & 1) {
            out.set(foreground, ((y0 + gy) * outWidth + x0 + gx) * 3);
          }
        }
      }
    });
  });
  return { rgb: out, width: outWidth, height };
};

/**
 * Encodes a sequence of `size x size x 3` RGB frames as a looping animated GIF, each frame
 * scaled up `scale` times (nearest neighbour) and shown `delayMs`.
 *
 * @example
 * ```ts
 * import { encodeGif } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const gif = encodeGif([new Uint8Array(4 * 4 * 3), new Uint8Array(4 * 4 * 3).fill(200)], 4);
 * strictEqual(new TextDecoder().decode(gif.subarray(0, 6)), "GIF89a");
 * ```
 */
export const encodeGif = (
  frames: readonly Uint8Array[],
  size: number,
  scale = 4,
  delayMs = 125,
): Uint8Array => {
  const big = size * scale;
  const gif = GIFEncoder();
  for (const f of frames) {
    const rgba = new Uint8Array(big * big * 4);
    for (let y = 0; y < big; y++) {
      for (let x = 0; x < big; x++) {
        const s = (Math.floor(y / scale) * size + Math.floor(x / scale)) * 3;
        const d = (y * big + x) * 4;
        rgba[d] = f[s];
        rgba[d + 1] = f[s + 1];
        rgba[d + 2] = f[s + 2];
        rgba[d + 3] = 255;
      }
    }
    const palette = quantize(rgba, 256);
    gif.writeFrame(applyPalette(rgba, palette), big, big, { palette, delay: delayMs });
  }
  gif.finish();
  return gif.bytes();
};

/**
 * Writes a preview of the first `count` examples of a split into `dir`: `grid.png` (one row per
 * example, one column per frame) and `<split>-<index>.gif` per example. Resolves to the paths.
 *
 * @example
 * ```ts
 * import { datasetSpec, generator } from "@hamiltonian/hgn/data";
 * import { writePreview } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const files = await writePreview(dir, generator(datasetSpec({ system: "two-body", steps: 3 })), "train", 2);
 * strictEqual(files.length, 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const writePreview = async (
  dir: string,
  gen: Generator,
  split: Split,
  count: number,
): Promise<string[]> => {
  const { frames, render } = gen.spec;
  const size = render.size;
  const frameBytes = size * size * 3;
  const rows: Uint8Array[][] = [];
  const written: string[] = [];
  for (let i = 0; i < count; i++) {
    const px = gen.example(split, i).pixels;
    const seq = Array.from(
      { length: frames },
      (_, t) => px.subarray(t * frameBytes, (t + 1) * frameBytes),
    );
    rows.push(seq);
    const gifPath = join(dir, `${split}-${String(i).padStart(5, "0")}.gif`);
    await writeFileAtomic(
      gifPath,
      encodeGif(seq, size, Math.max(1, Math.round(128 / size)), Math.round(gen.spec.dt * 1000)),
    );
    written.push(gifPath);
  }
  const grid = tileFrames(rows.flat(), count, frames, size);
  const pngPath = join(dir, "grid.png");
  await writeFileAtomic(pngPath, encodePng(grid.rgb, grid.width, grid.height));
  return [pngPath, ...written];
};

/**
 * A heatmap of a `width x height` grid of values (row 0 at the top), scaled to [min, max] of the
 * finite values through a perceptual dark-blue-to-yellow ramp (non-finite values drawn black),
 * each cell `scale x scale` pixels.
 *
 * @example
 * ```ts
 * import { heatmap } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const img = heatmap(Float64Array.of(0, 1, 2, 3), 2, 2, 3);
 * strictEqual(img.width, 6);
 * strictEqual(img.rgb.length, 6 * 6 * 3);
 * ```
 */
export const heatmap = (
  values: ArrayLike<number>,
  width: number,
  height: number,
  scale = 1,
): RgbImage => {
  if (values.length !== width * height) {
    throw new RangeError(`heatmap: ${values.length} values for a ${width}x${height} grid`);
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  const stops = [
    [13, 8, 135],
    [84, 2, 163],
    [139, 10, 165],
    [185, 50, 137],
    [219, 92, 104],
    [
      244,
      136,
      73,
    ],
    [254, 188, 43],
    [240, 249, 33],
  ];
  const colour = (v: number): number[] => {
    if (!Number.isFinite(v)) return [0, 0, 0];
    const t = hi > lo ? (v - lo) / (hi - lo) : 0;
    const x = t * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(x));
    const f = x - k;
    return stops[k].map((c, i) => Math.round(c + f * (stops[k + 1][i] - c)));
  };
  const W = width * scale;
  const rgb = new Uint8Array(W * height * scale * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colour(values[y * width + x]);
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) rgb.set(c, ((y * scale + dy) * W + x * scale + dx) * 3);
      }
    }
  }
  return { rgb, width: W, height: height * scale };
};

/**
 * Paths in the plane (each a list of points `[x, y]`) drawn on a dark square of `size` pixels
 * showing `[-extent, extent]^2` (y up): each path a line from light blue to its last point in
 * yellow, for trajectories of samples through a flow.
 *
 * @example
 * ```ts
 * import { drawPaths } from "@hamiltonian/hgn/io";
 * import { ok, strictEqual } from "node:assert/strict";
 * const img = drawPaths([[[-1, -1], [1, 1]]], 2, 32);
 * strictEqual(img.width, 32);
 * ok(img.rgb.some((v) => v > 200));
 * ```
 */
export const drawPaths = (
  paths: readonly (readonly (readonly [number, number])[])[],
  extent: number,
  size: number,
): RgbImage => {
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < rgb.length; i += 3) rgb.set([20, 20, 30], i);
  const px = (x: number, y: number): [number, number] => [
    ((x + extent) / (2 * extent)) * (size - 1),
    ((extent - y) / (2 * extent)) * (size - 1),
  ];
  const plot = (x: number, y: number, c: readonly number[]) => {
    const [a, b] = [Math.round(x), Math.round(y)];
    if (a >= 0 && a < size && b >= 0 && b < size) rgb.set(c, (b * size + a) * 3);
  };
  for (const path of paths) {
    for (let k = 0; k + 1 < path.length; k++) {
      const t = path.length > 2 ? k / (path.length - 2) : 1;
      const c = [Math.round(120 + 120 * t), Math.round(180 + 60 * t), Math.round(255 - 200 * t)];
      const [x0, y0] = px(...path[k]);
      const [x1, y1] = px(...path[k + 1]);
      const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
      for (let j = 0; j <= n; j++) plot(x0 + ((x1 - x0) * j) / n, y0 + ((y1 - y0) * j) / n, c);
    }
  }
  return { rgb, width: size, height: size };
};
