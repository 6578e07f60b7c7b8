// Enforces the layering rules of ARCHITECTURE.md from the module graph `deno info --json` reports.
import { ok } from "node:assert/strict";
import { relative, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const root = resolve(fromFileUrl(new URL("..", import.meta.url)));

/** Which lib folders each lib folder may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  deps: [],
  core: ["deps"],
  // the laws users run on their own maps: pure, on the core alone
  laws: ["deps", "core"],
  systems: ["deps", "core"],
  data: ["deps", "core", "systems"],
  tensor: ["deps", "core"],
  models: ["deps", "core", "tensor"],
  train: ["deps", "core", "systems", "data", "tensor", "models"],
  // io stores named tensors and JSON for any model: it never imports train or models
  io: ["deps", "core", "systems", "data"],
  // a run end to end: the one lib layer that combines io, train and models; nothing imports it
  runs: ["deps", "core", "systems", "data", "tensor", "models", "train", "io"],
};
/** The pure layers may reach third-party code only through these deps files. */
const PURE_DEPS: Record<string, readonly string[]> = {
  core: ["lib/deps/fp.ts"],
  laws: ["lib/deps/fp.ts"],
  systems: ["lib/deps/fp.ts"],
};

const libFiles = async (dir = "lib"): Promise<string[]> => {
  const out: string[] = [];
  for await (const e of Deno.readDir(resolve(root, dir))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await libFiles(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
};

type Graph = Map<string, string[]>;

/** The local import graph of every lib file (relative paths), plus third-party specifiers. */
const moduleGraph = async (files: string[]): Promise<Graph> => {
  const entry = await Deno.makeTempFile({ dir: root, prefix: ".layering_", suffix: ".ts" });
  try {
    await Deno.writeTextFile(entry, files.map((f) => `import "./${f}";`).join("\n"));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    ok(out.success, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string; dependencies?: { code?: { specifier: string } }[] }[];
    };
    const graph: Graph = new Map();
    for (const m of info.modules) {
      if (!m.specifier.startsWith("file://")) continue;
      const from = relative(root, fromFileUrl(m.specifier));
      const deps = (m.dependencies ?? []).flatMap((d) => d.code ? [d.code.specifier] : []).map((
        s,
      ) => s.startsWith("file://") ? relative(root, fromFileUrl(s)) : s);
      graph.set(from, deps);
    }
    return graph;
  } finally {
    await Deno.remove(entry);
  }
};

const files = await libFiles();
const graph = await moduleGraph(files);
const layer = (path: string) => path.startsWith("lib/") ? path.split("/")[1] : undefined;

Deno.test("layering: lib folders import only the layers below them, files not folder barrels", () => {
  const problems: string[] = [];
  for (const file of files) {
    const from = layer(file)!;
    for (const dep of graph.get(file) ?? []) {
      if (dep.startsWith("npm:") || dep.startsWith("node:") || dep.startsWith("http")) {
        if (from !== "deps" && !dep.startsWith("node:")) {
          problems.push(`${file} names ${dep}: only lib/deps may`);
        }
        if (dep.startsWith("node:") && (from === "core" || from === "systems")) {
          problems.push(`${file} imports ${dep}: the pure core must not`);
        }
        continue;
      }
      const to = layer(dep);
      if (to === undefined) {
        problems.push(`${file} imports ${dep}, outside lib`);
        continue;
      }
      if (to !== from && !ALLOWED[from]?.includes(to)) {
        problems.push(`${file} (${from}) imports ${dep} (${to})`);
      }
      if (to === "deps" && PURE_DEPS[from] && !PURE_DEPS[from].includes(dep)) {
        problems.push(
          `${file} (${from}) imports ${dep}: the pure layers may use only ${PURE_DEPS[from]}`,
        );
      }
      if (dep.endsWith("/mod.ts") && dep !== file) {
        problems.push(`${file} imports the barrel ${dep}`);
      }
      // lib/models/<name>/ may import the shared interface files lib/models/*.ts, never another
      // model's folder; of the shared files only the registry (one row per family) imports them
      const modelOf = (p: string) => p.split("/").length > 3 ? p.split("/")[2] : undefined;
      if (
        from === "models" && to === "models" && modelOf(dep) !== undefined &&
        modelOf(file) !== modelOf(dep) && file !== "lib/models/registry.ts"
      ) {
        problems.push(`${file} imports another model: ${dep}`);
      }
    }
  }
  ok(problems.length === 0, problems.join("\n"));
});

Deno.test("layering: only lib/io and lib/runs touch Deno.*", async () => {
  const problems: string[] = [];
  for (const file of files) {
    if (layer(file) === "io" || layer(file) === "runs") continue;
    const text = await Deno.readTextFile(resolve(root, file));
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    if (/\bDeno\./.test(code)) problems.push(file);
  }
  ok(problems.length === 0, `Deno.* outside lib/io and lib/runs: ${problems.join(", ")}`);
});

/**
 * Modules a browser page imports (bundled with tfjs): they reach no `node:` module and no `Deno.*`,
 * and no third-party code but through lib/deps.
 */
const BROWSER_SAFE = [
  "lib/io/checkpoint_codec.ts",
  "lib/core/mod.ts",
  "lib/train/checkpoint.ts",
  "lib/models/hgn/mod.ts",
  "lib/models/nhf/mod.ts",
  "lib/models/realnvp/mod.ts",
  "lib/data/mod.ts",
];

Deno.test("layering: the browser-safe modules reach no node: module and no Deno.*", async () => {
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = async (file: string, from: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (file.startsWith("npm:") && from.startsWith("lib/deps/")) return;
    if (!file.startsWith("lib/")) return void problems.push(`${from} imports ${file}`);
    const text = await Deno.readTextFile(resolve(root, file));
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    if (/\bDeno\./.test(code)) problems.push(`${file} touches Deno.*`);
    for (const dep of graph.get(file) ?? []) await visit(dep, file);
  };
  for (const f of BROWSER_SAFE) await visit(f, f);
  ok(problems.length === 0, problems.join("\n"));
});

Deno.test("layering: no import cycles among lib files", () => {
  const state = new Map<string, "visiting" | "done">();
  const cycle: string[] = [];
  const visit = (f: string, path: string[]): boolean => {
    if (state.get(f) === "done") return false;
    if (state.get(f) === "visiting") {
      cycle.push(...path.slice(path.indexOf(f)), f);
      return true;
    }
    state.set(f, "visiting");
    for (const d of graph.get(f) ?? []) {
      if (d.startsWith("lib/") && visit(d, [...path, f])) return true;
    }
    state.set(f, "done");
    return false;
  };
  for (const f of files) if (visit(f, [])) break;
  ok(cycle.length === 0, `cycle: ${cycle.join(" -> ")}`);
});

Deno.test("layering: the core's module graph holds no tfjs", () => {
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const d of graph.get(f) ?? []) walk(d);
  };
  walk("lib/core/mod.ts");
  walk("lib/systems/mod.ts");
  const tf = [...seen].filter((s) => s.includes("tensorflow"));
  ok(tf.length === 0, `core reaches ${tf.join(", ")}`);
});

