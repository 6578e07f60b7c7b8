// Pictures: PNG grids decode back to the frames; row labels sit in a margin and leave the strip
// alone; GIFs are GIFs; previews are written.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { pngDecode } from "../../lib/deps/image.ts";
import { datasetSpec, generator } from "@hamiltonian/hgn/data";
import {
  encodeGif,
  encodePng,
  labelMarginWidth,
  labelRows,
  type RgbImage,
  tileFrames,
  writePreview,
} from "@hamiltonian/hgn/io";

Deno.test("image: a PNG decodes to the same RGB bytes", () => {
  const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const png = pngDecode(encodePng(rgb, 5, 3));
  strictEqual(png.width, 5);
  strictEqual(png.channels, 3);
  deepStrictEqual(new Uint8Array(png.data), rgb);
});

Deno.test("image: tiles sit at their grid positions", () => {
  const a = new Uint8Array(2 * 2 * 3).fill(10);
  const b = new Uint8Array(2 * 2 * 3).fill(20);
  const t = tileFrames([a, b], 1, 2, 2, 1);
  strictEqual(t.height, 4);
  const px = (x: number, y: number) => t.rgb[(y * t.width + x) * 3];
  deepStrictEqual([px(0, 0), px(1, 1), px(2, 2), px(3, 1), px(4, 2), px(6, 3)], [
    255,
    10,
    10,
    255,
    20,
    255,
  ]);
});

Deno.test("image: preview writes a grid and one GIF per trajectory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const gen = generator(datasetSpec({ system: "three-body", steps: 5 }));
    const written = await writePreview(dir, gen, "test", 2);
    deepStrictEqual(written.map((f) => f.slice(dir.length + 1)), [
      "grid.png",
      "test-00000.gif",
      "test-00001.gif",
    ]);
    const grid = pngDecode(await Deno.readFile(written[0]));
    strictEqual(grid.width, 6 * 32 + 7);
    strictEqual(grid.height, 2 * 32 + 3);
    const gif = await Deno.readFile(written[1]);
    strictEqual(new TextDecoder().decode(gif.subarray(0, 6)), "GIF89a");
    ok(encodeGif([new Uint8Array(8 * 8 * 3)], 8, 1).length > 20);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// A strip like the rollout picture's: `rows x cols` frames of `size` px, gap 1, dark frames.
const darkStrip = (rows: number, cols: number, size: number): RgbImage =>
  tileFrames(
    Array.from(
      { length: rows * cols },
      (_, k) => Uint8Array.from({ length: size * size * 3 }, (_, i) => (k * 7 + i) % 40),
    ),
    rows,
    cols,
    size,
    1,
  );

const pixel = (im: RgbImage, x: number, y: number) =>
  Array.from(im.rgb.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3));

/** Lit (non-black) pixels of the margin `[0, margin)` between rows `y0` (incl.) and `y1`. */
const litIn = (im: RgbImage, margin: number, y0: number, y1: number) => {
  const lit: [number, number][] = [];
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < margin; x++) if (pixel(im, x, y).some((v) => v !== 0)) lit.push([x, y]);
  }
  return lit;
};

Deno.test("image: labelRows adds a margin that fits the longest label; the strip is shifted, unchanged", () => {
  const strip = darkStrip(3, 2, 8);
  const labels = ["truth", "", "dt x0.5"];
  const out = labelRows(strip, labels, 9, { top: 1 });
  const margin = 2 + (7 * 6 - 1) + 2;
  strictEqual(labelMarginWidth(labels), margin);
  strictEqual(out.width, strip.width + margin);
  strictEqual(out.height, strip.height);
  strictEqual(out.rgb.length, out.width * out.height * 3);
  for (let y = 0; y < strip.height; y++) {
    deepStrictEqual(
      out.rgb.subarray((y * out.width + margin) * 3, (y + 1) * out.width * 3),
      strip.rgb.subarray(y * strip.width * 3, (y + 1) * strip.width * 3),
      `strip row ${y}`,
    );
  }
  // margin pixels are only background (black) or text (white)
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < margin; x++) {
      const [r, g, b] = pixel(out, x, y);
      ok((r === 0 || r === 255) && r === g && g === b, `margin pixel ${x},${y}`);
    }
  }
  strictEqual(strip.rgb[0], 255, "the input is not modified");
});

