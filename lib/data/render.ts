/**
 * Rendering states to RGB frames: each body a smooth-edged disc on a grey background.
 *
 * @module
 */

/** Settings of the renderer; every field has the paper's (reference code's) default. */
export interface RenderConfig {
  /** image side in pixels, `size x size` (default 32; the paper's section 4 uses 64) */
  readonly size?: number;
  /** disc radius as a fraction of the image side (default 0.08) */
  readonly radius?: number;
  /**
   * steepness of the logistic edge per unit of image side: the mask is
   * `1 / (1 + exp(sharpness (d - radius)))`, `d` the distance to the centre in image sides
   * (default 80, the reference code's unit canvas); cut to exactly 0 beyond
   * `d > radius + 10 / sharpness`, where it is below 5e-5
   */
  readonly sharpness?: number;
  /** RGB background in [0, 1] (default the reference code's `(0.321, 0.349, 0.368)`) */
  readonly background?: readonly [number, number, number];
}

/** A {@link RenderConfig} with every default filled in. */
export type ResolvedRenderConfig = Required<RenderConfig>;

/**
 * The renderer's defaults.
 *
 * @example
 * ```ts
 * import { RENDER_DEFAULTS } from "@hamiltonian/hgn/data";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(RENDER_DEFAULTS.size, 32);
 * ```
 */
export const RENDER_DEFAULTS: ResolvedRenderConfig = {
  size: 32,
  radius: 0.08,
  sharpness: 80,
  background: [0.321, 0.349, 0.368],
};

/**
 * `n` colours, one per body: hues evenly spaced from red, saturation 0.9, value 0.95 (HSV).
 *
 * @example
 * ```ts
 * import { bodyColours } from "@hamiltonian/hgn/data";
 * import { ok } from "node:assert/strict";
 * const [r, g, b] = bodyColours(1)[0]; // red: (0.95, 0.095, 0.095)
 * ok(Math.abs(r - 0.95) < 1e-12 && Math.abs(g - 0.095) < 1e-12 && g === b);
 * ```
 */
export const bodyColours = (n: number): [number, number, number][] =>
  Array.from({ length: n }, (_, i) => {
    const h = (6 * i) / n;
    const s = 0.9;
    const v = 0.95;
    const f = (k: number) => {
      const x = (k + h) % 6;
      return v - v * s * Math.max(0, Math.min(x, 4 - x, 1));
    };
    return [f(5), f(3), f(1)];
  });

/**
 * Where a point `(x, y)` of a scene of half-width `extent` lands in the image, in pixel
 * coordinates (column, row; pixel `(c, r)` covers `[c, c + 1) x [r, r + 1)`): the scene's
 * centre is the image centre, `y` points up.
 *
 * @example
 * ```ts
 * import { toPixel } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(toPixel(0, 0, 1, 32), [16, 16]);
 * deepStrictEqual(toPixel(1, 1, 1, 32), [32, 0]);
 * ```
 */
export const toPixel = (x: number, y: number, extent: number, size: number): [number, number] => [
  (0.5 + x / (2 * extent)) * size,
  (0.5 - y / (2 * extent)) * size,
];

/**
 * Renders one frame: bodies at `positions` (`[x0, y0, x1, y1, ...]`, scene units, scene
 * half-width `extent`) as discs composited in order over the background, written as
 * `size x size x 3` uint8 RGB (row-major) into `out` at `offset`. The value of a channel is
 * `round(255 c)` of the composited colour `c`. Pure arithmetic: the same input gives the same
 * bytes on every machine running the same JavaScript engine.
 *
 * @example
 * ```ts
 * import { bodyColours, renderFrame, RENDER_DEFAULTS } from "@hamiltonian/hgn/data";
 * import { ok, strictEqual } from "node:assert/strict";
 * const img = new Uint8Array(32 * 32 * 3);
 * renderFrame(Float64Array.of(0, 0), 1, bodyColours(1), RENDER_DEFAULTS, img, 0);
 * strictEqual(img[0], Math.round(255 * 0.321)); // a corner shows the background
 * ok(img[(16 * 32 + 16) * 3] > 235); // the centre the body's red
 * ```
 */
export const renderFrame = (
  positions: Float64Array,
  extent: number,
  colours: readonly (readonly [number, number, number])[],
  config: ResolvedRenderConfig,
  out: Uint8Array,
  offset: number,
): void => {
  const { size, radius, sharpness, background } = config;
  const bg0 = Math.round(255 * background[0]);
  const bg1 = Math.round(255 * background[1]);
  const bg2 = Math.round(255 * background[2]);
  const n = size * size;
  for (let i = 0; i < n; i++) {
    out[offset + 3 * i] = bg0;
    out[offset + 3 * i + 1] = bg1;
    out[offset + 3 * i + 2] = bg2;
  }
  const cut = radius + 10 / sharpness;
  const bodies = positions.length / 2;
  const cx = new Float64Array(bodies);
  const cy = new Float64Array(bodies);
  for (let b = 0; b < bodies; b++) {
    cx[b] = 0.5 + positions[2 * b] / (2 * extent);
    cy[b] = 0.5 - positions[2 * b + 1] / (2 * extent);
  }
  // Only pixels near a body differ from the background; each is composited from scratch over
  // every body in order, so overlapping boxes give the same bytes as a full-canvas pass.
  for (let b = 0; b < bodies; b++) {
    const c0 = Math.max(0, Math.floor((cx[b] - cut) * size));
    const c1 = Math.min(size - 1, Math.ceil((cx[b] + cut) * size));
    const r0 = Math.max(0, Math.floor((cy[b] - cut) * size));
    const r1 = Math.min(size - 1, Math.ceil((cy[b] + cut) * size));
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        let r = background[0];
        let g = background[1];
        let bl = background[2];
        let touched = false;
        for (let k = 0; k < bodies; k++) {
          const u = (col + 0.5) / size - cx[k];
          const v = (row + 0.5) / size - cy[k];
          const d = Math.sqrt(u * u + v * v);
          if (d > cut) continue;
          const m = 1 / (1 + Math.exp(sharpness * (d - radius)));
          const [cr, cg, cb] = colours[k % colours.length];
          r += m * (cr - r);
          g += m * (cg - g);
          bl += m * (cb - bl);
          touched = true;
        }
        if (!touched) continue;
        const at = offset + 3 * (row * size + col);
        out[at] = Math.round(255 * r);
        out[at + 1] = Math.round(255 * g);
        out[at + 2] = Math.round(255 * bl);
      }
    }
  }
};
