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
