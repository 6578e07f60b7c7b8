/**
 * Backend policy: which tfjs backend runs the tensors, chosen in this one module.
 *
 * - `auto`: webgpu only when Deno's `navigator.gpu` gives a real GPU adapter (not a fallback
 *   adapter and not a software rasteriser such as llvmpipe, lavapipe or SwiftShader, which are
 *   10-15x slower than wasm on this kind of model), else wasm (SIMD), else cpu.
 * - `webgpu | wasm | cpu`: exactly that backend, or an `Error` saying why it is unavailable; never
 *   a silent fallback. An explicit `webgpu` accepts a software adapter (useful for correctness).
 *
 * @module
 */
import { setWasmPaths, tf, wasmDistUrl } from "../deps/tf.ts";
import { registerHigherOrderGradients } from "./gradients.ts";
import { registerKernelFixes } from "./kernels.ts";

/** A backend a user may ask for. */
export type BackendRequest = "auto" | "webgpu" | "wasm" | "cpu";

/** A concrete tfjs backend. */
export type BackendName = "webgpu" | "wasm" | "cpu";

/** Every accepted {@link BackendRequest}, in the order a usage line lists them. */
export const backendRequests: readonly BackendRequest[] = ["auto", "webgpu", "wasm", "cpu"];

/** What was learnt about the GPU adapter, if any. */
export interface GpuAdapterInfo {
  /** a human description, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`, or why there is none */
  readonly description: string;
  /** the adapter exists */
  readonly present: boolean;
  /** the adapter is a fallback or a software rasteriser (not a real GPU) */
  readonly software: boolean;
}

/** The backend in use after {@link useBackend}, with the adapter and a one-line report. */
export interface BackendChoice {
  readonly requested: BackendRequest;
  readonly backend: BackendName;
  readonly adapter: GpuAdapterInfo;
  /** one line, e.g. `backend wasm (simd; auto: GPU adapter llvmpipe ... is software)` */
  readonly report: string;
}

const softwareNames = /llvmpipe|lavapipe|swiftshader|software|basic render|microsoft basic/i;

/**
 * Whether an adapter description names a software rasteriser (llvmpipe, lavapipe, SwiftShader,
 * Microsoft Basic Render) rather than a GPU.
 *
 * @example
 * ```ts
 * import { isSoftwareAdapterName } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(isSoftwareAdapterName("llvmpipe (LLVM 15.0.6, 256 bits)"), true);
 * strictEqual(isSoftwareAdapterName("NVIDIA GeForce RTX 4090"), false);
 * ```
 */
export const isSoftwareAdapterName = (description: string): boolean =>
  softwareNames.test(description);

/**
 * Parses a user's backend name; a `RangeError` naming the accepted values otherwise.
 *
 * @example
 * ```ts
 * import { parseBackendRequest } from "@hamiltonian/hgn/tensor";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(parseBackendRequest("wasm"), "wasm");
 * throws(() => parseBackendRequest("gpu"), RangeError);
 * ```
 */
export const parseBackendRequest = (name: string): BackendRequest => {
  if ((backendRequests as readonly string[]).includes(name)) return name as BackendRequest;
  throw new RangeError(`unknown backend '${name}'; accepted: ${backendRequests.join(", ")}`);
};

interface AdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: {
    readonly description?: string;
    readonly vendor?: string;
    readonly device?: string;
    readonly architecture?: string;
    readonly isFallbackAdapter?: boolean;
  };
}

/**
 * Asks `navigator.gpu` for an adapter and classifies it. Never throws: no WebGPU, or no adapter,
 * gives `present: false` with the reason in `description`.
 *
 * @example
 * ```ts
 * import { probeGpuAdapter } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * const a = await probeGpuAdapter();
 * strictEqual(typeof a.description, "string");
 * ```
 */
