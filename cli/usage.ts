/**
 * Shared helpers of the CLI commands: flag parsing with one-line errors.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A user mistake on the command line: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The option table of `node:util` parseArgs. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` strictly against `options`; unknown flags or missing values become a
 * {@link UsageError} that lists the accepted flags.
 */
export const parseFlags = <O extends Options>(
  argv: string[],
  options: O,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>["values"] => {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const accepted = Object.keys(options).map((k) => `--${k}`).join(", ");
    throw new UsageError(`${(e as Error).message.split("\n")[0]}; accepted flags: ${accepted}`);
  }
};

/** Reads a numeric flag: a `UsageError` naming the flag when it is not a finite number. */
export const numberFlag = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === "" || !Number.isFinite(x)) {
    throw new UsageError(`--${name} must be a number, got '${value}'`);
  }
  return x;
};

/** Reads an integer flag in `[min, max]`. */
export const intFlag = (
  name: string,
  value: string | undefined,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number => {
  const x = numberFlag(name, value, fallback);
  if (!Number.isInteger(x) || x < min || x > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be an integer ${range}, got '${value}'`);
  }
  return x;
};
