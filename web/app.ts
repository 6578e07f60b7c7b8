/**
 * The page (`web/index.html`, built by `deno task web`): a trained HGN rolled out forward,
 * backward (-dt from the last state) and at dt x k, beside the ground truth it generates itself
 * from a seed, with the per-step pixel MSE and the learned energy along the rollout; and NHF
 * trained live beside RealNVP on a 2-D target. Everything runs in the page, on WebGPU where the
 * browser has it (else wasm), from the very files `cli.ts train` writes (config.json and the
 * newest checkpoint, read through the pure codec). What it did goes into `#result` as JSON
 * (backend, adapter, steps rolled, frames, timings), so a test or a person can check it.
 *
 * Query: `?run=URL/` (a run folder served with a `files.json` listing, default `run/`),
 * `?backend=webgpu|wasm|auto` (default auto: webgpu where there is an adapter, else wasm),
 * `?system=` and `?seed=` (the test sequence; default the run's system, seed 0), `?k=` (dt
 * factor of the third rollout, default 2; the slider moves it from 0.25 to 4), `?nhf=N` (NHF and
 * RealNVP updates to train at load, default 0: on a click), `?target=` (default moons),
 * `?hidden=` (their MLP width, default the paper's 128). Where the run folder holds
 * `reference-forward.bin` (the forward frames another program computed, bytes), the page compares
 * its own forward frames with them and reports the largest byte difference.
 *
 * @module
 */
/// <reference lib="dom" />
import { tf } from "../lib/deps/tf.ts";
import { type BackendRequest, useBackend, useWasmBinaries } from "../lib/tensor/backend.ts";
import { toBatch } from "../lib/tensor/frames.ts";
import { decodeCheckpoint } from "../lib/io/checkpoint_codec.ts";
import { type CheckpointRecord, restoreState } from "../lib/train/checkpoint.ts";
import { constrained } from "../lib/train/constrained.ts";
import { disposeState, initState, trainStep } from "../lib/train/state.ts";
import { targetBatches, targetTensor } from "../lib/train/sources.ts";
import { encode, firstFrames, initialState, unroll } from "../lib/models/hgn/network.ts";
import { hgn } from "../lib/models/hgn/model.ts";
import type { HgnConfig } from "../lib/models/hgn/config.ts";
import type { HgnParams } from "../lib/models/hgn/network.ts";
import type { DensityEstimator } from "../lib/models/model.ts";
import type { Params } from "../lib/tensor/params.ts";
import { nhf, NHF_2D } from "../lib/models/nhf/mod.ts";
import { realNvp, REALNVP_2D } from "../lib/models/realnvp/mod.ts";
import { datasetSpec, generator } from "../lib/data/dataset.ts";
import { targets } from "../lib/data/targets.ts";

const query = new URLSearchParams(location.search);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const result: Record<string, unknown> = { ok: false };
const publish = () => ($("result").textContent = JSON.stringify(result));
const status = (line: string) => ($("status").textContent = line);

/** The run's settings as config.json holds them (the fields the page reads). */
interface Settings {
  readonly objective: { readonly model: HgnConfig };
  readonly geco?: unknown;
  readonly data: { readonly system: string; readonly noiseMode: string };
  readonly run: { readonly evalSteps: number };
}

/** A run folder's files: their paths (`config.json`, `checkpoints/step-N.ckpt`) and bytes. */
interface RunFiles {
  /** where they come from, for messages */
  readonly where: string;
  readonly paths: readonly string[];
  readonly read: (path: string) => Promise<Uint8Array>;
}

/** config.json and the newest checkpoint of a run folder, restored. */
const loadRun = async (files: RunFiles) => {
  if (!files.paths.includes("config.json")) throw new Error(`no config.json in ${files.where}`);
  const settings: Settings = JSON.parse(new TextDecoder().decode(await files.read("config.json")));
  const step = (f: string) => Number(/step-(\d+)\.ckpt$/.exec(f)?.[1] ?? -1);
  const newest = files.paths.filter((f) => /^checkpoints\/step-\d+\.ckpt$/.test(f))
    .sort((a, b) => step(a) - step(b)).at(-1);
  if (!newest) throw new Error(`no checkpoint in ${files.where}`);
  const record = decodeCheckpoint(newest, await files.read(newest)) as unknown as CheckpointRecord;
  const model = settings.geco ? constrained(hgn) : hgn;
  const state = restoreState(model as typeof hgn, record);
  return { settings, state, checkpoint: newest, step: record.meta.step, where: files.where };
};

