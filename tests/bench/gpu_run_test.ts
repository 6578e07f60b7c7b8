// The GPU-machine script (bench/gpu/run.sh) end to end on this machine, with tiny sizes
// (--dry-run): prepared as for the GPU machine (bench/gpu/prepare.sh: the deno binary, the
// bundles, the wasm binaries; no npm cache is used), every stage must run and write its result,
// so that the GPU minutes are never spent on a typo. Where this machine has no WebGPU adapter at
// all, the stages that need one must fail, and only those.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));

const run = async (cmd: string, args: string[]) => {
  const out = await new Deno.Command(cmd, { args, cwd: repo, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
};

const json = async (dir: string, name: string) =>
  (await Deno.readTextFile(join(dir, `${name}.json`))).trim().split("\n").filter((l) =>
    l.startsWith("{")
  ).map((l) => JSON.parse(l));

const hasTorch = new Deno.Command("sh", {
  args: [
    "-c",
    'for p in python3 /usr/bin/python3; do "$p" -c "import torch" && exit 0; done; exit 1',
  ],
  stdout: "null",
  stderr: "null",
}).outputSync().success;

Deno.test("bench/gpu/run.sh --dry-run: every stage runs from the prepared bundles and reports", async () => {
  const prepared = await run("bash", ["bench/gpu/prepare.sh", "--no-gl", "--xz-level", "0"]);
  strictEqual(prepared.code, 0, prepared.text);
  const out = await Deno.makeTempDir({ prefix: "gpu_dry_" });
  try {
    const r = await run("bash", ["bench/gpu/run.sh", "--dry-run", "--out", join(out, "run")]);
    const dir = join(out, "run");
    const [adapter] = await json(dir, "adapter");
    const summary = await Deno.readTextFile(join(dir, "summary.md"));
    // the wasm stage needs no GPU: 1 and 2 workers at 2 and 3 rollout steps, finite times
    const [wasm] = await json(dir, "wasm");
    deepStrictEqual(
      wasm.rows.map((x: { steps: number; threads: number }) => [x.steps, x.threads]),
      [[2, 1], [2, 2], [3, 1], [3, 2]],
    );
    ok(wasm.rows.every((x: { medianMs: number }) => x.medianMs > 0), summary);
    if (hasTorch) {
      const cpu = await json(dir, "torch-cpu");
      strictEqual(cpu.length, 4, summary);
      ok(cpu.every((x) => x.result.median_ms > 0));
    }
    if (adapter.adapter === null) {
      // no adapter here: exactly the WebGPU stages fail, and the run says so
      strictEqual(r.code, 1, r.text);
      ok(/failed or did not run: gradients webgpu train$/m.test(r.text), r.text);
      return;
    }
    strictEqual(r.code, 0, r.text);
    ok(/every stage ran/.test(r.text), r.text);
    // the four webgpu tests of tests/tensor/gradients_test.ts
    ok(/\| 4 passed .*\| 0 failed/.test(await Deno.readTextFile(join(dir, "gradients.json"))));
    const [webgpu] = await json(dir, "webgpu");
    strictEqual(webgpu.backend, "webgpu");
    deepStrictEqual(webgpu.rows.map((x: { steps: number }) => x.steps), [2, 3]);
    ok(webgpu.rows.at(-1).profile.kernels > 0);
    const [train] = await json(dir, "train");
    strictEqual(train.updates, 6);
    ok(train.curve.every((c: { metrics: { loss: number } }) => Number.isFinite(c.metrics.loss)));
    ok(
      summary.includes("isFallbackAdapter") &&
        summary.includes("Paper preset on webgpu: 6 updates"),
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