export const probeGpuAdapter = async (): Promise<GpuAdapterInfo> => {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } })?.gpu;
  if (!gpu) return { description: "no navigator.gpu", present: false, software: false };
  let adapter: AdapterLike | null;
  try {
    adapter = (await gpu.requestAdapter()) as AdapterLike | null;
  } catch (e) {
    return {
      description: `requestAdapter failed: ${(e as Error).message}`,
      present: false,
      software: false,
    };
  }
  if (!adapter) return { description: "no GPU adapter", present: false, software: false };
  const info = adapter.info ?? {};
  const description = [info.description, info.vendor && `vendor ${info.vendor}`]
    .filter((s) => s).join(", ") || "unnamed adapter";
  const fallback = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true;
  return {
    description: fallback ? `${description} (fallback adapter)` : description,
    present: true,
    software: fallback || isSoftwareAdapterName(description),
  };
};

/**
 * A backend was asked for by name and cannot start here (no GPU adapter, no permission to read
 * the wasm binary...): an environment problem, said in one line, not a bug.
 *
 * @example
 * ```ts
 * import { BackendUnavailableError } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(new BackendUnavailableError("x").name, "BackendUnavailableError");
 * ```
 */
export class BackendUnavailableError extends Error {
  override name = "BackendUnavailableError";
}

let wasmPathsSet = false;
/** Why the last backend that failed to start failed (tfjs only warns), one line. */
let lastFailure = "";

/**
 * Where the wasm backend loads its `.wasm` binaries from, before it first starts: a folder (path
 * or URL). By default the npm package's own folder; a bundled program or a page that carries the
 * binaries (`tfjs-backend-*.wasm` of @tensorflow/tfjs-backend-wasm 4.22.0) names their folder here.
 *
 * @example
 * ```ts ignore
 * import { useBackend, useWasmBinaries } from "@hamiltonian/hgn/tensor";
 * useWasmBinaries(new URL("./wasm/", import.meta.url).href); // carried beside the bundle
 * await useBackend("wasm");
 * ```
 */
export const useWasmBinaries = (dir: string): void => {
  const url = dir.endsWith("/") ? dir : `${dir}/`;
  const folder = url.startsWith("file:") ? new URL(url).pathname : url;
  setWasmPaths(folder);
  wasmPathsSet = true;
  // a bundle inlines the backend's CommonJS loader, which reads `__dirname` where it sees Node's
  // globals (Deno has them): give it the folder, as Node gives a package its own
  const g = globalThis as { __dirname?: string };
  g.__dirname ??= folder;
};

/** What a release needs of tfjs-webgpu's backend: its device. */
interface WebgpuBackendLike {
  readonly device?: { destroy(): void };
}

/**
 * Releases the webgpu backend, if one was started in this process: frees its buffers (tfjs's
 * `removeBackend`, which disposes it) and destroys its GPU device, so a long-lived process (a
 * page, a script that moves on to wasm) gives the GPU's memory back. Afterwards webgpu cannot start
 * again in this process (tfjs removes its factory) and tensors of the webgpu backend must not be
 * used. Returns whether there was a backend to release. (Releasing before exit does not cure the
 * occasional abort at exit on Mesa's software rasteriser: docs/performance.md.)
 *
 * @example
 * ```ts
 * import { releaseWebgpu } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(releaseWebgpu(), false); // no webgpu backend was started
 * ```
 */
export const releaseWebgpu = (): boolean => {
  // (not tf.findBackend: on a backend not yet started it starts one)
  const backend = tf.engine().registry.webgpu as WebgpuBackendLike | undefined;
  if (backend === undefined) return false;
  const device = backend.device;
  tf.removeBackend("webgpu");
  device?.destroy();
  return true;
};

const trySet = async (name: BackendName): Promise<boolean> => {
  if (name === "wasm" && !wasmPathsSet) {
    if (wasmDistUrl === undefined) {
      lastFailure = "its .wasm binaries are not found (a bundle or page names their folder with " +
        "useWasmBinaries)";
      return false;
    }
    setWasmPaths(new URL(wasmDistUrl).pathname);
    wasmPathsSet = true;
  }
  const said: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) =>
    void said.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(" "));
  let ok = false;
  try {
    ok = await tf.setBackend(name) && tf.getBackend() === name;
  } catch (e) {
    said.push(e instanceof Error ? e.message : String(e));
  } finally {
    console.warn = warn;
  }
  if (ok && name === "cpu") quietFirstCpuWrite();
  // tfjs-webgpu hands kernels whose inputs are small and still on the CPU (constants such as
  // tf.scalar(0)) to its CPU implementations: every kernel of an update runs on the GPU instead
  // (tests/train/webgpu_update_test.ts counts them per model)
  if (ok && name === "webgpu") tf.env().set("WEBGPU_CPU_FORWARD", false);
  if (!ok) {
    const reason = said.join(" ").replace(/\s+/g, " ").trim();
    // A missing Deno permission (tfjs wraps it twice): keep the sentence that names it.
    const permission = /Requires [^,]+, run again with the --allow-\w+ flag/.exec(reason);
    lastFailure = permission
      ? `missing permission: ${permission[0]}`
      : reason === ""
      ? "no reason given"
      : reason.slice(0, 300);
  }
  return ok;
};

