// The webgpu tests (every `[webgpu]` case of tests/tensor/, the per-model update counts of
// tests/train/webgpu_update_test.ts, releaseWebgpu) on whatever adapter Deno finds here, run by
// the plain `deno task test` in a process of their own. On Mesa's software rasteriser a Deno
// process that used WebGPU aborts now and then at exit, after every test passed and reported
// (glibc "corrupted double-linked list" or SIGSEGV; wgpu's own CI saw the same on llvmpipe,
// gfx-rs/wgpu#3250): such an exit counts as passed and is named, any failed or missing test
// fails. Without an adapter it is skipped; HGN_REQUIRE_WEBGPU=1 (set by .ci/run) makes that a
// failure. With HGN_TEST_WEBGPU=1 the cases run in this process instead and this one is off.
import { ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const inline = Deno.env.get("HGN_TEST_WEBGPU") === "1";

const deno = (args: string[], env: Record<string, string> = {}) =>
  new Deno.Command(Deno.execPath(), { args, cwd: root, env, stdout: "piped", stderr: "piped" })
    .output();

/** Whether Deno's navigator.gpu gives an adapter here (asked in a process of its own). */
const hasAdapter = async (): Promise<boolean> => {
  const out = await deno(["eval", "console.log(!!(await navigator.gpu?.requestAdapter()))"]);
  return new TextDecoder().decode(out.stdout).trim().endsWith("true");
};

/** The webgpu cases of these files, by the names of their tests. */
const FILES = ["tests/tensor/", "tests/train/webgpu_update_test.ts"];

Deno.test({
  name: "webgpu: every webgpu case passes on Deno's adapter, in its own process",
  ignore: inline,
  fn: async (t) => {
    if (!(await hasAdapter())) {
      ok(
        Deno.env.get("HGN_REQUIRE_WEBGPU") !== "1",
        "HGN_REQUIRE_WEBGPU=1 but Deno finds no WebGPU adapter here",
      );
      console.warn("webgpu_test: no WebGPU adapter here, skipped");
      return;
    }
    // (Mesa's Vulkan driver asks for a runtime folder, and complains on every device without one)
    const runtime = await Deno.makeTempDir();
    const out = await deno(
      ["test", "--frozen", "-A", "--no-check", "--filter", "webgpu", ...FILES],
      { HGN_TEST_WEBGPU: "1", NO_COLOR: "1", XDG_RUNTIME_DIR: runtime },
    ).finally(() => Deno.remove(runtime, { recursive: true }));
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const summary = /^ok \| (\d+) passed(?: \(\d+ steps\))? \| 0 failed/m.exec(text);
    const passed = summary ? Number(summary[1]) : 0;
    // 8 models' updates, 3 gradient checks, 4 Hamiltonian ones, layers, space and 2 of the
    // backend's (19 today): fewer means a case was lost, not that it passed
    ok(passed >= 19, `the webgpu cases did not all pass:\n${text.slice(-4000)}`);
    const crashedAtExit = out.signal === "SIGABRT" || out.signal === "SIGSEGV";
    ok(out.success || crashedAtExit, `exit ${out.code} ${out.signal ?? ""}:\n${text.slice(-4000)}`);
    if (crashedAtExit) {
      await t.step(`${passed} passed, then the process died at exit (${out.signal})`, () => {});
    }
  },
});