/** The run folder served at `base` (its `files.json` lists it), or undefined where there is none. */
const servedRun = async (base: string): Promise<RunFiles | undefined> => {
  const listing = await fetch(new URL("files.json", base));
  if (!listing.ok) return undefined;
  return {
    where: base,
    paths: await listing.json(),
    read: async (path) => {
      const r = await fetch(new URL(path, base));
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    },
  };
};

/**
 * A run folder from files the user picked or dropped: `config.json` and checkpoints, by their path
 * inside the folder (a folder's own name is dropped) or, for loose files, by their name.
 */
const localRun = (files: readonly File[]): RunFiles => {
  const byPath = new Map<string, File>();
  for (const f of files) {
    const path = (f.webkitRelativePath || f.name).split("/");
    const name = path.at(-1)!;
    if (name === "config.json" && path.length <= 2) byPath.set("config.json", f);
    else if (/^step-\d+\.ckpt$/.test(name)) byPath.set(`checkpoints/${name}`, f);
  }
  return {
    where: `the ${files.length} files opened`,
    paths: [...byPath.keys()],
    read: async (path) => new Uint8Array(await byPath.get(path)!.arrayBuffer()),
  };
};

/** Every file under a dropped entry (a folder is walked). */
const droppedFiles = async (entry: FileSystemEntry, prefix = ""): Promise<File[]> => {
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) =>
      (entry as FileSystemFileEntry).file(ok, fail)
    );
    return [new File([file], `${prefix}${file.name}`)];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const out: File[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) return out;
    for (const e of batch) out.push(...await droppedFiles(e, `${prefix}${entry.name}/`));
  }
};

/** Frames `[T, S, S, 3]` in [0, 1] as bytes per frame (rounded and clipped as the CLI's GIFs). */
const toBytes = async (frames: tf.Tensor): Promise<Uint8Array[]> => {
  const [T, S] = frames.shape as number[];
  const data = await frames.data();
  const per = S * S * 3;
  return Array.from({ length: T }, (_, t) => {
    const out = new Uint8Array(per);
    for (let i = 0; i < per; i++) {
      out[i] = Math.round(Math.min(1, Math.max(0, data[t * per + i])) * 255);
    }
    return out;
  });
};

/** Forward, backward (from the forward's last state, -dt) and dt x k rollouts of one sequence. */
const rollouts = async (
  config: HgnConfig,
  params: HgnParams,
  sequence: Uint8Array,
  steps: number,
  k: number,
) => {
  const batch = toBatch([sequence], Math.max(steps + 1, config.inputFrames), config.size);
  const t0 = performance.now();
  const out = tf.tidy(() => {
    const s0 = initialState(config, params, encode(config, params, batch).mean);
    const fwd = unroll(config, params, s0, config.dt, steps);
    const back = unroll(config, params, fwd.states[steps], -config.dt, steps);
    const scaled = unroll(config, params, s0, k * config.dt, steps);
    const retrace = tf.max(tf.stack(fwd.states.map((s, t) => {
      const b = back.states[steps - t];
      return tf.maximum(tf.max(tf.abs(tf.sub(s.q, b.q))), tf.max(tf.abs(tf.sub(s.p, b.p))));
    })));
    const truth = tf.squeeze(firstFrames(batch, steps + 1), [0]);
    const forward = tf.squeeze(fwd.frames, [0]);
    const mse = tf.mean(tf.square(tf.sub(forward, truth)), [1, 2, 3]);
    return {
      truth,
      forward,
      backward: tf.squeeze(back.frames, [0]),
      scaled: tf.squeeze(scaled.frames, [0]),
      energy: tf.squeeze(fwd.energies, [0]),
      mse,
      retrace,
    };
  });
  batch.dispose();
  const frames = {
    truth: await toBytes(out.truth),
    forward: await toBytes(out.forward),
    backward: await toBytes(out.backward),
    scaled: await toBytes(out.scaled),
  };
  const numbers = {
    mse: Array.from(await out.mse.data() as Float32Array),
    energy: Array.from(await out.energy.data() as Float32Array),
    retraceError: (await out.retrace.data())[0],
  };
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose(Object.values(out));
  // three rollouts of `steps` steps, decoded: frames per second of rolled-out, decoded frames
  return { ...frames, ...numbers, fps: (3 * steps) / seconds };
};

