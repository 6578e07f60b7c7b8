// The faster kernel paths (lib/tensor/kernels.ts): wasm's BatchMatMul with transpose flags gives
// the float64 product of the transposed operands for every rank and flag combination, replaces
// the stock kernel, and leaks no backend memory; wasm's Slice, SplitV, Unpack and Reverse copy
// what an index-by-index reference copies, at every rank from 1 to 6 and for every dtype; wasm's
// Sum over every set of axes equals the float64 sum; wasm's Identity (tf.clone) shares the buffer. (Its first and second derivatives are checked
// against finite differences with the other kernels, in gradients_test.ts, on wasm.)
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { stockWasmKernels, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { ravel, unravel, values } from "./_numeric.ts";

await useBackend("wasm");

/** Float64 `op(a) op(b)` for batched row-major operands, batch broadcast from size 1. */
const reference = (
  a: Float64Array,
  aShape: number[],
  b: Float64Array,
  bShape: number[],
  ta: boolean,
  tb: boolean,
): Float64Array => {
  const [ba, ra, ca] = aShape.length === 3 ? aShape : [1, ...aShape];
  const [bb, rb, cb] = bShape.length === 3 ? bShape : [1, ...bShape];
  const [m, k] = ta ? [ca, ra] : [ra, ca];
  const n = tb ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = (ba === 1 ? 0 : t) * ra * ca;
    const bo = (bb === 1 ? 0 : t) * rb * cb;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) {
          const x = ta ? a[ao + l * ca + i] : a[ao + i * ca + l];
          const y = tb ? b[bo + j * cb + l] : b[bo + l * cb + j];
          s += x * y;
        }
        out[(t * m + i) * n + j] = s;
      }
    }
  }
  return out;
};

Deno.test("kernels: wasm's BatchMatMul is replaced by the transpose-first path", () => {
  const stock = stockWasmKernels.BatchMatMul;
  ok(stock !== undefined);
  ok(tf.getKernel("BatchMatMul", "wasm")?.kernelFunc !== stock.kernelFunc);
});

Deno.test("kernels: wasm matMul with every flag combination and rank equals the float64 product", async () => {
  // [m, k] x [k, n] with m = 5, k = 7, n = 3, stored as the flags say; batches of 3 and 1
  const cases: [number[], number[]][] = [[[], []], [[3], [3]], [[1], [3]], [[3], [1]]];
  for (const [batchA, batchB] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const aShape = [...batchA, ...(ta ? [7, 5] : [5, 7])];
        const bShape = [...batchB, ...(tb ? [3, 7] : [7, 3])];
        const a = values(1, aShape.reduce((p, q) => p * q, 1));
        const b = values(2, bShape.reduce((p, q) => p * q, 1));
        const want = reference(a, aShape, b, bShape, ta, tb);
        const got = await tf.tidy(() =>
          tf.matMul(
            tf.tensor(Float32Array.from(a), aShape),
            tf.tensor(Float32Array.from(b), bShape),
            ta,
            tb,
          )
        ).data();
        const label = `a [${aShape}] b [${bShape}] transposeA ${ta} transposeB ${tb}`;
        strictEqual(got.length, want.length, label);
        const err = Math.max(...Array.from(got, (g, i) => Math.abs(g - want[i])));
        ok(err < 1e-5, `${label}: max error ${err}`);
      }
    }
  }
});

