// Random argv for every command: never a stack trace, never a run with a non-finite setting.
import { fc } from "./deps.ts";
import { ok, strictEqual } from "node:assert/strict";
import { userMessage } from "../cli.ts";
import { parseFlags } from "../cli/usage.ts";
import { checkMemoryFlags, settingsFromFlags, trainOptions } from "../cli/hgn_settings.ts";
import { options as generateOptions } from "../cli/generate.ts";
import { options as evalOptions } from "../cli/eval.ts";
import { options as rolloutOptions } from "../cli/rollout.ts";
import { options as identifyOptions } from "../cli/identify.ts";
import { densityOptions } from "../cli/density.ts";
import { options as compareOptions } from "../cli/nhf_compare.ts";
import { permissions, runCliIn } from "./_cli.ts";

/** Values a flag may be given: numbers of every shape, words, paths, nothing. */
const value = fc.oneof(
  fc.constantFrom(
    "0",
    "1",
    "-1",
    "-5",
    "2",
    "1e30",
    "1e-300",
    "0x10",
    "NaN",
    "Infinity",
    "",
    " ",
    "1.5",
  ),
  fc.constantFrom("4294967296", "9007199254740993", "32", "64", "leapfrog", "euler", "separable"),
  fc.constantFrom("general", "observation", "none", "small", "paper", "cpu", "tpu", "pendulum"),
  fc.double({ noNaN: false }).map(String),
  fc.integer({ min: -1e9, max: 1e9 }).map(String),
  fc.string({ maxLength: 6 }),
);

/** argv over a command's own flags (plus the odd unknown one). */
const argvOf = (options: Record<string, { type: string }>) =>
  fc.array(
    fc.oneof(
      // --help answers with the help and exit 0, whatever else is given
      {
        weight: 9,
        arbitrary: fc.tuple(
          fc.constantFrom(...Object.keys(options).filter((k) => k !== "help")),
          value,
        ),
      },
      { weight: 1, arbitrary: fc.tuple(fc.constant("frobnicate"), value) },
    ),
    { maxLength: 8 },
  ).map((pairs) =>
    pairs.flatMap(([k, v]) => options[k]?.type === "boolean" ? [`--${k}`] : [`--${k}`, v])
  );

const finiteEverywhere = (x: unknown): boolean =>
  typeof x === "number"
    ? Number.isFinite(x)
    : typeof x === "object" && x !== null
    ? Object.values(x).every(finiteEverywhere)
    : true;

Deno.test("fuzz: train's settings are either valid and finite, or one line of user error", () => {
  fc.assert(
    fc.property(argvOf(trainOptions), (argv) => {
      try {
        const settings = settingsFromFlags(parseFlags(argv, trainOptions));
        checkMemoryFlags(settings, 24 * 2 ** 30);
        ok(finiteEverywhere(settings), JSON.stringify(settings));
      } catch (e) {
        const message = userMessage(e);
        ok(message !== undefined, `${argv.join(" ")}: not a user error: ${(e as Error).stack}`);
        strictEqual(message.split("\n").length, 1);
      }
    }),
    { numRuns: 400, seed: 42 },
  );
});

Deno.test("fuzz: every command, run as a user runs it, answers bad argv in one line, never a stack trace", async () => {
  const base = await Deno.makeTempDir({ prefix: "hgn_fuzz_" });
  try {
    const commands = {
      train: trainOptions,
      generate: generateOptions,
      eval: evalOptions,
      rollout: rolloutOptions,
      identify: identifyOptions,
      nhf: densityOptions,
      realnvp: densityOptions,
      "nhf-compare": compareOptions,
    };
    for (const [command, options] of Object.entries(commands)) {
      // each sample carries one value no command accepts, so none of them starts real work
      const samples = fc.sample(
        fc.tuple(
          argvOf(options),
          fc.constantFrom(
            ...Object.keys(options).filter((k) =>
              options[k as keyof typeof options].type === "string" &&
              !["out", "run", "resume", "data"].includes(k)
            ),
          ),
        ),
        { numRuns: 6, seed: command.length },
      );
      for (const [argv, poisoned] of samples) {
        const args = [command, ...argv, `--${poisoned}`, "0x1p3"];
        const r = await runCliIn(base, ...args);
        ok(!/^\s+at /m.test(r.stderr), `${args.join(" ")}: a stack trace\n${r.stderr}`);
        strictEqual(r.code, 2, `${args.join(" ")}: exit ${r.code} (${permissions(command)})`);
        strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
      }
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
