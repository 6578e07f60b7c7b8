// Shared helpers of the tensor tests: float64 finite differences, seeded data and comparisons.
import { random } from "../../lib/core/random.ts";
import { type BackendName, useBackend } from "../../lib/tensor/backend.ts";
import { tf } from "../../lib/deps/tf.ts";

/** A float64 function of several flat inputs. */
export type Ref = (...xs: Float64Array[]) => number;

/** Backends the tests run on: cpu and wasm always; webgpu only with HGN_TEST_WEBGPU=1. */
export const testBackends: { name: BackendName; ignore: boolean }[] = [
  { name: "cpu", ignore: false },
  { name: "wasm", ignore: false },
  { name: "webgpu", ignore: Deno.env.get("HGN_TEST_WEBGPU") !== "1" },
];

export const onBackend = async (name: BackendName): Promise<void> => {
  await useBackend(name);
};

/** Seeded values, rounded to float32 so tensors and the float64 reference see the same point. */
export const values = (
  seed: number,
  n: number,
  gen: (u: () => number) => number = (u) => 2 * u() - 1,
): Float64Array => {
  const r = random(seed);
  return Float64Array.from({ length: n }, () => Math.fround(gen(() => r.uniform())));
};

const shift = (xs: Float64Array[], parts: [number, number, number][]): Float64Array[] => {
  const out = xs.map((x) => x.slice());
  for (const [k, i, d] of parts) out[k][i] += d;
  return out;
};

/** Central finite-difference gradient of `f` at `xs` (one array per input). */
export const fdGradient = (f: Ref, xs: Float64Array[], h = 1e-4): Float64Array[] =>
  xs.map((x, k) =>
    Float64Array.from(
      x,
      (_, i) => (f(...shift(xs, [[k, i, h]])) - f(...shift(xs, [[k, i, -h]]))) / (2 * h),
    )
  );

/**
 * Hessian-vector product by finite differences: component i is the mixed central difference
 * `(f(x+h e_i+h v) - f(x+h e_i-h v) - f(x-h e_i+h v) + f(x-h e_i-h v)) / (4 h^2)`.
 */
export const fdHvp = (f: Ref, xs: Float64Array[], v: Float64Array[], h = 1e-3): Float64Array[] => {
  const along = (s: number): Float64Array[] =>
    xs.map((x, k) => x.map((xi, i) => xi + s * h * v[k][i]));
  const plus = along(1);
  const minus = along(-1);
  return xs.map((x, k) =>
    Float64Array.from(x, (_, i) => {
      const a = f(...shift(plus, [[k, i, h]])) - f(...shift(minus, [[k, i, h]]));
      const b = f(...shift(plus, [[k, i, -h]])) - f(...shift(minus, [[k, i, -h]]));
      return (a - b) / (4 * h * h);
    })
  );
};

/** max |a - r| over max |r|, the relative error used by every tensor test. */
export const relErr = (a: ArrayLike<number>[], r: ArrayLike<number>[]): number => {
  let d = 0;
  let m = 0;
  a.forEach((ak, k) => {
    for (let i = 0; i < ak.length; i++) {
      d = Math.max(d, Math.abs(ak[i] - r[k][i]));
      if (Number.isNaN(ak[i])) d = Infinity;
      m = Math.max(m, Math.abs(r[k][i]));
    }
  });
  return d / Math.max(m, 1e-6);
};

/** Reads tensors with `await data()` (works on webgpu, where `dataSync` does not). */
export const read = async (ts: tf.Tensor[]): Promise<Float64Array[]> =>
  await Promise.all(ts.map(async (t) => Float64Array.from(await t.data())));

/** The multi-index of flat position `i` in a row-major array of `shape`. */
export const unravel = (i: number, shape: readonly number[]): number[] => {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1, rest = i; a >= 0; a--) {
    idx[a] = rest % shape[a];
    rest = Math.floor(rest / shape[a]);
  }
  return idx;
};

/** The flat position of multi-index `idx` in a row-major array of `shape`. */
export const ravel = (idx: readonly number[], shape: readonly number[]): number =>
  idx.reduce((flat, k, a) => flat * shape[a] + k, 0);
