// Runs the CLI as a user does: a subprocess, its exit status and what it prints.
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));

/** Runs `deno run -A cli.ts ...args`. */
export const runCli = (
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> => runCliIn(undefined, ...args);

/** Runs `deno run -A cli.ts ...args` in the working directory `cwd`. */
export const runCliIn = async (
  cwd: string | undefined,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    env: { NO_COLOR: "1" },
    ...(cwd ? { cwd } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
};

/** Starts `deno run -A cli.ts ...args`, waits until stdout matches `ready`, sends `signal`. */
export const interruptCli = async (
  signal: Deno.Signal,
  ready: RegExp,
  ...args: string[]
): Promise<{ code: number; stdout: string }> => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!ready.test(out)) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  child.kill(signal);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  await child.stderr.cancel();
  return { code: status.code, stdout: out };
};
