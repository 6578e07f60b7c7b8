/**
 * Our wasm convolution (lib/tensor/conv_kernel.ts) against tfjs-backend-wasm's stock XNNPACK
 * `Conv2D` on the paper's layer shapes: every distinct convolution one paper-sized HGN update
 * makes (batch 16, 32 px, appendix A.1 widths, 10 rollout steps, GECO; the forward layers and the
 * input and filter gradients, which lib/tensor/gradients.ts writes as forward convolutions),
 * recorded from a real update, then each kernel timed alone on that shape, interleaved, medians
 * of `--reps`; the total weights each shape by its calls per update.
 *
 *   flock /tmp/heavy.lock deno run -A bench/conv_bench.ts [--reps 5] [--top 40]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { hgn, PAPER_HGN } from "@hamiltonian/hgn/models/hgn";
import { constrained, disposeState, initState, trainStep } from "@hamiltonian/hgn/train";
import { stockWasmKernels, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { conv2dKernel, convUsesFma } from "../lib/tensor/conv_kernel.ts";

const { values: a } = parseArgs({
  args: Deno.args,
  options: { reps: { type: "string", default: "5" }, top: { type: "string", default: "40" } },
});
const reps = Number(a.reps);
await useBackend("wasm");
const ours = tf.getKernel("Conv2D", "wasm")!;
const stock = stockWasmKernels.Conv2D!;
// ours without row blocking (`rowBlocksApply`): the large filters in one pass
const onePass = { ...ours, kernelFunc: conv2dKernel(stock, { rowBlocks: false }) };

interface Call {
  x: number[];
  filter: number[];
  attrs: tf.NamedAttrMap;
  calls: number;
  flop: number;
}
const calls = new Map<string, Call>();
tf.unregisterKernel("Conv2D", "wasm");
tf.registerKernel({
  ...ours,
  kernelFunc: (params) => {
    const { x, filter } = params.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const out = ours.kernelFunc(params) as tf.TensorInfo;
    const key = JSON.stringify([x.shape, filter.shape, params.attrs]);
    const seen = calls.get(key);
    if (seen) seen.calls++;
    else {
      const [kh, kw, ci] = filter.shape;
      const flop = 2 * out.shape.reduce((p, q) => p * q, 1) * kh * kw * ci;
      calls.set(key, { x: x.shape, filter: filter.shape, attrs: params.attrs!, calls: 1, flop });
    }
    return out;
  },
});
const config = {
  model: { ...PAPER_HGN, rolloutSteps: 10, inputFrames: 11 },
  geco: { tolerance: 1e-3, init: 1, learningRate: 1.5e-4 },
};
const state = initState(constrained(hgn), config, { learningRate: 1.5e-4, seed: 0 });
const batch = tf.randomUniform([16, 11, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor5D;
await trainStep(state, batch);
disposeState(state);
batch.dispose();
tf.unregisterKernel("Conv2D", "wasm");
tf.registerKernel(ours);

const backend = tf.backend() as unknown as tf.KernelBackend & { disposeData(id: unknown): void };
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const time = (kernel: tf.KernelConfig, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => {
  const t0 = performance.now();
  const out = kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
  const ms = performance.now() - t0;
  backend.disposeData(out.dataId);
  return ms;
};

const rows = [...calls.values()].sort((p, q) => q.flop * q.calls - p.flop * p.calls);
console.log(
  `wasm, one thread; ${rows.length} distinct convolutions in one paper-sized HGN update ` +
    `(10 steps); ours ${
      convUsesFma() ? "with" : "without"
    } fused multiply-add; medians of ${reps}\n`,
);
console.log(
  "| input * filter | stride, pad | calls | stock ms | ours ms | ours in one pass ms | stock GFLOP/s | ours GFLOP/s | speedup |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
let [stockTotal, oursTotal, onePassTotal] = [0, 0, 0];
for (const [i, call] of rows.entries()) {
  const x = tf.randomNormal(call.x, 0, 1, "float32", 1);
  const filter = tf.randomNormal(call.filter, 0, 1, "float32", 2);
  const inputs = { x, filter } as unknown as tf.NamedTensorInfoMap;
  const t = { stock: [] as number[], ours: [] as number[], onePass: [] as number[] };
  for (let r = 0; r <= reps; r++) {
    const s = time(stock, inputs, call.attrs), o = time(ours, inputs, call.attrs);
    const p = time(onePass, inputs, call.attrs);
    if (r > 0) t.stock.push(s), t.ours.push(o), t.onePass.push(p); // the first compiles
  }
  tf.dispose([x, filter]);
  const [s, o, p] = [median(t.stock), median(t.ours), median(t.onePass)];
  stockTotal += s * call.calls;
  oursTotal += o * call.calls;
  onePassTotal += p * call.calls;
  if (i < Number(a.top)) {
    const { strides, pad } = call.attrs as { strides: number[] | number; pad: string };
    console.log(
      `| ${call.x.join("x")} * ${call.filter.join("x")} | ${strides}, ${pad} | ${call.calls} | ${
        s.toFixed(2)
      } | ${o.toFixed(2)} | ${p.toFixed(2)} | ${(call.flop / s / 1e6).toFixed(1)} | ${
        (call.flop / o / 1e6).toFixed(1)
      } | ${(s / o).toFixed(2)}x |`,
    );
  }
}
const flop = rows.reduce((n, c) => n + c.flop * c.calls, 0);
console.log(
  `| all, per update | | ${rows.reduce((n, c) => n + c.calls, 0)} | ${stockTotal.toFixed(0)} | ${
    oursTotal.toFixed(0)
  } | ${onePassTotal.toFixed(0)} | ${(flop / stockTotal / 1e6).toFixed(1)} | ${
    (flop / oursTotal / 1e6).toFixed(1)
  } | ${(stockTotal / oursTotal).toFixed(2)}x |`,
);
