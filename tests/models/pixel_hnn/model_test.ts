// Pixel HNNs ("HNN" and "HNN (conv)" of Table 1): shapes, the loss is the sum the paper states,
// a short run lowers it for both autoencoders, resume is bit for bit.
import {
  initPixelHnn,
  pixelHnn,
  type PixelHnnConfig,
  pixelHnnConfig,
  predictPixelHnn,
} from "@hamiltonian/hgn/models/pixel_hnn";
import { datasetSpec, generatedReader, generator } from "@hamiltonian/hgn/data";
import { paramLeaves, tf, useBackend } from "@hamiltonian/hgn/tensor";
import { disposeState, fit, frameWindows, initState } from "@hamiltonian/hgn/train";
import { assertResumesBitForBit } from "../_resume.ts";
import { deepStrictEqual, ok, throws } from "node:assert/strict";

await useBackend("cpu");

const tiny = (autoencoder: "mlp" | "conv"): PixelHnnConfig => ({
  ...pixelHnnConfig(autoencoder, 2),
  size: 16,
  aeHidden: 32,
  encoderWidth: 4,
  encoderLayers: 4,
  decoderWidth: 4,
  hnnHidden: 16,
});
const reader = generatedReader(
  generator(datasetSpec({ system: "pendulum", steps: 6, size: 16 })),
  { train: 32, test: 0 },
);
const windows = () => frameWindows(reader, { seed: 2, batchSize: 8 }, 3);

Deno.test("pixel hnn: predictions, latents and energies have the paper's shapes; bad frames are one error", () => {
  for (const ae of ["mlp", "conv"] as const) {
    const c = tiny(ae);
    const params = initPixelHnn(c, 0);
    const frames = tf.zeros([3, 4, 16, 16, 3]) as tf.Tensor5D;
    const out = predictPixelHnn(c, params, frames, 5, 2);
    deepStrictEqual(out.frames.shape, [3, 6, 16, 16, 3]);
    deepStrictEqual(out.states.shape, [3, 6, 2]);
    deepStrictEqual(out.energies.shape, [3, 6]);
    throws(
      () => predictPixelHnn(c, params, tf.zeros([3, 1, 16, 16, 3]) as tf.Tensor5D, 2),
      /needs frames \[B, >= 2, 16, 16, 3\]/,
    );
    tf.dispose([frames, out.frames, out.states, out.energies, ...paramLeaves(params)]);
  }
  throws(() => initPixelHnn({ ...tiny("mlp"), latent: 3 }, 0), /even integer/);
});

Deno.test("pixel hnn: the loss is L_AE + L_CC + 0.1 L_HNN + weight decay / 2 |theta|^2", async () => {
  const c = tiny("mlp");
  const params = initPixelHnn(c, 1);
  const frames = await windows().batchAt(0);
  const withDecay = pixelHnn.loss({ ...c, weightDecay: 0.5 }, params, frames, { seed: 0, step: 0 });
  const l2 = paramLeaves(params).reduce(
    (a, w) => a + (tf.sum(tf.square(w)).arraySync() as number),
    0,
  );
  const [loss, ae, cc, hnn] = await Promise.all(
    [withDecay.loss, withDecay.metrics.ae, withDecay.metrics.cc, withDecay.metrics.hnn].map((t) =>
      t.data().then((d) => d[0])
    ),
  );
  const expected = ae + cc + 0.1 * hnn + 0.25 * l2;
  ok(Math.abs(loss - expected) < 1e-4 * expected, `${loss} vs ${expected}`);
  tf.dispose([frames, ...paramLeaves(params)]);
});

for (const ae of ["mlp", "conv"] as const) {
  Deno.test(`pixel hnn (${ae}): a short run lowers the loss; resume is bit for bit`, async () => {
    const c = tiny(ae);
    const options = { learningRate: 3e-3, seed: 1 };
    const straight = initState(pixelHnn, c, options);
    const losses: number[] = [];
    await fit(straight, windows(), { steps: 20, onStep: (m) => void losses.push(m.loss) });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b) / xs.length;
    ok(mean(losses.slice(-5)) < 0.7 * mean(losses.slice(0, 5)), `${losses[0]} -> ${losses.at(-1)}`);
    disposeState(straight);
    await assertResumesBitForBit(pixelHnn, c, options, windows, 20, 10);
  });
}
