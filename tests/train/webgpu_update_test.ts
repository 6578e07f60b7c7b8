// Every model trains and evaluates (its capability) on the webgpu backend as on the cpu, and an update there reads the GPU back
// once (the loss, its metrics and the gradient norm, together) and runs no kernel on the CPU.
// Counted on the backend itself: a readback is a `read`/`readSync` of a tensor whose values live
// only on the GPU; a CPU kernel is a `shouldExecuteOnCPU` that says yes (tfjs-webgpu's hand-off
// of small CPU-resident inputs to its CPU implementations). On webgpu only (HGN_TEST_WEBGPU=1;
// the software adapter, llvmpipe, is enough); the cpu side runs everywhere it is compared.
import { ok, strictEqual } from "node:assert/strict";
import {
  constrained,
  estimatesDensity,
  initState,
  type Model,
  predictsFrames,
  trainStep,
} from "@hamiltonian/hgn/train";
import { hgn } from "@hamiltonian/hgn/models/hgn";
import { hnn, hnnConfig } from "@hamiltonian/hgn/models/hnn";
import { nhf, NHF_2D } from "@hamiltonian/hgn/models/nhf";
import { pixelHnn, pixelHnnConfig } from "@hamiltonian/hgn/models/pixel_hnn";
import { realNvp, REALNVP_2D } from "@hamiltonian/hgn/models/realnvp";
import { type Params, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { TINY } from "../models/hgn/_tiny.ts";

const onWebgpu = Deno.env.get("HGN_TEST_WEBGPU") === "1";

interface Case {
  readonly name: string;
  readonly model: Model<unknown, Params, unknown>;
  readonly config: unknown;
  /** a fresh batch on the current backend */
  readonly batch: () => unknown;
}

const frames = (n: number, size: number) => () =>
  tf.randomUniform([2, n, size, size, 3], 0, 1, "float32", 3);
const points = () => tf.randomNormal([16, 2], 0, 1, "float32", 4);
const geco = { tolerance: 0.01, init: 1, learningRate: 1e-2 };

const cases: Case[] = [
  { name: "hgn", model: hgn, config: { model: TINY }, batch: frames(4, 32) },
  {
    name: "hgn under GECO",
    model: constrained(hgn),
    config: { model: { ...TINY, deterministic: false }, geco },
    batch: frames(4, 32),
  },
  { name: "nhf", model: nhf, config: { ...NHF_2D, hidden: 8 }, batch: points },
  {
    name: "nhf under the multiplier",
    model: constrained(nhf),
    config: { ...NHF_2D, hidden: 8, geco },
    batch: points,
  },
  { name: "realnvp", model: realNvp, config: { ...REALNVP_2D, hidden: 8 }, batch: points },
  {
    name: "hnn",
    model: hnn,
    config: { ...hnnConfig(1), hidden: 8 },
    batch: () => ({
      states: tf.randomNormal([8, 2], 0, 1, "float32", 5),
      rates: tf.randomNormal([8, 2], 0, 1, "float32", 6),
    }),
  },
  {
    name: "pixel hnn (mlp)",
    model: pixelHnn,
    config: { ...pixelHnnConfig("mlp", 2), size: 8, aeHidden: 16, hnnHidden: 8 },
    batch: frames(3, 8),
  },
  {
    name: "pixel hnn (conv)",
    model: pixelHnn,
    config: { ...pixelHnnConfig("conv", 2), size: 32, encoderWidth: 4, decoderWidth: 4 },
    batch: frames(3, 32),
  },
] as unknown as Case[];

/** Counts GPU readbacks and CPU-run kernels on the current (webgpu) backend while `f` runs. */
const counted = async <T>(f: () => Promise<T>) => {
  // deno-lint-ignore no-explicit-any
  const b = tf.backend() as any;
  if (tf.getBackend() !== "webgpu") return { value: await f(), readbacks: 0, cpuKernels: 0 };
  const onGpuOnly = (id: object) => {
    const d = b.tensorMap.get(id);
    return d !== undefined && d.values == null && d.resource != null;
  };
  const [read, readSync, toCpu] = [b.read, b.readSync, b.shouldExecuteOnCPU];
  let readbacks = 0;
  let cpuKernels = 0;
  b.read = (id: object) => (onGpuOnly(id) && readbacks++, read.call(b, id));
  b.readSync = (id: object) => (onGpuOnly(id) && readbacks++, readSync.call(b, id));
  b.shouldExecuteOnCPU = (...args: unknown[]) => {
    const yes = toCpu.apply(b, args);
    if (yes) cpuKernels++;
    return yes;
  };
  try {
    const value = await f();
    return { value, readbacks, cpuKernels };
  } finally {
    Object.assign(b, { read, readSync, shouldExecuteOnCPU: toCpu });
  }
};

/** Two updates from the same seed; the second one's loss and what it read back. */
const secondUpdate = async (c: Case) => {
  const state = initState(c.model, c.config, { learningRate: 1e-3, seed: 0 });
  const batch = c.batch();
  await trainStep(state, batch);
  const r = await counted(() => trainStep(state, batch));
  // and it evaluates: the record's capability on the batch, averaged
  let evaluation: number | undefined;
  if (predictsFrames(c.model) && batch instanceof tf.Tensor) {
    const out = c.model.predictFrames(c.config, state.params, batch as tf.Tensor5D, 3);
    evaluation = (await tf.mean(out.frames).data())[0] + (await tf.mean(out.energies).data())[0];
    tf.dispose([out.frames, out.energies]);
  } else if (estimatesDensity(c.model) && batch instanceof tf.Tensor) {
    const ll = c.model.logDensity(c.config, state.params, batch as tf.Tensor2D, {
      draws: 2,
      seed: 1,
    });
    evaluation = (await tf.mean(ll).data())[0];
    ll.dispose();
  }
  tf.dispose([...Object.values(batch as object)].filter((t) => t instanceof tf.Tensor));
  if (batch instanceof tf.Tensor) batch.dispose();
  return { ...r, evaluation };
};

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.max(1e-6, Math.abs(a));

for (const c of cases) {
  Deno.test({
    name: `webgpu: ${c.name} trains as on cpu, one readback and no CPU kernel per update`,
    ignore: !onWebgpu,
    fn: async () => {
      await useBackend("cpu");
      const cpu = await secondUpdate(c);
      await useBackend("webgpu");
      const gpu = await secondUpdate(c);
      const [a, b] = [cpu.value.loss, gpu.value.loss];
      ok(Number.isFinite(b), `${c.name}: loss ${b} on webgpu`);
      // float32 on two backends: kernels sum in other orders, so a relative 1e-3 (not bits)
      ok(close(a, b), `${c.name}: cpu ${a}, webgpu ${b}`);
      const [ea, eb] = [cpu.evaluation, gpu.evaluation];
      const capable = predictsFrames(c.model) || estimatesDensity(c.model);
      strictEqual(eb !== undefined, capable, `${c.name}: evaluated ${eb}`);
      ok(ea === undefined || close(ea, eb!), `${c.name} evaluates: cpu ${ea}, webgpu ${eb}`);
      strictEqual(gpu.readbacks, 1, `${c.name}: ${gpu.readbacks} readbacks in one update`);
      strictEqual(gpu.cpuKernels, 0, `${c.name}: ${gpu.cpuKernels} kernels ran on the CPU`);
    },
  });
}
