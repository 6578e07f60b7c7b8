// The KDE pictures' numbers: grid cells are the centres of an n x n partition of the square, row 0
// at the top; the estimate is a probability density (mass 1 over a grid that holds the samples'
// kernels, to the midpoint rule's error) and equals the Gaussian mixture written out by hand.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { gridPoints, kde2d } from "../../lib/data/kde.ts";

Deno.test("gridPoints: n x n cell centres of [-extent, extent]^2, row-major, top row first", () => {
  const n = 5, extent = 2.5;
  const pts = gridPoints({ extent, n });
  strictEqual(pts.length, 2 * n * n);
  const h = (2 * extent) / n;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const [x, y] = [pts[2 * (r * n + c)], pts[2 * (r * n + c) + 1]];
      ok(
        Math.abs(x - (-extent + h / 2 + c * h)) < 1e-12 &&
          Math.abs(y - (extent - h / 2 - r * h)) < 1e-12,
      );
    }
  }
  deepStrictEqual([pts[0], pts[1]], [-2, 2]); // the top-left cell's centre
});

Deno.test("kde2d: the Gaussian mixture at each cell, by hand", () => {
  const samples = Float64Array.of(0.3, -0.2, -1, 0.5, 0.9, 0.9);
  const grid = { extent: 2, n: 7 }, b = 0.4;
  const d = kde2d(samples, grid, b);
  const pts = gridPoints(grid);
  for (let i = 0; i < grid.n * grid.n; i++) {
    let sum = 0;
    for (let j = 0; j < 3; j++) {
      const r2 = (pts[2 * i] - samples[2 * j]) ** 2 + (pts[2 * i + 1] - samples[2 * j + 1]) ** 2;
      sum += Math.exp(-r2 / (2 * b * b)) / (2 * Math.PI * b * b);
    }
    ok(Math.abs(d[i] - sum / 3) <= 1e-15 * Math.max(1, sum), `cell ${i}`);
  }
});

Deno.test("kde2d: a density, its mass 1 over a grid holding every kernel", () => {
  let seed = 3;
  const u = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const samples = Float64Array.from({ length: 200 }, () => 2 * u() - 1);
  const grid = { extent: 4, n: 160 };
  const cell = ((2 * grid.extent) / grid.n) ** 2;
  const mass = kde2d(samples, grid, 0.3).reduce((s, v) => s + v, 0) * cell;
  ok(Math.abs(mass - 1) < 1e-6, `mass ${mass}`);
  // a wider kernel spreads the same mass: lower peak
  const peak = (b: number) => Math.max(...kde2d(samples, grid, b));
  ok(peak(0.6) < peak(0.3));
});
