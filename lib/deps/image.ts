/**
 * The only door to the image encoders: fast-png (PNG) and gifenc (animated GIF), with full
 * pinned `npm:` specifiers. gifenc is used through its default import.
 *
 * ```ts
 * import { encodePng } from "@hamiltonian/hgn/io";
 * import { ok } from "node:assert/strict";
 * ok(encodePng(new Uint8Array(4 * 4 * 3), 4, 4).length > 8);
 * ```
 * @module
 */
import gifenc from "npm:gifenc@1.0.3";

export { decode as pngDecode, encode as pngEncode } from "npm:fast-png@8.0.0";
/** gifenc's encoder, palette quantizer and palette mapper. */
export const { GIFEncoder, quantize, applyPalette } = gifenc;
