// The HGN record: its init is the network's, its objective the loss of loss.ts, and as a frame
// predictor it unrolls the posterior mean (no sampling) from the frames it observes.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { applyHgn, hgn, hgnLoss, initHgn } from "@hamiltonian/hgn/models/hgn";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { TINY } from "./_tiny.ts";
import { paramValues } from "../../_params.ts";

await useBackend("cpu");

Deno.test("hgn record: init, loss and the frame predictor are the network's", async () => {
  const config = { model: TINY };
  strictEqual(hgn.name, "hgn");
  strictEqual(hgn.loss, hgnLoss);
  strictEqual(hgn.observedFrames(config), TINY.inputFrames);
  const params = hgn.init(config, 5);
  deepStrictEqual(await paramValues(params), await paramValues(initHgn(TINY, 5)));
  const frames = tf.randomUniform(
    [2, TINY.inputFrames, 32, 32, 3],
    0,
    1,
    "float32",
    3,
  ) as tf.Tensor5D;
  const predicted = hgn.predictFrames(config, params, frames, 4);
  const direct = applyHgn(TINY, params, frames, { seed: 0, sample: false, steps: 4 });
  deepStrictEqual(predicted.frames.shape, [2, 5, 32, 32, 3]);
  deepStrictEqual(await predicted.frames.data(), await direct.frames.data());
  deepStrictEqual(await predicted.energies.data(), await direct.energies.data());
  // the posterior mean: the same frames for any seed
  const other = applyHgn(TINY, params, frames, { seed: 9, sample: false, steps: 4 });
  deepStrictEqual(await other.frames.data(), await direct.frames.data());
});
