/**
 * Kernel density estimates and density grids for pictures of 2-D densities (the paper's KDE
 * plots: 1000 samples, isotropic Gaussian kernel, bandwidth 0.3).
 *
 * @module
 */

/** A square grid over `[-extent, extent]^2`, `n x n` cell centres, row 0 at the top (largest y). */
export interface Grid2D {
  readonly extent: number;
  readonly n: number;
}

/**
 * The cell centres of a grid as a row-major `[n * n, 2]` array (row 0 at the top).
 *
 * @example
 * ```ts
 * import { gridPoints } from "@hamiltonian/hgn/data";
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(Array.from(gridPoints({ extent: 1, n: 2 })), [-0.5, 0.5, 0.5, 0.5, -0.5, -0.5, 0.5, -0.5]);
 * ```
 */
export const gridPoints = (grid: Grid2D): Float64Array => {
  const { extent, n } = grid;
  const h = (2 * extent) / n;
  const out = new Float64Array(n * n * 2);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      out[2 * (r * n + c)] = -extent + (c + 0.5) * h;
      out[2 * (r * n + c) + 1] = extent - (r + 0.5) * h;
    }
  }
  return out;
};

/**
 * The Gaussian kernel density estimate of 2-D samples (row-major `[m, 2]`) at the grid's cells.
 *
 * @example
 * ```ts
 * import { kde2d } from "@hamiltonian/hgn/data";
 * import { ok } from "node:assert/strict";
 * const d = kde2d(Float64Array.of(0, 0), { extent: 2, n: 4 }, 0.3);
 * ok(d[5] > d[0]); // near the sample, more density than in the corner
 * ```
 */
export const kde2d = (samples: ArrayLike<number>, grid: Grid2D, bandwidth = 0.3): Float64Array => {
  const pts = gridPoints(grid);
  const m = samples.length / 2;
  const out = new Float64Array(grid.n * grid.n);
  const k = 1 / (2 * Math.PI * bandwidth * bandwidth * m);
  const inv = 1 / (2 * bandwidth * bandwidth);
  for (let i = 0; i < out.length; i++) {
    const x = pts[2 * i];
    const y = pts[2 * i + 1];
    let s = 0;
    for (let j = 0; j < m; j++) {
      const dx = x - samples[2 * j];
      const dy = y - samples[2 * j + 1];
      s += Math.exp(-(dx * dx + dy * dy) * inv);
    }
    out[i] = s * k;
  }
  return out;
};
