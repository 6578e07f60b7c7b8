// The faster kernel paths (lib/tensor/kernels.ts): wasm's BatchMatMul with transpose flags gives
// the float64 product of the transposed operands for every rank and flag combination, replaces
// the stock kernel, and leaks no backend memory. (Its first and second derivatives are checked
// against finite differences with the other kernels, in gradients_test.ts, on wasm.)
import { ok, strictEqual } from "node:assert/strict";
import { stockWasmMatMul, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { values } from "./_numeric.ts";

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
  ok(stockWasmMatMul !== undefined);
  ok(tf.getKernel("BatchMatMul", "wasm")?.kernelFunc !== stockWasmMatMul.kernelFunc);
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