Deno.test("kernels: the transposed operands are freed (no backend memory grows)", async () => {
  const a = tf.randomNormal([64, 32]);
  const b = tf.randomNormal([64, 16]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  await tf.matMul(a, b, true, false).data(); // warm-up
  const before = backend.numDataIds();
  for (let i = 0; i < 10; i++) {
    const p = tf.matMul(a, b, true, false);
    const q = tf.matMul(b, a, true, false);
    const r = tf.matMul(a, a, false, true);
    await Promise.all([p.data(), q.data(), r.data()]);
    tf.dispose([p, q, r]);
  }
  strictEqual(backend.numDataIds(), before);
  tf.dispose([a, b]);
});

/** The window `[begin, begin + size)` of a row-major array of `shape`, index by index. */
const windowOf = (
  x: ArrayLike<number>,
  shape: number[],
  begin: number[],
  size: number[],
): number[] =>
  Array.from(
    { length: size.reduce((p, q) => p * q, 1) },
    (_, i) => x[ravel(unravel(i, size).map((k, a) => begin[a] + k), shape)],
  );

/** Seeded integers in [0, n). */
const draws = (seed: number) => {
  const u = values(seed, 4096, (r) => r());
  let i = 0;
  return (n: number) => Math.floor(u[i++ % u.length] * n);
};

Deno.test("kernels: wasm's Slice, SplitV, Unpack, Reverse, Sum and Identity are replaced", () => {
  for (const name of ["Slice", "SplitV", "Unpack", "Reverse", "Sum", "Identity"]) {
    const config = tf.getKernel(name, "wasm");
    ok(config !== undefined, name);
    ok(config.kernelFunc !== stockWasmKernels[name]?.kernelFunc, name);
  }
});

Deno.test("kernels: wasm slices of every rank, window and dtype equal the index-by-index copy", async () => {
  const draw = draws(7);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 12; trial++) {
      const shape = Array.from({ length: rank }, () => 1 + draw(5));
      // whole trailing axes in some trials, so the contiguous run spans several axes
      const whole = draw(rank + 1);
      const begin = shape.map((n, a) => a >= whole ? 0 : draw(n));
      const size = shape.map((n, a) =>
        a >= whole ? n : trial === 0 && a === 0 ? 0 : 1 + draw(n - begin[a])
      );
      const n = shape.reduce((p, q) => p * q, 1);
      for (const dtype of ["float32", "int32", "bool"] as const) {
        const data = Array.from({ length: n }, (_, i) => dtype === "bool" ? i % 3 & 1 : i * 7 - 5);
        const label = `${dtype} shape [${shape}] begin [${begin}] size [${size}]`;
        const got = await tf.tidy(() => tf.slice(tf.tensor(data, shape, dtype), begin, size))
          .data();
        deepStrictEqual(Array.from(got), windowOf(data, shape, begin, size), label);
      }
    }
  }
});

Deno.test("kernels: wasm split and unstack equal the index-by-index copy along every axis", async () => {
  const shape = [3, 4, 2, 5];
  const data = Array.from({ length: 120 }, (_, i) => i + 0.5);
  const x = tf.tensor(data, shape);
  for (let axis = 0; axis < shape.length; axis++) {
    const sizes = axis === 1 ? [1, 3] : [shape[axis] - 1, 1];
    const parts = tf.split(x, sizes, axis);
    const begin = [0, 0, 0, 0];
    for (const [i, part] of parts.entries()) {
      const size = [...shape];
      size[axis] = sizes[i];
      deepStrictEqual(part.shape, size);
      deepStrictEqual(Array.from(await part.data()), windowOf(data, shape, begin, size));
      begin[axis] += sizes[i];
    }
    const rows = tf.unstack(x, axis);
    strictEqual(rows.length, shape[axis]);
    for (const [i, row] of rows.entries()) {
      const size = [...shape];
      size[axis] = 1;
      const at = [0, 0, 0, 0];
      at[axis] = i;
      deepStrictEqual(row.shape, shape.filter((_, a) => a !== axis));
      deepStrictEqual(Array.from(await row.data()), windowOf(data, shape, at, size));
    }
    tf.dispose([...parts, ...rows]);
  }
  x.dispose();
});

Deno.test("kernels: wasm slices reject windows outside their input and leak nothing", async () => {
  const x = tf.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  throws(() => tf.slice(x, [1, 1], [2, 1]), /slice|size|begin/i);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const before = backend.numDataIds();
  for (let i = 0; i < 5; i++) {
    const parts = [tf.slice(x, [0, 1], [2, 2]), ...tf.split(x, 3, 1), ...tf.unstack(x)];
    await Promise.all(parts.map((p) => p.data()));
    tf.dispose(parts);
  }
  strictEqual(backend.numDataIds(), before);
  x.dispose();
});