Deno.test("layering: no CLI logic in lib (no printing, exiting, progress bars or argv)", async () => {
  const problems: string[] = [];
  for (const file of files) {
    if (layer(file) === "deps") continue;
    const text = await Deno.readTextFile(resolve(root, file));
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    for (
      const [pattern, what] of [
        [/\bconsole\.(log|error|info)\(/, "prints"],
        [/\bDeno\.(exit|args)\b/, "exits or reads argv"],
        [/\bprocess\.(exit|argv)\b/, "exits or reads argv"],
        [/deps\/progress\.ts/, "draws a progress bar"],
        [/\bparseArgs\b/, "parses flags"],
        [/addSignalListener/, "handles signals"],
      ] as const
    ) {
      if (pattern.test(code)) problems.push(`${file} ${what}`);
    }
  }
  ok(problems.length === 0, `CLI logic in lib: ${problems.join(", ")}`);
});

Deno.test("layering: the public barrels re-export no third-party symbol but tfjs's one instance", async () => {
  const barrels = ["mod.ts", ...(await libFiles()).filter((f) => f.endsWith("/mod.ts"))];
  const found: string[] = [];
  for (const file of barrels) {
    const text = await Deno.readTextFile(resolve(root, file));
    for (const m of text.matchAll(/^export\s+([^;]*?)\s+from\s+"([^"]+)"/gms)) {
      const from = m[2];
      const thirdParty = from.startsWith("npm:") || from.includes("/deps/");
      // users make their tensors with the very tfjs instance the backends and kernels are on
      const allowed = file === "lib/tensor/mod.ts" && m[1] === "{ tf }" && from === "../deps/tf.ts";
      if (thirdParty && !allowed) found.push(`${file}: export ${m[1]} from "${from}"`);
    }
  }
  ok(found.length === 0, `third-party symbols in a public barrel:\n${found.join("\n")}`);
});
