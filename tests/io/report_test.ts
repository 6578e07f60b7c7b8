// The run report: charts and the page escape every text they are given (names come from configs
// and paths), plot what is finite and say when there is nothing to plot.
import { ok, strictEqual } from "node:assert/strict";
import { lineChart, reportHtml } from "@hamiltonian/hgn/io";

const polylines = (svg: string): number[][][] =>
  [...svg.matchAll(/points="([^"]*)"/g)].map((m) =>
    m[1].split(" ").filter((p) => p !== "").map((p) => p.split(",").map(Number))
  );

Deno.test("report: a chart draws one polyline per series, every point inside the plot box", () => {
  const svg = lineChart("mse", [
    { name: "train", points: [[0, 3], [5, 1], [10, 2]] },
    { name: "test", points: [[0, 4], [10, 0.5]] },
  ]);
  const lines = polylines(svg);
  strictEqual(lines.length, 2);
  strictEqual(lines[0].length, 3);
  strictEqual(lines[1].length, 2);
  for (const [x, y] of lines.flat()) {
    ok(x >= 60 && x <= 510 && y >= 24 && y <= 224, `(${x}, ${y}) outside the box`);
  }
  // the extremes of the data sit on the box's edges
  const xs = lines.flat().map((p) => p[0]);
  const ys = lines.flat().map((p) => p[1]);
  strictEqual(Math.min(...xs), 60);
  strictEqual(Math.max(...xs), 510);
  strictEqual(Math.min(...ys), 24);
  strictEqual(Math.max(...ys), 224);
});

Deno.test("report: a log chart drops values it cannot plot; no data says so", () => {
  const svg = lineChart("loss", [{
    name: "a",
    points: [[0, 1], [1, 0], [2, -1], [3, NaN], [4, 10]],
  }], {
    log: true,
  });
  strictEqual(polylines(svg)[0].length, 2);
  ok(svg.includes("1e1.0") && svg.includes("1e0.0"), "log ticks");
  ok(
    lineChart("empty", [{ name: "a", points: [[0, 0]] }], { log: true }).includes("empty: no data"),
  );
  ok(lineChart("none", []).includes("none: no data"));
  // one point (or a flat series) is drawn, not divided by zero
  const one = polylines(lineChart("one", [{ name: "a", points: [[2, 5]] }]));
  ok(one[0][0].every(Number.isFinite));
});

Deno.test("report: titles, names, summary and captions are escaped", () => {
  const evil = `<script>alert("x")</script>&`;
  const svg = lineChart(evil, [{ name: evil, points: [[0, 1], [1, 2]] }], { xLabel: evil });
  ok(!svg.includes("<script>"));
  strictEqual(svg.split("&#60;script&#62;").length - 1, 3);
  const html = reportHtml({
    title: evil,
    summary: [[evil, evil]],
    charts: [svg],
    images: [[`a".gif`, evil]],
  });
  ok(!html.includes("<script>"));
  ok(html.includes(`src="a&#34;.gif"`));
  ok(html.includes(svg), "charts are embedded as given");
  ok(html.startsWith("<!doctype html>") && html.trimEnd().endsWith("</html>"));
});
