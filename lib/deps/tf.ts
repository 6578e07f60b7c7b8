/**
 * The only door to TensorFlow.js: full pinned `npm:` specifiers. The wasm and webgpu backends
 * are imported for their side effect (they register themselves with the engine); an unused
 * namespace import would be dropped and the backend would never register.
 *
 * Only `lib/tensor` imports this file, so importing `@hamiltonian/hgn` or its core never
 * downloads tfjs.
 *
 * ```ts
 * import { tf } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(typeof tf.grad, "function");
 * ```
 * @module
 */
import "npm:@tensorflow/tfjs-backend-wasm@4.22.0";
import "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";

export * as tf from "npm:@tensorflow/tfjs@4.22.0";
export { setWasmPaths } from "npm:@tensorflow/tfjs-backend-wasm@4.22.0";

/**
 * The folder (a `file:` URL ending in `/`) that holds the wasm backend's `.wasm` binaries inside
 * the npm package, resolved through Deno's npm cache; undefined where the package does not
 * resolve to a folder (a bundle run without the cache, a page), which then names the folder with
 * `useWasmBinaries`.
 */
export const wasmDistUrl: string | undefined = (() => {
  try {
    const url = new URL("./", import.meta.resolve("npm:@tensorflow/tfjs-backend-wasm@4.22.0"));
    return url.protocol === "file:" ? url.href : undefined;
  } catch {
    return undefined;
  }
})();
