// Runs the CLI as a user does: a subprocess, its exit status and what it prints.
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));

/** Where the tests' temporary folders live: the only place the CLI may write in a test. */
const tmp = Deno.env.get("TMPDIR") ?? "/tmp";

/**
 * The permissions docs/cli.md documents for each command (never `-A`), with writing allowed
 * only under the temporary folder the tests use.
 */
export const permissions = (command: string | undefined): string[] => {
  switch (command) {
    case "train":
    case "table":
      return ["--allow-read", `--allow-write=${tmp}`, "--allow-sys=systemMemoryInfo"];
    case "eval":
    case "rollout":
    case "nhf":
    case "realnvp":
    case "nhf-compare":
      return ["--allow-read", `--allow-write=${tmp}`];
    case "generate":
      return ["--allow-read", `--allow-write=${tmp}`, "--allow-sys=statfs"];
    default:
      return []; // identify and the command list need no permission
  }
};

/** Runs `deno run <the command's permissions> cli.ts ...args`. */
export const runCli = (
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> => runCliIn(undefined, ...args);

/** Runs `deno run <the command's permissions> cli.ts ...args` in the working directory `cwd`. */
export const runCliIn = (
  cwd: string | undefined,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> =>
  runCliWith(permissions(args[0]), cwd, ...args);

/** Runs `deno run <granted> cli.ts ...args` in `cwd`. */
export const runCliWith = async (
  granted: readonly string[],
  cwd: string | undefined,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...granted, cli, ...args],
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

/** Starts `deno run <permissions> cli.ts ...args`, waits until stdout matches `ready`, sends `signal`. */
export const interruptCli = async (
  signal: Deno.Signal,
  ready: RegExp,
  ...args: string[]
): Promise<{ code: number; stdout: string }> => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions(args[0]), cli, ...args],
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

/** A tiny `train` run: two workers on cpu, a model of a few hundred weights, 2-step rollouts. */
export const TINY_TRAIN = [
  // two workers whatever the machine: the default (every core) would vary with it
  "--threads",
  "2",
  "--backend",
  "cpu",
  "--batch-size",
  "2",
  "--rollout-steps",
  "2",
  "--input-frames",
  "2",
  "--state-channels",
  "2",
  "--encoder-width",
  "4",
  "--encoder-layers",
  "5",
  "--fpsi-width",
  "4",
  "--fpsi-layers",
  "2",
  "--hamiltonian-width",
  "4",
  "--hamiltonian-layers",
  "2",
  "--decoder-width",
  "4",
  "--test-size",
  "2",
  "--eval-steps",
  "3",
  "--log-every",
  "1",
];
