/**
 * The Deno side of `bench/gpu/run.sh`: one program, bundled by `bench/gpu/prepare.sh` so that it
 * runs on the GPU machine without an npm cache, with one stage per call (run.sh runs each under
 * its own time limit, so one that fails or hangs costs only itself). Each stage prints one JSON
 * line on stdout and progress on stderr.
 *
 *   gpu_bench adapter [--require-hardware]
 *       the WebGPU adapter: vendor, architecture, device, description, isFallbackAdapter (with
 *       --require-hardware a fallback or missing adapter is a failure, exit 1)
 *   gpu_bench step --backend B --steps 10,30 --reps N [--width W] [--batch B] [--profile]
 *       the paper-sized HGN training step (stochastic HGN under GECO, Adam), ms per update,
 *       median of N after one warm-up; --profile adds tf.profile's kernels of one more update
 *   gpu_bench workers --threads 1,4,16 --steps 10,30 --reps N --worker URL [--width W] [--batch B]
 *       the same step on wasm with that many gradient workers (the bundled worker at URL)
 *   gpu_bench train --backend B --updates N --out DIR [--train-size N] [--width W] [--batch B]
 *       [--rollout S]
 *       the paper preset (`preset: "paper"`, mass-spring) trained for N updates: updates per
 *       second and the loss curve, in DIR (width, batch and rollout steps shrink it for a dry run)
 *   gpu_bench summary --out DIR
 *       summary.md on stdout from the stages' JSON in DIR (run.sh's folder): the adapter, WebGPU
 *       beside PyTorch CUDA, wasm workers beside PyTorch CPU threads, the paper preset's rate
 *
 * @module
 */
import { parseArgs } from "node:util";
import { hgn, PAPER_HGN } from "@hamiltonian/hgn/models/hgn";
import { hgnRunSettings, openReader, trainHgn } from "@hamiltonian/hgn/runs";
import { type BackendRequest, tf, useBackend, useWasmBinaries } from "@hamiltonian/hgn/tensor";
import { claimRunDir } from "@hamiltonian/hgn/io";
import {
  constrained,
  disposeState,
  type GradientPool,
  gradientPool,
  initState,
  trainStep,
} from "@hamiltonian/hgn/train";

// bundled (bench/gpu/prepare.sh), the wasm binaries travel in wasm/ beside this file
if (import.meta.url.endsWith(".js")) useWasmBinaries(new URL("./wasm/", import.meta.url).href);

const [stage, ...rest] = Deno.args;
const { values: a } = parseArgs({
  args: rest,
  options: {
    backend: { type: "string", default: "webgpu" },
    steps: { type: "string", default: "10,30" },
    threads: { type: "string", default: "1" },
    reps: { type: "string", default: "5" },
    width: { type: "string" },
    batch: { type: "string", default: "16" },
    worker: { type: "string" },
    updates: { type: "string", default: "300" },
    rollout: { type: "string" },
    "train-size": { type: "string", default: "2000" },
    out: { type: "string" },
    profile: { type: "boolean", default: false },
    "require-hardware": { type: "boolean", default: false },
  },
});

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ints = (s: string) => s.split(",").map(Number);
const say = (line: string) => console.error(`gpu_bench ${stage}: ${line}`);

/** Every network width set to --width, where it is given. */
const widths = () => {
  if (a.width === undefined) return {};
  const w = Number(a.width);
  return { encoderWidth: w, transformerWidth: w, hamiltonianWidth: w, decoderWidth: w };
};

/** The paper-sized step's config at `steps` rollout steps (width and batch may be shrunk). */
const stepConfig = (steps: number) => {
  const model = { ...PAPER_HGN, rolloutSteps: steps, inputFrames: steps + 1, ...widths() };
  return { model, geco: { tolerance: 1e-3, init: 1, learningRate: 1.5e-4 } };
};

/** ms per update of `trainStep` (median of `reps` after a warm-up), and one profiled update. */
const timeStep = async (steps: number, pool?: GradientPool) => {
  const config = stepConfig(steps);
  const state = initState(constrained(hgn), config, { learningRate: 1.5e-4, seed: 0 });
  const batch = tf.randomUniform(
    [Number(a.batch), steps + 1, 32, 32, 3],
    0,
    1,
    "float32",
    1,
  ) as tf.Tensor5D;
  const t0 = performance.now();
  const first = await trainStep(state, batch, pool?.gradients); // kernels compiled, slots made
  const warmup = performance.now() - t0;
  const ms: number[] = [];
  let loss = first.loss;
  for (let r = 0; r < Number(a.reps); r++) {
    const t = performance.now();
    loss = (await trainStep(state, batch, pool?.gradients)).loss;
    ms.push(performance.now() - t);
  }
  let profile: unknown;
  if (a.profile && !pool) {
    const info = await tf.profile(async () => void (await trainStep(state, batch)));
    const byName = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { calls: 0, ms: 0 };
      e.calls++;
      const t = await k.kernelTimeMs;
      e.ms += typeof t === "number" ? t : 0;
      byName.set(k.name, e);
    }
    profile = {
      kernels: info.kernels.length,
      newBytes: info.newBytes,
      peakBytes: info.peakBytes,
      top: [...byName].sort((x, y) => y[1].ms - x[1].ms || y[1].calls - x[1].calls).slice(0, 25)
        .map(([name, e]) => ({ name, ...e })),
    };
  }
  batch.dispose();
  disposeState(state);
  return { steps, warmupMs: warmup, ms, medianMs: median(ms), loss, profile };
};

