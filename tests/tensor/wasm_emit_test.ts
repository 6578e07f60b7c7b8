// The wasm assembler (lib/tensor/wasm_emit.ts): the modules it writes validate and compute what
// their instructions say, loops run their count, and the relaxed-SIMD probe agrees with the engine.
import { ok, strictEqual } from "node:assert/strict";
import { Code, hasRelaxedSimd, I32, moduleBytes, V128 } from "../../lib/tensor/wasm_emit.ts";

/** Runs `code` (params i32) on a fresh one-page memory; returns the memory's floats. */
const run = (code: Code, args: number[], init: (heap: Float32Array) => void = () => {}) => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  init(new Float32Array(memory.buffer));
  const bytes = moduleBytes([{ name: "f", code }]);
  ok(WebAssembly.validate(bytes));
  const f = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports
    .f as (...a: number[]) => void;
  f(...args);
  return new Float32Array(memory.buffer);
};

Deno.test("wasm emit: nested counted loops run n * m times, constants of every LEB length", () => {
  for (const [n, m] of [[1, 1], [3, 70], [129, 2], [200, 300]]) {
    const c = new Code(1); // param 0: the address of the counter
    const i = c.local(I32), j = c.local(I32), count = c.local(I32);
    c.forRange(i, n, () => c.forRange(j, m, () => c.bump(count, 1)));
    c.get(0).get(count).f32ConvertI32().f32Store(0); // f32.convert_i32_s
    strictEqual(run(c, [8])[2], n * m);
  }
  const c = new Code(1);
  const k = c.local(I32);
  c.i32(-123456789).set(k).get(0).get(k).f32ConvertI32().f32Store(0);
  strictEqual(run(c, [0])[0], Math.fround(-123456789));
});

Deno.test("wasm emit: forLocal runs its runtime count", () => {
  const c = new Code(2); // address, count
  const i = c.local(I32), sum = c.local(I32);
  c.forLocal(i, 1, () => c.get(sum).get(i).add().set(sum));
  c.get(0).get(sum).f32ConvertI32().f32Store(0);
  strictEqual(run(c, [4, 10])[1], 45);
});

Deno.test("wasm emit: vector loads, splats, lane shuffles, multiply-adds and lane stores", () => {
  const c = new Code(1);
  const a = c.local(V128), b = c.local(V128);
  c.get(0).v128Load(0).set(a); // [1, 2, 3, 4]
  c.get(0).v128Load32Splat(16).set(b); // [10, 10, 10, 10]
  // out = splat(a[2]) * b + a  ->  [31, 32, 33, 34]
  c.get(0).get(a).get(a).f32x4SplatLane(2).get(b).f32x4Mul().get(a).f32x4Add().v128Store(32);
  c.get(0).get(a).f32x4ExtractLane(3).f32Store(48); // 4
  if (hasRelaxedSimd()) {
    c.get(0).get(a).get(b).get(a).f32x4RelaxedMadd().v128Store(64); // a * 10 + a
  }
  const heap = run(c, [0], (h) => h.set([1, 2, 3, 4, 10]));
  strictEqual([...heap.subarray(8, 12)].join(), "31,32,33,34");
  strictEqual(heap[12], 4);
  if (hasRelaxedSimd()) strictEqual([...heap.subarray(16, 20)].join(), "11,22,33,44");
});

Deno.test("wasm emit: the probe finds relaxed SIMD on Deno 2.9's V8 (the fused kernels run)", () => {
  ok(hasRelaxedSimd());
});