/** Plays byte frames on a canvas, `scale` pixels per pixel, at `fps`. */
const play = (canvas: HTMLCanvasElement, frames: Uint8Array[], size: number, scale = 4) => {
  canvas.width = canvas.height = size * scale;
  const ctx = canvas.getContext("2d")!;
  ctx.imageSmoothingEnabled = false;
  const image = new ImageData(size, size);
  const tmp = document.createElement("canvas");
  tmp.width = tmp.height = size;
  let t = 0;
  const draw = () => {
    const f = frames[t % frames.length];
    for (let i = 0; i < size * size; i++) {
      image.data.set([f[3 * i], f[3 * i + 1], f[3 * i + 2], 255], 4 * i);
    }
    tmp.getContext("2d")!.putImageData(image, 0, 0);
    ctx.drawImage(tmp, 0, 0, size * scale, size * scale);
    t++;
  };
  draw();
  return setInterval(draw, 100);
};

/** A line plot of named series on a canvas (our own: a few lines, no plotting package). */
const plot = (canvas: HTMLCanvasElement, series: Record<string, number[]>, title: string) => {
  const ctx = canvas.getContext("2d")!;
  const [W, H, pad] = [canvas.width, canvas.height, 28];
  ctx.clearRect(0, 0, W, H);
  const all = Object.values(series).flat().filter(Number.isFinite);
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  const span = hi - lo || 1;
  const colors = ["#c0392b", "#2c3e50", "#27ae60", "#8e44ad"];
  ctx.font = "11px sans-serif";
  ctx.fillStyle = "#000";
  ctx.fillText(title, pad, 12);
  ctx.fillText(hi.toExponential(2), 2, pad);
  ctx.fillText(lo.toExponential(2), 2, H - 4);
  Object.entries(series).forEach(([name, ys], j) => {
    ctx.strokeStyle = ctx.fillStyle = colors[j % colors.length];
    ctx.beginPath();
    ys.forEach((y, i) => {
      const x = pad + (i / Math.max(1, ys.length - 1)) * (W - 2 * pad);
      const v = H - pad - ((y - lo) / span) * (H - 2 * pad);
      i === 0 ? ctx.moveTo(x, v) : ctx.lineTo(x, v);
    });
    ctx.stroke();
    ctx.fillText(name, W - pad - 90, 24 + 12 * j);
  });
};

/** Points `[n, 2]` as dots on a canvas spanning [-4, 4]^2. */
const scatter = (canvas: HTMLCanvasElement, xy: Float32Array, color: string) => {
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = color;
  for (let i = 0; i < xy.length; i += 2) {
    const x = ((xy[i] + 4) / 8) * canvas.width;
    const y = ((4 - xy[i + 1]) / 8) * canvas.height;
    ctx.fillRect(x - 1, y - 1, 2, 2);
  }
};

/** The cells of the density image: a `GRID x GRID` grid over [-4, 4]^2, at cell centres. */
const GRID = 24;

/** `[GRID * GRID, 2]` cell centres, row by row from the top (y = 4) down. */
const gridCentres = (): tf.Tensor2D => {
  const xy = new Float32Array(2 * GRID * GRID);
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      xy[2 * (r * GRID + c)] = -4 + (c + 0.5) * (8 / GRID);
      xy[2 * (r * GRID + c) + 1] = 4 - (r + 0.5) * (8 / GRID);
    }
  }
  return tf.tensor2d(xy, [GRID * GRID, 2]);
};

/**
 * Draws the model's density on the grid (its density capability: RealNVP's exact likelihood,
 * NHF's bound with one draw) and returns its mass over [-4, 4]^2 (a Riemann sum: about 1 for a
 * density whose mass lies in the square; a bound gives less).
 */
const drawDensity = async (
  canvas: HTMLCanvasElement,
  logDensity: (x: tf.Tensor2D) => tf.Tensor1D,
): Promise<number> => {
  const at = gridCentres();
  const p = tf.tidy(() => tf.exp(logDensity(at)));
  const values = (await p.data()) as Float32Array;
  tf.dispose([at, p]);
  const max = Math.max(...values);
  const ctx = canvas.getContext("2d")!;
  const cell = canvas.width / GRID;
  values.forEach((v, i) => {
    const shade = Math.round(255 * (1 - Math.min(1, v / max)));
    ctx.fillStyle = `rgb(${shade}, ${shade}, 255)`;
    ctx.fillRect((i % GRID) * cell, Math.floor(i / GRID) * cell, cell + 1, cell + 1);
  });
  return values.reduce((a, v) => a + v, 0) * (8 / GRID) ** 2;
};