Deno.test("image: each label is drawn in its own row's margin, vertically centred, and only there", () => {
  const strip = darkStrip(4, 1, 16);
  const labels = ["forward", "", "dt x2", "prior 4"];
  const out = labelRows(strip, labels, 17, { top: 1 });
  const margin = labelMarginWidth(labels);
  deepStrictEqual(litIn(out, margin, 0, 1), [], "nothing above the first row");
  labels.forEach((label, r) => {
    const lit = litIn(out, margin, 1 + 17 * r, 1 + 17 * (r + 1));
    if (label === "") {
      deepStrictEqual(lit, [], `row ${r} has an empty label`);
      return;
    }
    ok(lit.length > 0, `row ${r} has text`);
    // each of these labels uses the full 7-px glyph height: 5 px above and below in a 17-px row
    const ys = lit.map(([, y]) => y - (1 + 17 * r));
    deepStrictEqual([Math.min(...ys), Math.max(...ys)], [5, 11], `row ${r} is centred`);
    const xs = lit.map(([x]) => x);
    ok(
      Math.min(...xs) >= 2 && Math.max(...xs) < 2 + label.length * 6,
      `row ${r} stays in its text box`,
    );
  });
});

Deno.test("image: glyphs are exact, case-insensitive, unknown characters are blanks, bytes are deterministic", () => {
  const strip = darkStrip(1, 1, 8);
  // "-" is a 5-px bar on the glyph's row 3; the 7-px glyph starts at y = 1 + ceil((9 - 7) / 2)
  const dash = labelRows(strip, ["-"], 9, { top: 1 });
  deepStrictEqual(litIn(dash, 9, 0, dash.height), [0, 1, 2, 3, 4].map((i) => [2 + i, 5]));
  const lower = labelRows(strip, ["truth"], 9, { top: 1 });
  deepStrictEqual(labelRows(strip, ["TRUTH"], 9, { top: 1 }), lower);
  deepStrictEqual(labelRows(strip, ["truth"], 9, { top: 1 }), lower);
  deepStrictEqual(labelRows(strip, ["a?b"], 9), labelRows(strip, ["a b"], 9));
  // scale 2 doubles the text box; the dash becomes a 10x2 bar
  const big = labelRows(darkStrip(1, 1, 16), ["-"], 14, { scale: 2 });
  strictEqual(big.width - darkStrip(1, 1, 16).width, 2 + 2 * 5 + 2);
  strictEqual(litIn(big, 14, 0, big.height).length, 10 * 2);
  // no labels: a plain copy
  deepStrictEqual(labelRows(strip, [""], 9), { ...strip, rgb: strip.rgb.slice() });
});

Deno.test("image: the rollout strip's labels all fit 32-px frames and encode as a PNG", () => {
  const labels = [
    "truth",
    "forward",
    "backward",
    "dt x2",
    "dt x0.5",
    "prior 1",
    "prior 2",
    "prior 3",
    "prior 4",
  ];
  const strip = darkStrip(labels.length, 3, 32);
  const out = labelRows(strip, labels, 33, { top: 1 });
  strictEqual(out.width, strip.width + 2 + 8 * 6 - 1 + 2);
  labels.forEach((_, r) => ok(litIn(out, 51, 1 + 33 * r, 1 + 33 * (r + 1)).length > 0, `row ${r}`));
  deepStrictEqual(
    new Uint8Array(pngDecode(encodePng(out.rgb, out.width, out.height)).data),
    out.rgb,
  );
});

Deno.test("image: labelRows rejects rows that do not fit and bad sizes", () => {
  const strip = darkStrip(2, 1, 8);
  throws(() => labelRows(strip, ["a", "b", "c"], 9, { top: 1 }), RangeError);
  throws(() => labelRows(strip, ["a"], 6), /row height must be an integer >= 7/);
  throws(() => labelRows(strip, ["a"], 9, { scale: 0 }), RangeError);
  throws(() => labelRows({ ...strip, width: strip.width + 1 }, ["a"], 9), /bytes for a/);
});
