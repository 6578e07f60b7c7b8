/**
 * Every model family of the library, one row each: its record under the export name that the
 * record's `origin` gives. A gradient worker imports a record from its origin; a bundled worker,
 * which cannot import by URL, serves this registry (`serveGradients(MODEL_RECORDS)`). A new family
 * is its folder under `lib/models/` plus its row here.
 *
 * @module
 */
import { hgn } from "./hgn/model.ts";
import { hnn } from "./hnn/model.ts";
import { nhf } from "./nhf/model.ts";
import { pixelHnn } from "./pixel_hnn/model.ts";
import { realNvp } from "./realnvp/model.ts";

/** The library's model records, by the export name in each one's `origin`. */
export const MODEL_RECORDS: {
  readonly hgn: typeof hgn;
  readonly hnn: typeof hnn;
  readonly nhf: typeof nhf;
  readonly pixelHnn: typeof pixelHnn;
  readonly realNvp: typeof realNvp;
} = { hgn, hnn, nhf, pixelHnn, realNvp };
