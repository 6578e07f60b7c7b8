// Pictures: PNG grids decode back to the frames; GIFs are GIFs; previews are written.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { pngDecode } from "../../lib/deps/image.ts";
import { datasetSpec, generator } from "@hamiltonian/hgn/data";
import { encodeGif, encodePng, tileFrames, writePreview } from "@hamiltonian/hgn/io";

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
