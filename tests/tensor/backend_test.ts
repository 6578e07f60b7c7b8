import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  backendRequests,
  isSoftwareAdapterName,
  parseBackendRequest,
  probeGpuAdapter,
  useBackend,
} from "../../lib/tensor/backend.ts";
import { tf } from "../../lib/deps/tf.ts";

Deno.test("parseBackendRequest accepts the four names and rejects others with the list", () => {
  for (const name of backendRequests) strictEqual(parseBackendRequest(name), name);
  throws(
    () => parseBackendRequest("gpu"),
    /unknown backend 'gpu'; accepted: auto, webgpu, wasm, cpu/,
  );
  throws(() => parseBackendRequest(""), RangeError);
});

Deno.test("software rasterisers are recognised, real GPUs are not", () => {
  for (
    const s of [
      "llvmpipe (LLVM 15.0.6, 256 bits)",
      "lavapipe",
      "SwiftShader Device",
      "Microsoft Basic Render Driver",
    ]
  ) {
    strictEqual(isSoftwareAdapterName(s), true, s);
  }
  for (
    const s of [
      "NVIDIA H100 80GB HBM3",
      "AMD Radeon RX 7900",
      "Apple M2",
      "Intel(R) UHD Graphics 630",
    ]
  ) {
    strictEqual(isSoftwareAdapterName(s), false, s);
  }
});

Deno.test("explicit cpu and wasm start exactly that backend and report one line", async () => {
  for (const name of ["cpu", "wasm"] as const) {
    const lines: string[] = [];
    const choice = await useBackend(name, (l) => lines.push(l));
    strictEqual(choice.backend, name);
    strictEqual(tf.getBackend(), name);
    strictEqual(lines.length, 1);
    strictEqual(lines[0], choice.report);
    strictEqual(lines[0].includes("\n"), false);
  }
  strictEqual((await useBackend("wasm")).report.includes("simd"), true);
});

Deno.test("auto never picks webgpu on a software or fallback adapter", async () => {
  const adapter = await probeGpuAdapter();
  const choice = await useBackend("auto");
  if (!adapter.present || adapter.software) {
    strictEqual(choice.backend === "webgpu", false, choice.report);
    strictEqual(choice.backend, "wasm");
  } else {
    strictEqual(choice.backend, "webgpu");
  }
  strictEqual(choice.report.includes(adapter.description), true, choice.report);
  await useBackend("cpu");
});

Deno.test({
  name: "webgpu: releaseWebgpu frees the backend and its device, once; nothing to release is false",
  ignore: Deno.env.get("HGN_TEST_WEBGPU") !== "1",
  fn: async () => {
    // in its own process: webgpu cannot start again in one that released it
    const script = `
      import { tf } from "${new URL("../../lib/deps/tf.ts", import.meta.url).href}";
      import { releaseWebgpu, useBackend } from "${
      new URL("../../lib/tensor/backend.ts", import.meta.url).href
    }";
      const before = releaseWebgpu();
      await useBackend("webgpu");
      const device = tf.backend().device;
      let lost = false;
      device.lost.then(() => { lost = true; });
      const sum = await tf.sum(tf.range(0, 100)).data();
      const first = releaseWebgpu();
      await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ before, first, again: releaseWebgpu(), lost, sum: sum[0],
        registered: "webgpu" in tf.engine().registry }));`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    deepStrictEqual(JSON.parse(text.trim().split("\n").at(-1)!), {
      before: false,
      first: true,
      again: false,
      lost: true,
      sum: 4950,
      registered: false,
    });
  },
});
