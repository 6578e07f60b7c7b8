/**
 * The gradient worker of the bundled `bench/gpu/gpu_bench.ts`: a bundle cannot import the
 * library's modules by URL, so this worker carries the HGN record itself and is bundled beside it.
 *
 * @module
 */
import { hgn } from "@hamiltonian/hgn/models/hgn";
import { useWasmBinaries } from "@hamiltonian/hgn/tensor";
import { serveGradients } from "@hamiltonian/hgn/train";

if (import.meta.url.endsWith(".js")) useWasmBinaries(new URL("./wasm/", import.meta.url).href);
serveGradients({ hgn });
