// Rendering: discs where the states say (centroids), smooth edges, background, determinism.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { random } from "@hamiltonian/hgn/core";
import {
  bodyColours,
  datasetSpec,
  generator,
  RENDER_DEFAULTS,
  renderFrame,
  toPixel,
} from "@hamiltonian/hgn/data";

const BG = RENDER_DEFAULTS.background.map((c) => Math.round(255 * c));

/** Intensity-weighted centroid (column, row) of |pixel - background| within a window. */
const centroid = (
  img: Uint8Array,
  size: number,
  offset: number,
  cx: number,
  cy: number,
  win: number,
) => {
  let w = 0, sx = 0, sy = 0;
  for (let r = Math.max(0, Math.floor(cy - win)); r < Math.min(size, Math.ceil(cy + win)); r++) {
    for (let c = Math.max(0, Math.floor(cx - win)); c < Math.min(size, Math.ceil(cx + win)); c++) {
      const k = offset + 3 * (r * size + c);
      const d = Math.abs(img[k] - BG[0]) + Math.abs(img[k + 1] - BG[1]) +
        Math.abs(img[k + 2] - BG[2]);
      w += d;
      sx += d * (c + 0.5);
      sy += d * (r + 0.5);
    }
  }
  return [sx / w, sy / w];
};

Deno.test("render: a disc's centroid is where the position says (32 and 64 px, many positions)", () => {
  const rng = random(5);
  for (const size of [32, 64]) {
    const config = { ...RENDER_DEFAULTS, size };
    let worst = 0;
    for (let trial = 0; trial < 200; trial++) {
      const x = rng.uniform(-0.8, 0.8);
      const y = rng.uniform(-0.8, 0.8);
      const img = new Uint8Array(size * size * 3);
      renderFrame(Float64Array.of(x, y), 1, bodyColours(1), config, img, 0);
      const [px, py] = toPixel(x, y, 1, size);
      const [cx, cy] = centroid(img, size, 0, px, py, 0.25 * size);
      worst = Math.max(worst, Math.hypot(cx - px, cy - py));
    }
    ok(worst < 0.1, `${size} px: centroid off by ${worst} px`);
  }
});

Deno.test("render: several bodies each land where their positions say, in their own colours", () => {
  const size = 64;
  const config = { ...RENDER_DEFAULTS, size };
  const pos = Float64Array.of(-0.5, 0.4, 0.5, 0.3, 0, -0.5);
  const colours = bodyColours(3);
  const img = new Uint8Array(size * size * 3);
  renderFrame(pos, 1, colours, config, img, 0);
  for (let b = 0; b < 3; b++) {
    const [px, py] = toPixel(pos[2 * b], pos[2 * b + 1], 1, size);
    const [cx, cy] = centroid(img, size, 0, px, py, 0.2 * size);
    ok(Math.hypot(cx - px, cy - py) < 0.1, `body ${b}`);
    const k = 3 * (Math.floor(py) * size + Math.floor(px));
    const want = colours[b].map((c) => Math.round(255 * c));
    ok(
      want.every((c, i) => Math.abs(img[k + i] - c) <= 3),
      `body ${b} colour ${[...img.subarray(k, k + 3)]} vs ${want}`,
    );
  }
});

Deno.test("render: edges are smooth (intermediate values), the rest is the background", () => {
  const size = 64;
  const img = new Uint8Array(size * size * 3);
  renderFrame(Float64Array.of(0.1, -0.2), 1, bodyColours(1), { ...RENDER_DEFAULTS, size }, img, 0);
  const red = Math.round(255 * 0.95);
  let between = 0, background = 0;
  for (let i = 0; i < size * size; i++) {
    const v = img[3 * i];
    if (v > BG[0] + 2 && v < red - 2) between++;
    if (img[3 * i] === BG[0] && img[3 * i + 1] === BG[1] && img[3 * i + 2] === BG[2]) background++;
  }
  ok(between >= 8, `only ${between} edge pixels`);
  ok(background > size * size * 0.9);
});

Deno.test("render: the generator draws the observed states of single-body systems", () => {
  for (const system of ["mass-spring", "pendulum"]) {
    const spec = datasetSpec({ system, size: 64, steps: 10 });
    const gen = generator(spec);
    let checked = 0;
    for (let i = 0; i < 10; i++) {
      const ex = gen.example("train", i);
      for (let t = 0; t < spec.frames; t++) {
        const q = ex.observed.subarray(t * 2 * spec.dim, t * 2 * spec.dim + spec.dim);
        const [x, y] = gen.system.positions(q);
        const [px, py] = toPixel(x, y, spec.extent, 64);
        if (px < 8 || px > 56 || py < 8 || py > 56) continue; // disc partly out of frame
        const [cx, cy] = centroid(ex.pixels, 64, t * 64 * 64 * 3, px, py, 8);
        ok(Math.hypot(cx - px, cy - py) < 0.1, `${system} example ${i} frame ${t}`);
        checked++;
      }
    }
    ok(checked > 20, `${system}: only ${checked} frames checked`);
  }
});

/** The plain full-canvas renderer the fast one must match byte for byte. */
const reference = (
  positions: Float64Array,
  extent: number,
  colours: readonly (readonly [number, number, number])[],
  size: number,
): Uint8Array => {
  const { radius, sharpness, background } = RENDER_DEFAULTS;
  const cut = radius + 10 / sharpness;
  const out = new Uint8Array(size * size * 3);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const c = [...background];
      for (let b = 0; b < positions.length / 2; b++) {
        const u = (col + 0.5) / size - (0.5 + positions[2 * b] / (2 * extent));
        const v = (row + 0.5) / size - (0.5 - positions[2 * b + 1] / (2 * extent));
        const d = Math.sqrt(u * u + v * v);
        if (d > cut) continue;
        const m = 1 / (1 + Math.exp(sharpness * (d - radius)));
        for (let ch = 0; ch < 3; ch++) c[ch] += m * (colours[b][ch] - c[ch]);
      }
      for (let ch = 0; ch < 3; ch++) out[3 * (row * size + col) + ch] = Math.round(255 * c[ch]);
    }
  }
  return out;
};

Deno.test("render: the windowed renderer equals a full-canvas pass, overlapping discs included", () => {
  const rng = random(8);
  for (let trial = 0; trial < 100; trial++) {
    const size = trial % 2 ? 32 : 64;
    const bodies = 1 + (trial % 3);
    // every other trial squeezes the bodies together so their discs overlap
    const spread = trial % 4 < 2 ? 0.15 : 1.2;
    const pos = Float64Array.from({ length: 2 * bodies }, () => rng.uniform(-spread, spread));
    const img = new Uint8Array(size * size * 3 + 5);
    renderFrame(pos, 1.3, bodyColours(bodies), { ...RENDER_DEFAULTS, size }, img, 5);
    deepStrictEqual(
      img.subarray(5),
      reference(pos, 1.3, bodyColours(bodies), size),
      `trial ${trial}`,
    );
  }
});

Deno.test("render: the same state gives the same bytes", () => {
  const a = new Uint8Array(32 * 32 * 3);
  const b = new Uint8Array(32 * 32 * 3);
  const pos = Float64Array.of(0.123456789, -0.3, 0.2, 0.2);
  renderFrame(pos, 1.2, bodyColours(2), RENDER_DEFAULTS, a, 0);
  renderFrame(pos, 1.2, bodyColours(2), RENDER_DEFAULTS, b, 0);
  deepStrictEqual(a, b);
  strictEqual(bodyColours(3).length, 3);
});
