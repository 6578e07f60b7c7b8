// Our strided copies (lib/tensor/copy_kernel.ts): the row copy moves exactly the bytes it names
// for every row length (vector part and word tail), positive and negative steps, and nothing
// else; a mutant without the tail fails. wasm's Concat is ours and equals the index-by-index
// join along every axis, at every rank, for int32 and float32 (NaN payloads bit for bit), with
// empty inputs; other dtypes keep the stock kernel. Its gradient (our split) is exact.
import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { stockWasmKernels, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { copyRowsOn, copyRuns, emitCopyRows, type RowCopy } from "../../lib/tensor/copy_kernel.ts";
import { Code, moduleBytes } from "../../lib/tensor/wasm_emit.ts";
import { ravel, unravel, values } from "./_numeric.ts";

await useBackend("wasm");

/** A fresh memory with words 0..n-1 holding 1000 + i, and its copy function. */
const setup = (copyOf: (m: WebAssembly.Memory) => RowCopy = copyRowsOn) => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const words = new Int32Array(memory.buffer);
  words.forEach((_, i) => (words[i] = 1000 + i));
  return { words, copy: copyOf(memory) };
};

/** What copyRuns should leave: the same moves word by word in JavaScript. */
const expected = (
  rows: number,
  run: number,
  src: number,
  dst: number,
  srcStep: number,
  dstStep: number,
) => {
  const words = new Int32Array(16384).map((_, i) => 1000 + i);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < run; k++) words[dst + r * dstStep + k] = words[src + r * srcStep + k];
  }
  return words;
};

const CASES = [
  // rows, run, src word, dst word, src step, dst step
  [1, 1, 3, 900, 0, 0],
  [3, 5, 10, 2000, 7, 9],
  [17, 16, 0, 4000, 16, 32],
  [4, 7, 500, 3000, -7, 7], // a flip: rows read backwards
  [2, 258, 1, 8000, 300, 258],
  [64, 3, 40, 6000, 5, 3],
];

Deno.test("copyRows: every row length, forwards and backwards, moves exactly the named words", () => {
  for (const [rows, run, src, dst, srcStep, dstStep] of CASES) {
    const { words, copy } = setup();
    copyRuns(copy, 4 * src, 4 * dst, rows, run, srcStep, dstStep);
    deepStrictEqual(
      words.subarray(0, 16384),
      expected(rows, run, src, dst, srcStep, dstStep),
      `${rows} x ${run}`,
    );
  }
});

Deno.test("copyRows: a mutant that drops the word tail fails the same comparison", () => {
  const mutant = (memory: WebAssembly.Memory) => {
    const c = emitCopyRows();
    // calls the real copy with the row's length cut to its vector part
    const tailless = new Code(7);
    tailless.get(0).get(1).get(2).get(3).get(4).get(5).get(5).op(0x10, 1); // call copyRows
    const bytes = moduleBytes([{ name: "f", code: tailless }, { name: "copyRows", code: c }]);
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
      .exports.f as RowCopy;
    return f;
  };
  const [rows, run, src, dst, srcStep, dstStep] = CASES[1];
  const { words, copy } = setup(mutant);
  copyRuns(copy, 4 * src, 4 * dst, rows, run, srcStep, dstStep);
  notDeepStrictEqual(words.subarray(0, 16384), expected(rows, run, src, dst, srcStep, dstStep));
});

/** The join of `xs` (row-major, of `shapes`) along `axis`, index by index. */
const joined = (xs: number[][], shapes: number[][], axis: number): number[] => {
  const out: number[] = [];
  const shape = [...shapes[0]];
  shape[axis] = shapes.reduce((n, s) => n + s[axis], 0);
  const n = shape.reduce((p, q) => p * q, 1);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    let k = idx[axis], t = 0;
    while (k >= shapes[t][axis]) k -= shapes[t++][axis];
    const at = [...idx];
    at[axis] = k;
    out.push(xs[t][ravel(at, shapes[t])]);
  }
  return out;
};

