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
  // `--steps -5`: a negative number is the flag's value, not another flag (the range check then
  // says what is accepted)
  const args = argv.flatMap((a, i) => {
    const next = argv[i + 1];
    const opt = a.startsWith("--") ? options[a.slice(2)] : undefined;
    if (opt?.type === "string" && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      return [`${a}=${next}`];
    }
    const prev = argv[i - 1];
    const prevOpt = prev?.startsWith("--") ? options[prev.slice(2)] : undefined;
    if (prevOpt?.type === "string" && /^-(\d|\.\d)/.test(a)) return [];
    return [a];
  });
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const accepted = Object.keys(options).map((k) => `--${k}`).join(", ");
    throw new UsageError(`${(e as Error).message.split("\n")[0]}; accepted flags: ${accepted}`);
  }
};

/** Plain decimal numbers only: no hex (`0x10`), no blanks, no `Infinity`. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Reads a numeric flag, the one number parser of every command: a plain decimal number (`2`,
 * `-0.5`, `1e-3`) that is finite, else a `UsageError` naming the flag.
 */
export const numberFlag = (name: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (!DECIMAL.test(value) || !Number.isFinite(x)) {
    throw new UsageError(
      `--${name} must be a number, got '${value}' (a plain decimal such as 12, -0.5 or 1e-3)`,
    );
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
    const range = max === Number.MAX_SAFE_INTEGER && x <= max ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be an integer ${range}, got '${value}'`);
  }
  return x;
};

/**
 * A library message in flag terms: each setting path of `flags` it names (e.g.
 * `train.learningRate`) becomes its flag (`--lr`); a path inside a longer name is left alone.
 */
export const flagTerms = (flags: Readonly<Record<string, string>>): (message: string) => string => {
  const paths = Object.keys(flags).sort((a, b) => b.length - a.length)
    .map((k) => k.replaceAll(".", "\\."));
  const pattern = new RegExp(`(?<![\\w.])(${paths.join("|")})(?![\\w.])`, "g");
  return (message) => message.replace(pattern, (path) => flags[path]);
};