/**
 * Trains NHF and RealNVP side by side for `iterations` updates each, drawing samples as it goes and
 * the learned density (every 50 updates and at the end), each through the record's density
 * capability.
 */
const trainDensities = async (iterations: number, target: string, hidden?: number) => {
  const width = hidden === undefined ? {} : { hidden };
  const models = [
    {
      name: "nhf",
      model: nhf,
      config: { ...NHF_2D, ...width },
      canvas: "nhf-samples",
      densityCanvas: "nhf-density",
    },
    {
      name: "realnvp",
      model: realNvp,
      config: { ...REALNVP_2D, ...width },
      canvas: "realnvp-samples",
      densityCanvas: "realnvp-density",
    },
  ] as const;
  const truth = targetTensor(targets[target], 1000, 7);
  scatter($("target-samples"), (await truth.data()) as Float32Array, "#555");
  truth.dispose();
  const out: Record<string, unknown> = {};
  for (const m of models) {
    // deno-lint-ignore no-explicit-any
    const state = initState(m.model as any, m.config, { learningRate: 1e-3, seed: 0 });
    const source = targetBatches(targets[target], { seed: 0, batchSize: 256 });
    const losses: number[] = [];
    const t0 = performance.now();
    const record = m.model as unknown as DensityEstimator<typeof m.config, Params>;
    let mass = NaN;
    for (let i = 0; i < iterations; i++) {
      const batch = await source.batchAt(i);
      losses.push((await trainStep(state, batch)).loss);
      source.release?.(batch);
      if (i % 10 === 9 || i === iterations - 1) {
        const s = tf.tidy(() => record.sample(m.config, state.params as Params, 500, 1));
        scatter($(m.canvas), (await s.data()) as Float32Array, "#c0392b");
        s.dispose();
        if (i % 50 === 49 || i === iterations - 1) {
          mass = await drawDensity(
            $(m.densityCanvas),
            (x) => record.logDensity(m.config, state.params as Params, x, { draws: 1, seed: 2 }),
          );
        }
        status(`${m.name}: update ${i + 1}/${iterations}, loss ${losses.at(-1)!.toFixed(3)}`);
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    out[m.name] = { iterations, losses, itPerSec: iterations / seconds, mass, exact: record.exact };
    disposeState(state);
  }
  plot(
    $("density-loss"),
    Object.fromEntries(
      Object.entries(out).map(([k, v]) => [k, (v as { losses: number[] }).losses]),
    ),
    `negative log-likelihood (bound) per update, ${target}`,
  );
  return out;
};

/** The weights the rollouts use now (disposed when another run is shown). */
let shown: { dispose: () => void } | undefined;

/**
 * Rolls a loaded run out beside the truth: the animated canvases, the slider, the plots; what it
 * did, for `#result`. `base`: the served folder, where `reference-forward.bin` may be.
 */
const showRun = async (run: Awaited<ReturnType<typeof loadRun>>, base?: string) => {
  shown?.dispose();
  const timers: ReturnType<typeof play>[] = [];
  shown = {
    dispose: () => {
      timers.forEach((t) => clearInterval(t));
      disposeState(run.state);
    },
  };
  const config = run.settings.objective.model;
  const steps = run.settings.run.evalSteps;
  const system = query.get("system") ?? run.settings.data.system;
  const seed = Number(query.get("seed") ?? 0);
  let k = Number(query.get("k") ?? 2);
  const gen = generator(datasetSpec({
    system,
    seed,
    steps: Math.max(steps, config.inputFrames - 1),
    size: config.size,
    noiseMode: run.settings.data.noiseMode as never,
  }));
  const sequence = gen.example("test", 0).pixels;
  status(`rolling out ${run.checkpoint} (update ${run.step}) on ${system}, seed ${seed}`);
  const r = await rollouts(config, run.state.params, sequence, steps, k);
  timers.push(
    play($("truth"), r.truth, config.size),
    play($("forward"), r.forward, config.size),
    play($("backward"), [...r.backward].reverse(), config.size),
  );
  let scaledTimer = play($("scaled"), r.scaled, config.size);
  timers.push(scaledTimer);
  $("scaled-label").textContent = `dt x ${k}`;
  const slider = $("k") as HTMLInputElement;
  slider.value = String(k);
  slider.onchange = async () => {
    k = Number(slider.value);
    status(`rolling out at dt x ${k}`);
    const again = await rollouts(config, run.state.params, sequence, steps, k);
    clearInterval(scaledTimer);
    scaledTimer = play($("scaled"), again.scaled, config.size);
    timers.push(scaledTimer);
    $("scaled-label").textContent = `dt x ${k}`;
    status(`dt x ${k}: ${again.fps.toFixed(1)} frames/s`);
  };
  // frames another program computed for the same checkpoint and sequence, where the run has them
  let maxFrameDifference: number | null = null;
  const reference = base === undefined
    ? undefined
    : await fetch(new URL("reference-forward.bin", base));
  if (reference?.ok) {
    const ref = new Uint8Array(await reference.arrayBuffer());
    const per = r.forward[0].length;
    if (ref.length !== per * r.forward.length) {
      throw new Error(
        `reference-forward.bin: ${ref.length} bytes, ${per * r.forward.length} expected`,
      );
    }
    maxFrameDifference = 0;
    r.forward.forEach((f, t) =>
      f.forEach((v, i) =>
        maxFrameDifference = Math.max(maxFrameDifference!, Math.abs(v - ref[t * per + i]))
      )
    );
  }
  plot($("mse"), { "pixel MSE": r.mse }, "per-step pixel MSE against the truth");
  plot(
    $("energy"),
    { "H along the rollout": r.energy },
    "learned energy along the forward rollout",
  );
  const b64 = (frames: Uint8Array[]) => {
    const all = new Uint8Array(frames.length * frames[0].length);
    frames.forEach((f, i) => all.set(f, i * f.length));
    let s = "";
    for (let i = 0; i < all.length; i += 0x8000) {
      s += String.fromCharCode(...all.subarray(i, i + 0x8000));
    }
    return btoa(s);
  };
  return {
    where: run.where,
    checkpoint: run.checkpoint,
    step: run.step,
    system,
    seed,
    steps,
    k,
    retraceError: r.retraceError,
    maxFrameDifference,
    fps: r.fps,
    mse: r.mse,
    energy: r.energy,
    forward: b64(r.forward),
    backward: b64(r.backward),
  };
};

const main = async () => {
  useWasmBinaries(new URL("wasm/", location.href).href);
  const requested = (query.get("backend") ?? "auto") as BackendRequest;
  let choice;
  try {
    choice = await useBackend(requested);
  } catch (e) {
    if (requested !== "auto") throw e;
    choice = await useBackend("wasm");
  }
  result.backend = choice.backend;
  const gpu = (navigator as { gpu?: GPU }).gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  result.adapter = adapter
    ? {
      vendor: adapter.info.vendor,
      architecture: adapter.info.architecture,
      device: adapter.info.device,
      description: adapter.info.description,
      isFallbackAdapter: (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
        (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? null,
    }
    : null;
  $("backend").textContent = choice.backend === "webgpu"
    ? `backend webgpu on ${choice.adapter.description}`
    : `${choice.report} (WebGPU adapter: ${choice.adapter.description})`;

  const base = new URL(query.get("run") ?? "run/", location.href).href;
  const served = await servedRun(base);
  if (served) result.hgn = await showRun(await loadRun(served), base);
  else if (query.get("run")) throw new Error(`no run folder at ${base} (no files.json there)`);
  else status("open a run folder: pick its config.json and checkpoint, or drop the folder here");
  publish();
  // a run folder from this computer: the file input, or files and folders dropped on the page
  const open = async (files: File[]) => {
    try {
      result.local = await showRun(await loadRun(localRun(files)));
    } catch (e) {
      result.local = { error: e instanceof Error ? e.message : String(e) };
      status(`error: ${(result.local as { error: string }).error}`);
    }
    publish();
  };
  const input = $("run-files") as HTMLInputElement;
  input.onchange = () => void open([...(input.files ?? [])]);
  document.body.ondragover = (e) => e.preventDefault();
  document.body.ondrop = async (e) => {
    e.preventDefault();
    const entries = [...(e.dataTransfer?.items ?? [])].flatMap((i) => i.webkitGetAsEntry() ?? []);
    await open((await Promise.all(entries.map((x) => droppedFiles(x)))).flat());
  };

  const iterations = Number(query.get("nhf") ?? 0);
  const target = query.get("target") ?? "moons";
  $("train").onclick = async () => {
    result.densities = await trainDensities(
      Number(($("iterations") as HTMLInputElement).value),
      target,
    );
    publish();
  };
  if (iterations > 0) result.densities = await trainDensities(iterations, target);
  result.ok = true;
  status("done");
  publish();
};

main().catch((e) => {
  result.error = e instanceof Error ? e.message : String(e);
  status(`error: ${result.error}`);
  publish();
});