const stages: Record<string, () => Promise<unknown>> = {
  adapter: async () => {
    const gpu = (navigator as { gpu?: GPU }).gpu;
    const adapter = gpu ? await gpu.requestAdapter({ powerPreference: "high-performance" }) : null;
    if (!adapter) {
      const result = {
        adapter: null,
        why: gpu ? "requestAdapter() found none" : "no navigator.gpu",
      };
      if (a["require-hardware"]) {
        console.log(JSON.stringify(result));
        throw new Error(`no WebGPU adapter (${result.why})`);
      }
      return result;
    }
    const { vendor, architecture, device, description } = adapter.info;
    const isFallbackAdapter = adapter.info.isFallbackAdapter ??
      (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null;
    const result = {
      adapter: { vendor, architecture, device, description, isFallbackAdapter },
      features: [...adapter.features].sort(),
      limits: {
        maxBufferSize: adapter.limits.maxBufferSize,
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX,
      },
    };
    if (a["require-hardware"] && isFallbackAdapter !== false) {
      console.log(JSON.stringify(result));
      throw new Error(`the adapter is a fallback (software) one: ${description || device}`);
    }
    return result;
  },
  step: async () => {
    const choice = await useBackend(a.backend as BackendRequest);
    say(choice.report);
    const rows = [];
    for (const steps of ints(a.steps)) {
      const row = await timeStep(steps);
      say(
        `${steps} rollout steps: median ${row.medianMs.toFixed(1)} ms (warm-up ${
          row.warmupMs.toFixed(0)
        } ms)`,
      );
      rows.push(row);
    }
    return { backend: choice.backend, report: choice.report, batch: Number(a.batch), rows };
  },
  workers: async () => {
    const choice = await useBackend("wasm");
    say(choice.report);
    const rows = [];
    for (const steps of ints(a.steps)) {
      for (const threads of ints(a.threads)) {
        const pool = threads > 1
          ? await gradientPool(
            { module: "bundled", name: "hgn", constrained: true },
            stepConfig(steps),
            threads,
            "wasm",
            a.worker === undefined ? {} : { worker: a.worker },
          )
          : undefined;
        try {
          const row = { threads, ...(await timeStep(steps, pool)) };
          say(`${steps} rollout steps, ${threads} workers: median ${row.medianMs.toFixed(0)} ms`);
          rows.push(row);
        } finally {
          pool?.close();
        }
      }
    }
    return { backend: "wasm", batch: Number(a.batch), rows };
  },
  train: async () => {
    if (a.out === undefined) throw new Error("train needs --out DIR");
    const settings = hgnRunSettings({
      preset: "paper",
      system: "mass-spring",
      steps: Number(a.updates),
      model: {
        ...widths(),
        ...(a.rollout
          ? { rolloutSteps: Number(a.rollout), inputFrames: Number(a.rollout) + 1 }
          : {}),
      },
      train: { trainSize: Number(a["train-size"]), batchSize: Number(a.batch) },
      run: {
        testSize: 16,
        checkpointEvery: Number(a.updates),
        backend: a.backend as BackendRequest,
      },
    });
    const reader = await openReader(settings);
    const choice = await useBackend(settings.run.backend);
    say(choice.report);
    await claimRunDir({ dir: a.out });
    const curve: { step: number; seconds: number; metrics: Record<string, number> }[] = [];
    const t0 = performance.now();
    const { state } = await trainHgn({
      dir: a.out,
      settings,
      reader,
      resumed: false,
      onMessage: say,
      onProgress: (p) => {
        curve.push({
          step: p.step,
          seconds: (performance.now() - t0) / 1000,
          metrics: { ...p.metrics },
        });
        if (p.logged) say(`update ${p.step}/${p.steps}`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const updates = state.step;
    disposeState(state);
    // the first updates compile kernels: the rate over the second half is the steady one
    const half = curve[Math.floor(curve.length / 2)];
    const last = curve.at(-1)!;
    return {
      backend: choice.backend,
      updates,
      seconds,
      updatesPerSecond: updates / seconds,
      steadyUpdatesPerSecond: half && last.step > half.step
        ? (last.step - half.step) / (last.seconds - half.seconds)
        : null,
      curve: curve.filter((_, i) =>
        i % Math.max(1, Math.floor(curve.length / 100)) === 0 || i === curve.length - 1
      ),
    };
  },
};

/** The JSON lines of a stage's output in `dir` (none if it is absent, skipped or failed). */
const lines = (dir: string, name: string): Record<string, unknown>[] => {
  let text = "";
  try {
    text = Deno.readTextFileSync(`${dir}/${name}.json`);
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l.trim().startsWith("{")).flatMap((l) => {
    try {
      const v = JSON.parse(l);
      return v.skipped ? [] : [v];
    } catch {
      return [];
    }
  });
};

// deno-lint-ignore no-explicit-any
type Json = any;

stages.summary = () => {
  if (a.out === undefined) return Promise.reject(new Error("summary needs --out DIR"));
  const dir = a.out;
  const fmt = (
    x: number | undefined,
  ) => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(1));
  const ratio = (x?: number, y?: number) =>
    x === undefined || y === undefined || !(y > 0) ? "-" : `${(x / y).toFixed(2)}x`;
  const [adapter]: Json[] = lines(dir, "adapter");
  const [webgpu]: Json[] = lines(dir, "webgpu");
  const cuda: Json[] = lines(dir, "torch-cuda");
  const cpu: Json[] = lines(dir, "torch-cpu");
  const [wasm]: Json[] = lines(dir, "wasm");
  const [train]: Json[] = lines(dir, "train");
  const out: string[] = ["# GPU run", ""];
  const ad = adapter?.adapter;
  out.push(
    ad
      ? `Adapter: ${
        [ad.vendor, ad.architecture, ad.device, ad.description].filter(Boolean).join(" / ")
      }; isFallbackAdapter ${ad.isFallbackAdapter}`
      : `Adapter: none (${adapter?.why ?? "the adapter stage failed: adapter.log"})`,
    "",
    "| rollout steps | WebGPU ms/update | PyTorch CUDA ms/update | WebGPU / CUDA |",
    "|---|---|---|---|",
  );
  const steps = [
    ...new Set([
      ...(webgpu?.rows ?? []).map((r: Json) => r.steps),
      ...cuda.map((r) => r.steps),
    ]),
  ].sort((x, y) => x - y);
  for (const s of steps) {
    const w = webgpu?.rows.find((r: Json) => r.steps === s)?.medianMs;
    const c = cuda.find((r) => r.steps === s)?.result?.median_ms;
    out.push(`| ${s} | ${fmt(w)} | ${fmt(c)} | ${ratio(w, c)} |`);
  }
  out.push(
    "",
    "| rollout steps | workers / threads | tfjs-wasm ms/update | PyTorch CPU ms/update | wasm / torch |",
    "|---|---|---|---|---|",
  );
  for (const r of (wasm?.rows ?? []) as Json[]) {
    const c = cpu.find((t) => t.steps === r.steps && t.threads === r.threads)?.result?.median_ms;
    out.push(
      `| ${r.steps} | ${r.threads} | ${fmt(r.medianMs)} | ${fmt(c)} | ${ratio(r.medianMs, c)} |`,
    );
  }
  out.push("");
  if (train) {
    const first = train.curve[0]?.metrics;
    const last = train.curve.at(-1)?.metrics;
    out.push(
      `Paper preset on ${train.backend}: ${train.updates} updates in ${
        train.seconds.toFixed(1)
      } s, ${train.updatesPerSecond.toFixed(2)} updates/s (${
        fmt(train.steadyUpdatesPerSecond ?? undefined)
      } over the second half); loss ${first?.loss?.toExponential(3) ?? "-"} -> ${
        last?.loss?.toExponential(3) ?? "-"
      }.`,
    );
  } else out.push("Paper preset: no result (train.log).");
  const top = webgpu?.rows?.at(-1)?.profile?.top as Json[] | undefined;
  if (top?.length) {
    out.push(
      "",
      `WebGPU profile of one update at ${webgpu.rows.at(-1).steps} rollout steps (top kernels):`,
      "",
    );
    out.push("| kernel | calls | ms |", "|---|---|---|");
    for (const k of top.slice(0, 12)) out.push(`| ${k.name} | ${k.calls} | ${k.ms.toFixed(2)} |`);
  }
  console.log(out.join("\n"));
  return Promise.resolve(undefined);
};

const run = stages[stage];
if (!run) {
  console.error(`gpu_bench: unknown stage '${stage ?? ""}' (adapter, step, workers or train)`);
  Deno.exit(2);
}
try {
  const result = await run();
  if (result !== undefined) console.log(JSON.stringify({ stage, ...result as object }));
  Deno.exit(0);
} catch (e) {
  console.error(`gpu_bench ${stage}: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
