// A user imports mod.ts by URL: serve the repository on 127.0.0.1, run a separate script that
// imports http://127.0.0.1:PORT/mod.ts with a fresh Deno cache, composes a flow from two
// Hamiltonians, inverts it, and checks it returns to the start; tfjs must never be fetched.
import { ok, strictEqual } from "node:assert/strict";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

const userScript = (base: string) => `
import {
  andThen, float64Space, flow, hamiltonian, implicitLeapfrog, leapfrog, phase, power, separable,
} from "${base}/mod.ts";
// A quartic double well, K + V, and a non-separable coupling: two Hamiltonians of the user's own.
const well = separable<Float64Array>({
  kinetic: (p) => p.reduce((a, x) => a + x * x / 2, 0),
  potential: (q) => q.reduce((a, x) => a + x ** 4 / 4 - x * x / 2, 0),
  dK: (p) => p.slice(),
  dV: (q) => q.map((x) => x ** 3 - x),
  add: (a, b) => a + b,
});
const coupled = hamiltonian<Float64Array>({
  dHdq: (s) => s.q.map((q, i) => q * (1 + s.p[i] ** 2)),
  dHdp: (s) => s.p.map((p, i) => p * (1 + s.q[i] ** 2)),
  energy: (s) => s.q.reduce((a, q, i) => a + (1 + q * q) * (1 + s.p[i] ** 2) / 2, 0),
});
const f = power(andThen(flow(leapfrog, float64Space, well)(0.1), flow(implicitLeapfrog, float64Space, coupled)(0.05)), 25);
const s0 = phase(Float64Array.of(0.3, -1.1), Float64Array.of(0.5, 0.2));
const s1 = f.forward(s0);
const back = f.inverse(s1);
let err = 0;
for (let i = 0; i < 2; i++) err = Math.max(err, Math.abs(back.q[i] - s0.q[i]), Math.abs(back.p[i] - s0.p[i]));
let moved = 0;
for (let i = 0; i < 2; i++) moved = Math.max(moved, Math.abs(s1.q[i] - s0.q[i]));
console.log(JSON.stringify({ err, moved }));
`;

const types: Record<string, string> = {
  ".ts": "application/typescript",
  ".json": "application/json",
};

Deno.test("import by URL: mod.ts from http://127.0.0.1 composes and inverts a custom flow, without tfjs", async () => {
  const requested: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = normalize(decodeURIComponent(new URL(req.url).pathname));
    requested.push(path);
    const file = join(root, path);
    if (!file.startsWith(root)) return new Response("forbidden", { status: 403 });
    try {
      return new Response(await Deno.readFile(file), {
        headers: { "content-type": types[extname(file)] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const dir = await Deno.makeTempDir({ prefix: "hgn_url_" });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const script = join(dir, "user.ts");
    await Deno.writeTextFile(script, userScript(base));
    const denoDir = join(dir, "deno_dir");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        `--allow-import=127.0.0.1:${server.addr.port},registry.npmjs.org`,
        script,
      ],
      cwd: dir,
      env: { DENO_DIR: denoDir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    const { err, moved } = JSON.parse(stdout.trim().split("\n").at(-1)!);
    ok(moved > 0.1, `the flow should move the state, moved ${moved}`);
    ok(err < 1e-12, `round trip error ${err}`);
    ok(requested.includes("/mod.ts"));
    ok(
      !requested.some((p) => p.includes("tensor")),
      `tensor files fetched: ${requested.join(", ")}`,
    );
    const npm = join(denoDir, "npm", "registry.npmjs.org");
    const fetched = [];
    try {
      for await (const e of Deno.readDir(npm)) fetched.push(e.name);
    } catch { /* no npm packages at all is fine */ }
    ok(
      !fetched.some((n) => n.includes("tensorflow")),
      `npm packages fetched: ${fetched.join(", ")}`,
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
