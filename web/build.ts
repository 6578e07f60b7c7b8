/**
 * Builds the page into `web/dist/` (the library and tfjs with its webgpu and wasm backends bundled
 * for the browser as `app.js`, `index.html`, and the wasm binaries in `wasm/`), and with `--serve`
 * serves it with a run folder beside it:
 *
 *   deno task web                          # build web/dist/
 *   deno task web --serve runs/mass-spring-...  [--port 8123]
 *       # build, then http://127.0.0.1:8123/ rolls out that run's newest checkpoint
 *
 * The run folder is served read-only under `/run/`, with `/run/files.json` listing its files.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmDistUrl } from "../lib/deps/tf.ts";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Bundles the page into `out` (default web/dist); resolves to the folder. */
export const buildPage = async (out = join(here, "dist")): Promise<string> => {
  await Deno.mkdir(join(out, "wasm"), { recursive: true });
  const bundle = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "-o",
      join(out, "app.js"),
      join(here, "app.ts"),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!bundle.success) {
    throw new Error(`deno bundle failed: ${new TextDecoder().decode(bundle.stderr).trim()}`);
  }
  await Deno.copyFile(join(here, "index.html"), join(out, "index.html"));
  if (wasmDistUrl === undefined) {
    throw new Error("the wasm backend's package folder does not resolve");
  }
  const wasmDir = fileURLToPath(wasmDistUrl);
  for await (const e of Deno.readDir(wasmDir)) {
    if (e.name.endsWith(".wasm")) {
      await Deno.copyFile(join(wasmDir, e.name), join(out, "wasm", e.name));
    }
  }
  return out;
};

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  wasm: "application/wasm",
  png: "image/png",
  gif: "image/gif",
};

/** Every file under `dir`, relative, `/`-separated. */
const listFiles = async (dir: string, at = ""): Promise<string[]> => {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, at))) {
    const rel = at ? `${at}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await listFiles(dir, rel));
    else if (e.isFile) out.push(rel);
  }
  return out.sort();
};

/** Serves the built page from `dist` and the run folder `run` under `/run/` on 127.0.0.1. */
export const servePage = (
  dist: string,
  run: string,
  port = 0,
  onListen?: (url: string) => void,
): Deno.HttpServer => {
  const file = async (root: string, path: string): Promise<Response> => {
    const full = resolve(root, `.${path}`);
    if (relative(root, full).startsWith("..")) return new Response("outside", { status: 403 });
    try {
      const body = await Deno.readFile(full);
      const type = TYPES[full.split(".").pop() ?? ""] ?? "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  };
  return Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => onListen?.(`http://127.0.0.1:${port}/`),
  }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/run/files.json") return Response.json(await listFiles(run));
    if (path.startsWith("/run/")) return file(resolve(run), path.slice(4));
    return file(resolve(dist), path === "/" ? "/index.html" : path);
  });
};

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { serve: { type: "string" }, port: { type: "string", default: "8123" } },
  });
  try {
    const dist = await buildPage();
    console.log(`web: built ${relative(Deno.cwd(), dist)}/`);
    if (values.serve !== undefined) {
      const run = values.serve;
      if (!(await Deno.stat(join(run, "config.json")).catch(() => undefined))) {
        throw new Error(`--serve ${run}: not a run folder (no config.json); give one train wrote`);
      }
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`--port must be an integer in [0, 65535], got '${values.port}'`);
      }
      servePage(dist, run, port, (url) => console.log(`web: ${url} (run ${run}; Ctrl-C stops)`));
    }
  } catch (e) {
    console.error(`web: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