// The cpu backend prints a multi-line "install tfjs-node" banner at its first tensor under Deno
// (it believes it runs in Node); the backend report line replaces it.
let cpuQuieted = false;
const quietFirstCpuWrite = (): void => {
  if (cpuQuieted) return;
  cpuQuieted = true;
  const warn = console.warn;
  console.warn = () => {};
  try {
    tf.tensor1d([0]).dispose();
  } finally {
    console.warn = warn;
  }
};

/**
 * Chooses and activates a backend by the policy of this module, and returns what was chosen
 * with a one-line report (`log`, when given, receives that line). Asking explicitly for a
 * backend that cannot start throws an `Error` that says why and what is available; `auto`
 * never throws while cpu works. It also registers the verified higher-order gradients
 * ({@link registerHigherOrderGradients}, idempotent), so every backend it starts differentiates
 * correctly to second order, and the faster paths of slow kernels ({@link registerKernelFixes}).
 *
 * @example
 * ```ts
 * import { useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * const choice = await useBackend("cpu");
 * strictEqual(choice.backend, "cpu");
 * strictEqual(choice.report.startsWith("backend cpu"), true);
 * ```
 */
export const useBackend = async (
  request: BackendRequest,
  log?: (line: string) => void,
): Promise<BackendChoice> => {
  registerHigherOrderGradients();
  registerKernelFixes();
  const adapter = request === "auto" || request === "webgpu"
    ? await probeGpuAdapter()
    : { description: "not probed", present: false, software: false };
  const done = (backend: BackendName, why: string): BackendChoice => {
    const simd = backend === "wasm"
      ? (tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "simd" : "no simd")
      : "";
    const detail = [simd, why].filter((s) => s).join("; ");
    const report = `backend ${backend}${detail ? ` (${detail})` : ""}`;
    log?.(report);
    return { requested: request, backend, adapter, report };
  };
  if (request !== "auto") {
    if (request === "webgpu" && !adapter.present) {
      throw new BackendUnavailableError(
        `backend webgpu is unavailable: ${adapter.description}; use --backend wasm or cpu`,
      );
    }
    if (!(await trySet(request))) {
      throw new BackendUnavailableError(
        `backend ${request} failed to start${
          request === "webgpu" ? ` on adapter ${adapter.description}` : ""
        } (${lastFailure}); accepted: ${backendRequests.join(", ")}`,
      );
    }
    return done(request, request === "webgpu" ? `adapter ${adapter.description}` : "requested");
  }
  if (adapter.present && !adapter.software && (await trySet("webgpu"))) {
    return done("webgpu", `auto: GPU adapter ${adapter.description}`);
  }
  const why = adapter.present
    ? adapter.software
      ? `auto: GPU adapter ${adapter.description} is software`
      : `auto: webgpu failed on ${adapter.description}`
    : `auto: ${adapter.description}`;
  if (await trySet("wasm")) return done("wasm", why);
  const wasmFailure = lastFailure;
  if (wasmFailure.startsWith("missing permission")) {
    // Not a reason to fall back to a backend 10x slower without a word.
    throw new BackendUnavailableError(
      `backend wasm cannot start, ${wasmFailure} (or choose --backend cpu, about 10x slower)`,
    );
  }
  if (await trySet("cpu")) return done("cpu", `${why}; wasm failed: ${wasmFailure}`);
  throw new BackendUnavailableError(
    `no tfjs backend could start (tried webgpu, wasm, cpu; last: ${lastFailure})`,
  );
};
