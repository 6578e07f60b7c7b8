// A tiny HGN for fast tests: the full architecture with a handful of channels.
import { type HgnConfig, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";
import { flattenWithPaths, tf } from "@hamiltonian/hgn/tensor";
import { ok } from "node:assert/strict";

export const TINY: HgnConfig = {
  ...SMALL_HGN,
  inputFrames: 2,
  rolloutSteps: 3,
  stateChannels: 2,
  encoderWidth: 4,
  encoderLayers: 5,
  transformerWidth: 4,
  transformerLayers: 2,
  hamiltonianWidth: 4,
  hamiltonianLayers: 2,
  decoderWidth: 4,
};

/**
 * Checks the autodiff gradient of `loss` against central finite differences (relative step
 * `step`, 2% agreement) at one entry of each named weight of `params` (variables).
 */
export const checkGradients = async (
  loss: () => tf.Scalar,
  params: object,
  names: readonly string[],
  step = 1e-2,
): Promise<void> => {
  const named = flattenWithPaths(params) as [string, tf.Variable][];
  const { grads } = tf.variableGrads(loss, named.map(([, v]) => v));
  for (const name of names) {
    const v = named.find(([n]) => n === name)![1];
    const k = v.size > 3 ? 3 : 0;
    const g = (await grads[v.name].data())[k];
    const base = (await v.data()).slice();
    const at = async (delta: number) => {
      const x = base.slice();
      x[k] += delta;
      v.assign(tf.tensor(x, v.shape));
      const l = loss();
      const y = (await l.data())[0];
      l.dispose();
      return y;
    };
    const h = step * Math.max(1, Math.abs(base[k]));
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    v.assign(tf.tensor(base, v.shape));
    const err = Math.abs(fd - g) / Math.max(Math.abs(fd), Math.abs(g), 1e-4);
    ok(err < 2e-2, `${name}: autodiff ${g}, finite differences ${fd}`);
  }
  tf.dispose(Object.values(grads));
};
