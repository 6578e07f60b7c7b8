/**
 * The gradient worker of the bundled `bench/gpu/gpu_bench.ts`: a bundle cannot import the
 * library's modules by URL, so this worker carries the model records itself (the registry) and is bundled beside it.
 *
 * @module
 */
import { useWasmBinaries } from "@hamiltonian/hgn/tensor";
import { MODEL_RECORDS, serveGradients } from "@hamiltonian/hgn/train";

if (import.meta.url.endsWith(".js")) useWasmBinaries(new URL("./wasm/", import.meta.url).href);
serveGradients(MODEL_RECORDS);