/** `x` of `shape` reversed along `axes`, index by index. */
const reversedOf = (x: ArrayLike<number>, shape: number[], axes: number[]): number[] =>
  Array.from(
    { length: x.length },
    (_, i) =>
      x[ravel(unravel(i, shape).map((k, a) => axes.includes(a) ? shape[a] - 1 - k : k), shape)],
  );

Deno.test("kernels: wasm reverse along every set of axes, at every rank and dtype, equals the index-by-index copy", async () => {
  const draw = draws(11);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 8; trial++) {
      const shape = Array.from({ length: rank }, () => 1 + draw(4));
      const axes = shape.map((_, a) => a).filter(() => draw(2) === 1);
      if (axes.length === 0) axes.push(draw(rank));
      const n = shape.reduce((p, q) => p * q, 1);
      for (const dtype of ["float32", "int32", "bool"] as const) {
        const data = Array.from({ length: n }, (_, i) => dtype === "bool" ? i % 3 & 1 : i * 3 - 7);
        const label = `${dtype} shape [${shape}] axes [${axes}]`;
        const got = await tf.tidy(() => tf.reverse(tf.tensor(data, shape, dtype), axes)).data();
        deepStrictEqual(Array.from(got), reversedOf(data, shape, axes), label);
      }
    }
  }
});

Deno.test("kernels: wasm sums over every set of axes, kept or dropped, equal the float64 sum", async () => {
  for (const shape of [[7], [5, 3], [4, 3, 5], [3, 2, 4, 6], [2, 3, 2, 2, 3]]) {
    const n = shape.reduce((p, q) => p * q, 1);
    const data = values(5, n, (u) => 1e3 * (2 * u() - 1)); // large, so float32 sums would round
    const x = tf.tensor(Float32Array.from(data), shape);
    for (let mask = 1; mask < 1 << shape.length; mask++) {
      const axes = shape.map((_, a) => a).filter((a) => mask >> a & 1);
      for (const keepDims of [false, true]) {
        const label = `shape [${shape}] axes [${axes}] keepDims ${keepDims}`;
        const y = tf.sum(x, axes, keepDims);
        deepStrictEqual(
          y.shape,
          keepDims
            ? shape.map((d, a) => axes.includes(a) ? 1 : d)
            : shape.filter((_, a) => !axes.includes(a)),
          label,
        );
        const got = await y.data();
        y.dispose();
        const kept = shape.map((_, a) => a).filter((a) => !axes.includes(a));
        const want = new Float64Array(got.length);
        for (let i = 0; i < n; i++) {
          const idx = unravel(i, shape);
          want[ravel(kept.map((a) => idx[a]), kept.map((a) => shape[a]))] += data[i];
        }
        const err = Math.max(...Array.from(got, (g, i) => Math.abs(g - Math.fround(want[i]))));
        ok(err <= 1e-3, `${label}: max error ${err}`);
      }
    }
    x.dispose();
  }
});

Deno.test("kernels: a wasm clone shares its buffer, outlives its source and frees it last", async () => {
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const ids = backend.numDataIds();
  const x = tf.tensor([1.5, -2, 3, 4], [2, 2]);
  const y = tf.clone(x);
  strictEqual(backend.numDataIds(), ids + 1, "one buffer for the tensor and its clone");
  x.dispose();
  deepStrictEqual(Array.from(await y.data()), [1.5, -2, 3, 4]);
  // a gradient through saved clones is unchanged: d/dx sum(x * x) = 2x
  const g = tf.grad((t) => tf.sum(tf.mul(t, t)))(y);
  deepStrictEqual(Array.from(await g.data()), [3, -4, 6, 8]);
  tf.dispose([y, g]);
  strictEqual(backend.numDataIds(), ids);
});
