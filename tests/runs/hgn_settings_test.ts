// An HGN run's settings: the library's validation names each setting by path; the CLI shows the
// flag for every path it names, so no message on the command line speaks of paths.
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { E } from "../../lib/deps/fp.ts";
import {
  checkMemory,
  datasetChoices,
  hgnRunSettings,
  type RunSettings,
  validateSettings,
} from "../../lib/runs/hgn_settings.ts";
import { flagMessage, SETTING_FLAGS, settingsFromFlags } from "../../cli/hgn_settings.ts";

const base: RunSettings = settingsFromFlags({ threads: "1" });

/** One broken value per check: each must be reported, naming its setting. */
const broken: [string, RunSettings][] = [
  ["data.noiseMode", { ...base, data: { ...base.data, noiseMode: "loud" as never } }],
  ["data.noiseStd", { ...base, data: { ...base.data, noiseStd: -1 } }],
  ["run.backend", { ...base, run: { ...base.run, backend: "tpu" as never } }],
  ["run.threads", { ...base, run: { ...base.run, threads: 0 } }],
  ["run.minutes", { ...base, run: { ...base.run, minutes: -1 } }],
  ["run.evalSteps", { ...base, run: { ...base.run, evalSteps: 0 } }],
  ["run.extrapolateSteps", { ...base, run: { ...base.run, extrapolateSteps: 3 } }],
  ["train.learningRate", { ...base, train: { ...base.train, learningRate: 0 } }],
  ["train.decay.final", { ...base, train: { ...base.train, decay: { steps: 9, final: 2 } } }],
  ["train.trainSize", { ...base, train: { ...base.train, trainSize: 1 } }],
  [
    "objective.curriculum.from",
    { ...base, objective: { ...base.objective, curriculum: { from: 99, hold: 1, grow: 1 } } },
  ],
  [
    "objective.consistency.weight",
    {
      ...base,
      objective: { ...base.objective, consistency: { weight: -1, windows: 2, start: 0 } },
    },
  ],
];

const PATH = /(?<![\w.-])(objective|train|data|run|geco)\.[a-zA-Z]/;

Deno.test("validateSettings: the defaults are valid; each broken setting is reported by its path", () => {
  ok(E.isRight(validateSettings(base)));
  for (const [path, settings] of broken) {
    const result = validateSettings(settings);
    ok(E.isLeft(result), path);
    ok(result.left.some((m) => m.startsWith(path)), `${path}: ${result.left.join("; ")}`);
  }
});

Deno.test("flagMessage: every path a validation message names becomes its flag", () => {
  for (const [path, settings] of broken) {
    const result = validateSettings(settings);
    if (E.isRight(result)) throw new Error(path);
    for (const m of result.left) {
      const shown = flagMessage(m);
      ok(!PATH.test(shown), `${path}: '${shown}' still names a setting path`);
    }
    ok(flagMessage(result.left[0]).startsWith(SETTING_FLAGS[path]), path);
  }
  strictEqual(flagMessage("train.learningRate must be > 0, got 0"), "--lr must be > 0, got 0");
  // a path inside a longer word is left alone
  strictEqual(flagMessage("xtrain.learningRate"), "xtrain.learningRate");
});

Deno.test("checkMemory: too large a batch names the setting and what fits", () => {
  throws(
    () => checkMemory({ ...base, train: { ...base.train, batchSize: 4096 } }, 2 ** 30),
    (e) =>
      e instanceof RangeError && /^train\.batchSize 4096 .* at most train\.batchSize \d+ fits$/
        .test(e.message),
  );
  deepStrictEqual(checkMemory(base, 2 ** 40), undefined);
});

/** The parts of a manifest a run takes from its dataset. */
const manifest = {
  spec: {
    system: "pendulum",
    seed: 7,
    noise: { mode: "initial", std: 0.05 },
    render: { size: 64 },
  },
  splits: { train: { count: 40 }, test: { count: 5 } },
} as unknown as Parameters<typeof datasetChoices>[2];

Deno.test("datasetChoices: the dataset fixes system, seed, noise, size and counts; a clash is named", () => {
  const s = hgnRunSettings(datasetChoices({ steps: 20, run: { threads: 1 } }, "d", manifest));
  deepStrictEqual(s.data, {
    dir: "d",
    system: "pendulum",
    seed: 7,
    noiseMode: "initial",
    noiseStd: 0.05,
  });
  strictEqual(s.objective.model.size, 64);
  strictEqual(s.train.trainSize, 40);
  strictEqual(s.run.testSize, 5); // the recipe's test count, capped by the dataset's
  // the choices the dataset agrees with are accepted
  const agreeing = { system: "pendulum", data: { seed: 7 }, model: { size: 64 } };
  strictEqual(datasetChoices(agreeing, "d", manifest).data?.seed, 7);
  // every contradicting choice in one message, each by its setting, which the CLI shows as flags
  throws(
    () =>
      datasetChoices(
        { system: "mass-spring", data: { noiseStd: 0.1 }, train: { trainSize: 30 } },
        "d",
        manifest,
      ),
    (e) => {
      ok(e instanceof RangeError);
      ok(
        /^data\.dir d: data\.system mass-spring contradicts the dataset's pendulum; /.test(
          e.message,
        ),
      );
      ok(/data\.noiseStd 0\.1 contradicts the dataset's 0\.05; /.test(e.message));
      ok(/train\.trainSize 30 contradicts the dataset's 40 /.test(e.message));
      ok(!PATH.test(flagMessage(e.message)), flagMessage(e.message));
      return true;
    },
  );
});
