/**
 * Pictures of datasets: PNG grids of frames and animated GIFs of trajectories.
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
