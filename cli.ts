/**
 * The command line: `deno run -A cli.ts <command> [flags]`.
 *
 * Each command lives in `cli/<command>.ts` and exports `run(argv)`. A user mistake (a
 * `RangeError` or `TypeError` raised while validating input, or a {@link UsageError}) prints one
 * line to stderr and exits with status 2; anything else is a bug and keeps its stack trace.
 *
 * ```ts ignore
 * // deno run -A cli.ts train --help
 * ```
 * @module
 */
import { UsageError } from "./cli/usage.ts";

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
    if (e instanceof UsageError || e instanceof RangeError || e instanceof TypeError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
};

if (import.meta.main) Deno.exit(await main(Deno.args));
