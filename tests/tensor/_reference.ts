// Float64 reference kernels shared by the tensor tests (plain loops, no tfjs).
type Shape = number[];

export interface ConvGeom {
  b: number;
  h: number;
  w: number;
  ci: number;
  kh: number;
  kw: number;
  co: number;
  s: number;
  oh: number;
  ow: number;
  top: number;
  left: number;
}
export const geom = (x: Shape, f: Shape, s: number, pad: "same" | "valid"): ConvGeom => {
  const [b, h, w, ci] = x;
  const [kh, kw, , co] = f;
  const oh = pad === "same" ? Math.ceil(h / s) : Math.ceil((h - kh + 1) / s);
  const ow = pad === "same" ? Math.ceil(w / s) : Math.ceil((w - kw + 1) / s);
  const top = pad === "same" ? Math.floor(Math.max((oh - 1) * s + kh - h, 0) / 2) : 0;
  const left = pad === "same" ? Math.floor(Math.max((ow - 1) * s + kw - w, 0) / 2) : 0;
  return { b, h, w, ci, kh, kw, co, s, oh, ow, top, left };
};
/** calls `visit(xIndex, fIndex, yIndex)` for every multiply-add of conv2d */
export const convLoop = (
  g: ConvGeom,
  visit: (xi: number, fi: number, yi: number) => void,
): void => {
  for (let b = 0; b < g.b; b++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        for (let kh = 0; kh < g.kh; kh++) {
          const ih = oh * g.s + kh - g.top;
          if (ih < 0 || ih >= g.h) continue;
          for (let kw = 0; kw < g.kw; kw++) {
            const iw = ow * g.s + kw - g.left;
            if (iw < 0 || iw >= g.w) continue;
            for (let ci = 0; ci < g.ci; ci++) {
              for (let co = 0; co < g.co; co++) {
                visit(
                  ((b * g.h + ih) * g.w + iw) * g.ci + ci,
                  ((kh * g.kw + kw) * g.ci + ci) * g.co + co,
                  ((b * g.oh + oh) * g.ow + ow) * g.co + co,
                );
              }
            }
          }
        }
      }
    }
  }
};
export const conv = (g: ConvGeom, x: Float64Array, f: Float64Array): Float64Array => {
  const y = new Float64Array(g.b * g.oh * g.ow * g.co);
  convLoop(g, (xi, fi, yi) => (y[yi] += x[xi] * f[fi]));
  return y;
};
export const convInput = (g: ConvGeom, dy: Float64Array, f: Float64Array): Float64Array => {
  const dx = new Float64Array(g.b * g.h * g.w * g.ci);
  convLoop(g, (xi, fi, yi) => (dx[xi] += dy[yi] * f[fi]));
  return dx;
};
export const convFilter = (g: ConvGeom, x: Float64Array, dy: Float64Array): Float64Array => {
  const df = new Float64Array(g.kh * g.kw * g.ci * g.co);
  convLoop(g, (xi, fi, yi) => (df[fi] += x[xi] * dy[yi]));
  return df;
};
