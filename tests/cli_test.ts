// The CLI as a user meets it: a subprocess, its exit status and what it prints.
import { ok, strictEqual } from "node:assert/strict";
import { runCli } from "./_cli.ts";

Deno.test("cli: no command prints usage and exits 2; --help exits 0", async () => {
  const none = await runCli();
  strictEqual(none.code, 2);
  ok(none.stdout.includes("usage:"));
  strictEqual((await runCli("--help")).code, 0);
});

Deno.test("cli: user mistakes are one line on stderr with exit 2, never a stack trace", async () => {
  for (
    const [args, pattern] of [
      [["frobnicate"], /unknown command 'frobnicate'; accepted: /],
      [["identify", "--system", "spring"], /unknown system 'spring'; accepted: mass-spring/],
      [["identify", "--iterations", "many"], /--iterations must be a number, got 'many'/],
      [["train", "--steps", "many"], /--steps must be a number, got 'many'/],
      [["train", "--system", "spring"], /unknown system 'spring'; accepted: mass-spring/],
      [["train", "--bogus"], /accepted flags: /],
    ] as const
  ) {
    const r = await runCli(...args);
    strictEqual(r.code, 2, `${args.join(" ")}: exit ${r.code}`);
    const lines = r.stderr.trim().split("\n");
    strictEqual(lines.length, 1, `${args.join(" ")}: ${r.stderr}`);
    ok(pattern.test(lines[0]), lines[0]);
    ok(!/\bat .*\.ts:\d+/.test(r.stderr));
  }
});

Deno.test("cli: OS errors and an unavailable backend are one line with a hint; a TypeError is a bug", async () => {
  const { userMessage } = await import("../cli.ts");
  const { BackendUnavailableError } = await import("../lib/tensor/backend.ts");
  const denied = userMessage(
    new Deno.errors.PermissionDenied("Permission denied (os error 13): mkdir 'out'"),
  );
  ok(denied !== undefined && /mkdir 'out'; the operating system refused/.test(denied), denied);
  const file = userMessage(
    new Deno.errors.NotADirectory("Not a directory (os error 20): open 'x/y'"),
  );
  ok(
    file !== undefined && /open 'x\/y'; a path that should be a folder is a file/.test(file),
    file,
  );
  const gpu = userMessage(
    new BackendUnavailableError(
      "backend webgpu is unavailable: no navigator.gpu; use --backend wasm or cpu",
    ),
  );
  ok(gpu !== undefined && /use --backend wasm or cpu/.test(gpu), gpu);
  strictEqual(userMessage(new TypeError("undefined is not a function")), undefined);
  strictEqual(userMessage(new Error("a bug")), undefined);
});
