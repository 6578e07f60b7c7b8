/**
 * A Hamiltonian normalising flow of your own, in a few lines: two learned separable Hamiltonians,
 * each stepped by leapfrog and composed with the pipeable DSL, its inverse the DSL's (reversed
 * order, -dt); trained on two moons by the ELBO of NHF, through the library's `fit`.
 *
 *   deno run --allow-read examples/nhf_density_2d.ts [updates]
 *
 * @module
 */
import { pipe } from "npm:fp-ts@2.16.11/lib/function.js";
import { andThen, densityMaps, flow, leapfrog, power } from "@hamiltonian/hgn/core";
import { targets } from "@hamiltonian/hgn/data";
import type { Model } from "@hamiltonian/hgn/train";
import {
  applyMlp,
  type DenseParams,
  initMlp,
  separableNetworkHamiltonian,
  tensorLogDet,
  tensorSpace,
  tf,
  useBackend,
} from "@hamiltonian/hgn/tensor";
import { fit, initState, targetBatches, targetTensor } from "@hamiltonian/hgn/train";

const updates = Number(Deno.args[0] ?? 300);
console.log((await useBackend("auto")).report);

// Two Hamiltonians H_i(q, p) = K_i(p) + V_i(q), softplus MLPs; the momentum's posterior is a
// fixed standard Normal here (a simpler bound than NHF's learned f(p | q)).
const energy = { sizes: [2, 64, 64, 1], activation: "softplus" } as const;
type Params = { nets: { K: DenseParams[]; V: DenseParams[] }[] };
const E = (net: DenseParams[]) => (x: tf.Tensor) => tf.reshape(applyMlp(energy, net, x), [-1]);
const myFlow = (p: Params) =>
  densityMaps(tensorLogDet).volumePreserving(
    pipe(
      power(
        flow(leapfrog, tensorSpace, separableNetworkHamiltonian(E(p.nets[0].K), E(p.nets[0].V)))(
          0.4,
        ),
        2,
      ),
      andThen(
        power(
          flow(leapfrog, tensorSpace, separableNetworkHamiltonian(E(p.nets[1].K), E(p.nets[1].V)))(
            0.4,
          ),
          2,
        ),
      ),
    ),
  );
const logNormal = (x: tf.Tensor) =>
  tf.sub(tf.mul(-0.5, tf.sum(tf.square(x), 1)), Math.log(2 * Math.PI));

const model: Model<object, Params, tf.Tensor2D> = {
  name: "my-hamiltonian-flow",
  init: (_, seed) => ({
    nets: [0, 1].map((i) => ({
      K: initMlp(seed, `nets/${i}/K`, energy),
      V: initMlp(seed, `nets/${i}/V`, energy),
    })),
  }),
  loss: (_, params, q, { seed }) => {
    const p = tf.randomNormal(q.shape, 0, 1, "float32", seed);
    const s0 = myFlow(params).inverse({ q, p }).value; // the DSL's inverse: reversed, -dt
    const elbo = tf.mean(
      tf.sub(tf.add(logNormal(s0.q), logNormal(s0.p)), logNormal(p)),
    ) as tf.Scalar;
    return { loss: tf.neg(elbo) as tf.Scalar, metrics: { elbo } };
  },
};

const state = initState(model, {}, { learningRate: 3e-3, seed: 0 });
await fit(state, targetBatches(targets.moons, { seed: 0, batchSize: 256 }), {
  steps: updates,
  onStep: (m) => {
    if (m.step % 50 === 0) console.log(`step ${m.step} ELBO ${m.elbo.toFixed(3)}`);
  },
});
const test = targetTensor(targets.moons, 1000, 1);
const final = model.loss({}, state.params, test, { seed: 1, step: 0 }).metrics.elbo;
console.log(
  `test ELBO ${(await final.data())[0].toFixed(3)} (a lower bound on the test log-likelihood)`,
);
