/**
 * The command line: `deno run <permissions> cli.ts <command> [flags]` (the README lists each
 * command's permissions; `deno task train` has them).
 *
 * Each command lives in `cli/<command>.ts` and exports `run(argv)`. A user mistake (a
 * {@link UsageError}, or a `RangeError`: the library's validation errors, which name what was
 * wrong and what is accepted) or a problem of the environment (a missing Deno permission, an OS
 * error on a path, a backend that cannot start) prints one line to stderr and exits with status
 * 2; anything else (a `TypeError` among them) is a bug and keeps its stack trace.
 *
 * ```ts ignore
 * // deno run -A cli.ts train --help
 * ```
 * @module
 */
import { UsageError } from "./cli/usage.ts";
import { BackendUnavailableError } from "./lib/tensor/backend.ts";

/** OS errors on a path the user gave, and their hint. */
const OS_ERRORS: readonly [new (...args: never[]) => Error, string][] = [
  [Deno.errors.NotCapable, "the README lists the permissions of each command"],
  [Deno.errors.PermissionDenied, "the operating system refused: choose a path you may write"],
  [Deno.errors.NotADirectory, "a path that should be a folder is a file"],
  [Deno.errors.IsADirectory, "a path that should be a file is a folder"],
  [Deno.errors.AlreadyExists, "choose another path"],
  [Deno.errors.NotFound, "check the path"],
];

/**
 * The one line a user error or an environment problem prints, or undefined for a bug.
 *
 * @example
 * ```ts
 * import { userMessage } from "@hamiltonian/hgn/cli";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(userMessage(new RangeError("--steps must be >= 1")), "--steps must be >= 1");
 * strictEqual(userMessage(new TypeError("x is not a function")), undefined); // a bug
 * ```
 */
export const userMessage = (e: unknown): string | undefined => {
  if (e instanceof UsageError || e instanceof RangeError || e instanceof BackendUnavailableError) {
    return e.message.split("\n")[0];
  }
  for (const [kind, hint] of OS_ERRORS) {
    if (e instanceof kind) return `${(e as Error).message.split("\n")[0]}; ${hint}`;
  }
  return undefined;
};

type Command = {
  readonly run: (argv: string[]) => Promise<void | number>;
  readonly summary: string;
};

const commands: Record<string, () => Promise<Command>> = {
  train: () => import("./cli/train.ts"),
  eval: () => import("./cli/eval.ts"),
  rollout: () => import("./cli/rollout.ts"),
  identify: () => import("./cli/identify.ts"),
  generate: () => import("./cli/generate.ts"),
  nhf: () => import("./cli/nhf.ts"),
  realnvp: () => import("./cli/realnvp.ts"),
  "nhf-compare": () => import("./cli/nhf_compare.ts"),
  table: () => import("./cli/table.ts"),
};

const usage = () =>
  `usage: deno run -A cli.ts <command> [flags]\ncommands: ${
    Object.keys(commands).join(", ")
  }\nrun 'cli.ts <command> --help' for a command's flags`;

/**
 * Runs the CLI with `argv` (without the program name); resolves to the exit status.
 *
 * @example
 * ```ts
 * import { main } from "@hamiltonian/hgn/cli";
 * import { strictEqual } from "node:assert/strict";
 * const err = console.error;
 * console.error = () => {};
 * try {
 *   strictEqual(await main(["no-such-command"]), 2);
 * } finally {
 *   console.error = err;
 * }
 * ```
 */
export const main = async (argv: string[]): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(
      `error: unknown command '${name}'; accepted: ${Object.keys(commands).join(", ")}`,
    );
    return 2;
  }
  try {
    return (await (await load()).run(rest)) ?? 0;
  } catch (e) {
    const message = userMessage(e);
    if (message === undefined) throw e;
    console.error(`error: ${message}`);
    return 2;
  }
};

if (import.meta.main) Deno.exit(await main(Deno.args));
