/**
 * A self-contained HTML report of a run: loss curves, the per-step MSE of the evaluation and the
 * rollout GIFs, with inline SVG charts (no scripts, no network).
 *
 * @module
 */

/** One series of a chart. */
export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * An SVG line chart of the series; `log` plots log10 of the values (non-positive values dropped).
 *
 * @example
 * ```ts
 * import { lineChart } from "@hamiltonian/hgn/io";
 * import { ok } from "node:assert/strict";
 * ok(lineChart("mse", [{ name: "train", points: [[1, 0.1], [2, 0.05]] }], { log: true }).startsWith("<svg"));
 * ```
 */
export const lineChart = (
  title: string,
  series: readonly Series[],
  options: { readonly log?: boolean; readonly xLabel?: string } = {},
): string => {
  const W = 520, H = 260, L = 60, R = 10, T = 24, B = 36;
  const f = (y: number) => (options.log ? Math.log10(y) : y);
  const pts = series.map((s) =>
    s.points.filter(([, y]) => Number.isFinite(f(y))).map(([x, y]) => [x, f(y)])
  );
  const all = pts.flat();
  if (all.length === 0) {
    return `<svg width="${W}" height="${H}"><text x="10" y="20">${
      esc(title)
    }: no data</text></svg>`;
  }
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const sx = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - y0) / (y1 - y0 || 1)) * (H - T - B);
  const tick = (y: number) => (options.log ? `1e${y.toFixed(1)}` : y.toPrecision(3));
  const lines = pts.map((p, i) =>
    `<polyline fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.5" points="${
      p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ")
    }"/>`
  );
  const legend = series.map((s, i) =>
    `<text x="${L + 8 + i * 110}" y="${T + 14}" fill="${
      COLOURS[i % COLOURS.length]
    }" font-size="12">${esc(s.name)}</text>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="${L}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>
<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>
<text x="4" y="${T + 10}" font-size="11">${tick(y1)}</text><text x="4" y="${
    H - B
  }" font-size="11">${tick(y0)}</text>
<text x="${L}" y="${H - B + 16}" font-size="11">${x0}</text><text x="${W - R - 40}" y="${
    H - B + 16
  }" font-size="11">${x1}</text>
<text x="${W / 2}" y="${H - 6}" font-size="11">${esc(options.xLabel ?? "step")}</text>
${lines.join("\n")}
${legend.join("\n")}
</svg>`;
};

/** What the run report shows. */
export interface ReportContent {
  readonly title: string;
  /** a short key-value summary (config, backend, wall time, results) */
  readonly summary: readonly (readonly [string, string])[];
  readonly charts: readonly string[];
  /** image paths relative to the report, with captions */
  readonly images: readonly (readonly [string, string])[];
}

/**
 * The report page.
 *
 * @example
 * ```ts
 * import { reportHtml } from "@hamiltonian/hgn/io";
 * import { ok } from "node:assert/strict";
 * ok(reportHtml({ title: "run", summary: [["steps", "10"]], charts: [], images: [] }).includes("<td>10</td>"));
 * ```
 */
export const reportHtml = (c: ReportContent): string =>
  `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(c.title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1100px}td{padding:2px 10px}
.charts,.images{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}img{image-rendering:pixelated;border:1px solid #ccc}</style>
</head><body><h1>${esc(c.title)}</h1>
<table>${
    c.summary.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")
  }</table>
<div class="charts">${c.charts.join("\n")}</div>
<div class="images">${
    c.images.map(([src, cap]) =>
      `<figure><img src="${esc(src)}" alt="${esc(cap)}"><figcaption>${
        esc(cap)
      }</figcaption></figure>`
    )
      .join("\n")
  }</div>
</body></html>
`;
