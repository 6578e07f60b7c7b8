// Our wasm LeakyRelu (lib/tensor/elementwise.ts): it replaces the stock kernel and gives its bits
// (x < 0 ? alpha x : x, one rounded product) for every slope, every size from 1 to 77 (the
// overlapping last step and the scratch path), NaN, infinities, -0 and subnormals; a mutant that
// takes max(x, alpha x) fails for slopes above 1. Its gradients run through the project's
// LeakyRelu gradient (gradients_test.ts checks them against float64 differences).
import { deepStrictEqual, notDeepStrictEqual, ok } from "node:assert/strict";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { stockWasmKernels } from "../../lib/tensor/kernels.ts";
import { emitLeakyRelu, LEAKY_RELU_VECTORS } from "../../lib/tensor/elementwise.ts";
import { Code, I32, moduleBytes, V128 } from "../../lib/tensor/wasm_emit.ts";
import { values } from "./_numeric.ts";

await useBackend("wasm");

const SLOPES = [0.2, 0, 0.01, 1, 1.5, -0.3];

/** Inputs over every range, with the special values. */
const inputs = (): Float32Array => {
  const r = values(9, 64, (u) => (u() - 0.5) * 20);
  return Float32Array.from([
    ...r,
    NaN,
    -Infinity,
    Infinity,
    -0,
    0,
    1e-45,
    -1e-45,
    -1e-39,
    3.4e38,
    -3.4e38,
    -1,
    1,
  ]);
};

/** The bits of `x < 0 ? fround(alpha x) : x`, element by element. */
const reference = (x: Float32Array, alpha: number): Int32Array =>
  new Int32Array(
    Float32Array.from(x, (v) => (v < 0 ? Math.fround(Math.fround(alpha) * v) : v)).buffer,
  );

const bitsOf = async (t: tf.Tensor): Promise<Int32Array> =>
  new Int32Array(Float32Array.from(await t.data() as Float32Array).buffer);

Deno.test("wasm LeakyRelu: ours, with the stock kernel's bits at every slope and size", async () => {
  const stock = stockWasmKernels.LeakyRelu;
  ok(stock && tf.getKernel("LeakyRelu", "wasm")?.kernelFunc !== stock.kernelFunc);
  const x = inputs();
  for (const alpha of SLOPES) {
    for (let n = 1; n <= 77; n++) {
      const xs = x.subarray(0, n);
      const t = tf.tensor1d(xs);
      const ours = tf.leakyRelu(t, alpha);
      const info = stock.kernelFunc({ inputs: { x: t }, backend: tf.backend(), attrs: { alpha } });
      const theirs = tf.engine().makeTensorFromTensorInfo(info as tf.TensorInfo);
      const got = await bitsOf(ours);
      deepStrictEqual(got, await bitsOf(theirs), `alpha ${alpha}, ${n} floats: the stock bits`);
      deepStrictEqual(got, reference(xs, alpha), `alpha ${alpha}, ${n} floats`);
      tf.dispose([t, ours, theirs]);
    }
  }
});

Deno.test("wasm LeakyRelu: a mutant max(x, alpha x) fails above slope 1", () => {
  const run = (code: Code, x: Float32Array) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Float32Array(memory.buffer);
    heap.set(x);
    const f = new WebAssembly.Instance(
      new WebAssembly.Module(moduleBytes([{ name: "f", code }])),
      { env: { memory } },
    ).exports.f as (a: number, b: number, c: number) => void;
    f(0, 4 * x.length, 4 * (x.length - 4 * LEAKY_RELU_VECTORS));
    return new Int32Array(heap.slice(x.length, 2 * x.length).buffer);
  };
  const mutant = (alpha: number, n: number) => {
    const c = new Code(3);
    const at = c.local(I32), a = c.local(V128), v = c.local(V128);
    c.f32x4Const(alpha).set(a).i32(0).set(at);
    c.loop(() => {
      c.get(1).get(at).add();
      c.get(0).get(at).add().v128Load(0).tee(v).get(v).get(a).f32x4Mul().f32x4Pmax();
      c.v128Store(0).bump(at, 16).get(at).i32(4 * n).ltS().brIf(0); // every float, one vector a step
    });
    return c;
  };
  const x = inputs().subarray(0, 64);
  deepStrictEqual(run(emitLeakyRelu(1.5), x), reference(x, 1.5));
  notDeepStrictEqual(run(mutant(1.5, x.length), x), reference(x, 1.5));
  // (the same mutant is right where the two agree: slopes in [0, 1])
  deepStrictEqual(run(mutant(0.2, x.length), x), reference(x, 0.2));
});