Deno.test("wasm Concat: ours, equal to the index-by-index join along every axis and rank", async () => {
  ok(tf.getKernel("Concat", "wasm")?.kernelFunc !== stockWasmKernels.Concat?.kernelFunc);
  const u = values(3, 4096, (r) => r());
  let next = 0;
  const draw = (n: number) => Math.floor(u[next++ % u.length] * n);
  for (let rank = 1; rank <= 6; rank++) {
    for (let trial = 0; trial < 6; trial++) {
      const base = Array.from({ length: rank }, () => 1 + draw(rank <= 3 ? 9 : 4));
      const axis = draw(rank);
      const count = 1 + draw(4);
      const shapes = Array.from({ length: count }, (_, t) => {
        const s = [...base];
        s[axis] = trial === 0 && t === 1 ? 0 : 1 + draw(6); // an empty input in some trials
        return s;
      });
      for (const dtype of ["float32", "int32", "bool"] as const) {
        const xs = shapes.map((s, t) =>
          Array.from(
            { length: s.reduce((p, q) => p * q, 1) },
            (_, i) => dtype === "bool" ? (i + t) % 3 & 1 : 100 * t + i * 3 - 7,
          )
        );
        const got = await tf.tidy(() =>
          tf.concat(xs.map((x, t) => tf.tensor(x, shapes[t], dtype)), axis)
        ).data();
        deepStrictEqual(
          Array.from(got),
          joined(xs, shapes, axis),
          `${dtype} axis ${axis} shapes ${JSON.stringify(shapes)}`,
        );
      }
    }
  }
});

Deno.test("wasm Concat: bits move unchanged (NaN payloads, -0, subnormals); long rows; no leaks", async () => {
  const bits = Int32Array.of(0x7fc00001, 0x7f800001, -0x80000000, 1, 0x3f800000, -1);
  const a = tf.tensor(new Float32Array(bits.buffer), [2, 3]);
  const b = tf.tensor(new Float32Array(300).map((_, i) => i), [2, 150]);
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const before = backend.numDataIds();
  const c = tf.concat([a, b], 1);
  const out = new Int32Array((await c.data() as Float32Array).buffer);
  deepStrictEqual(Array.from(out.subarray(0, 3)), Array.from(bits.subarray(0, 3)));
  deepStrictEqual(Array.from(out.subarray(153, 156)), Array.from(bits.subarray(3)));
  const row = tf.slice(c, [1, 3], [1, 150]);
  deepStrictEqual(Array.from(await row.data()), Array.from({ length: 150 }, (_, i) => 150 + i));
  tf.dispose([c, row]);
  strictEqual(backend.numDataIds(), before);
  tf.dispose([a, b]);
});

Deno.test("wasm Concat: its gradient splits the upstream gradient exactly, to second order", async () => {
  const x = tf.tensor(Array.from({ length: 24 }, (_, i) => i / 8 - 1), [2, 3, 4]);
  const y = tf.tensor(Array.from({ length: 12 }, (_, i) => 0.5 - i / 16), [2, 3, 2]);
  const w = tf.tensor(Array.from({ length: 36 }, (_, i) => (i % 7) - 3), [2, 3, 6]);
  // f = sum(w * concat(x, y)^2): df/dx = 2 w_x x, d/dx of sum(df/dx) = 2 w_x
  const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(w, tf.square(tf.concat([a, b], 2))));
  const [gx, gy] = tf.grads(f)([x, y]);
  const [wx, wy] = tf.split(w, [4, 2], 2);
  deepStrictEqual(Array.from(await gx.data()), Array.from(await tf.mul(2, tf.mul(wx, x)).data()));
  deepStrictEqual(Array.from(await gy.data()), Array.from(await tf.mul(2, tf.mul(wy, y)).data()));
  const hx = tf.grad((a: tf.Tensor) => tf.sum(tf.grads(f)([a, y])[0]))(x);
  deepStrictEqual(Array.from(await hx.data()), Array.from(await tf.mul(2, wx).data()));
  tf.dispose([x, y, w, gx, gy, wx, wy, hx]);
});
