// Shared by the model tests: a run stopped at a checkpoint and resumed ends bit for bit where
// the straight run ends.
import type { Model } from "@hamiltonian/hgn/train";
import {
  type BatchSource,
  disposeState,
  fit,
  initState,
  restoreState,
  stateRecord,
  type TrainOptions,
} from "@hamiltonian/hgn/train";
import { loadLatestCheckpoint, saveCheckpoint } from "@hamiltonian/hgn/io";
import { type Params } from "@hamiltonian/hgn/tensor";
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { paramValues } from "../_params.ts";

/** Trains `total` updates straight, and `half` then a checkpoint then the rest; same weights. */
export const assertResumesBitForBit = async <C, P extends Params, B>(
  model: Model<C, P, B>,
  config: C,
  options: TrainOptions,
  batches: () => BatchSource<B>,
  total: number,
  half: number,
): Promise<void> => {
  const straight = initState(model, config, options);
  await fit(straight, batches(), { steps: total });
  const first = initState(model, config, options);
  await fit(first, batches(), { steps: half });
  const dir = await Deno.makeTempDir();
  try {
    await saveCheckpoint(dir, await stateRecord(first));
    disposeState(first);
    const resumed = restoreState(model, await loadLatestCheckpoint(dir) as never, {
      config,
      options,
    });
    strictEqual(resumed.step, half);
    await fit(resumed, batches(), { steps: total });
    deepStrictEqual(await paramValues(resumed.params), await paramValues(straight.params));
    disposeState(resumed);
  } finally {
    disposeState(straight);
    await Deno.remove(dir, { recursive: true });
  }
};
