/**
 * Closed-form MLP forces (`mlpInputGradient`, what NHF and the HNNs use) against the autodiff
 * forces they replaced (`energyGradient`: a tape inside the tape), interleaved in one process on
 * one backend: the gradient of a loss through a leapfrog rollout with respect to every weight and
 * the initial state, as a training update needs it, and the forward rollout alone, as a density
 * evaluation or a prediction needs it.
 *
 *   deno run -A bench/mlp_forces_bench.ts [--backend wasm] [--reps 7]   (heavy: alone)
 *
 * Shapes: NHF's figure-10 energies (2-D, two 128-unit softplus layers, 3 leapfrog steps, batch
 * 256) and the state HNN's (2 x 200 tanh over [q, p], 10 RK-free leapfrog steps, batch 256).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { leapfrog, paperLeapfrog, phase, rollout } from "@hamiltonian/hgn/core";
import {
  applyMlp,
  type BackendRequest,
  type DenseParams,
  initMlp,
  mlpHamiltonian,
  type MlpSpec,
  networkHamiltonian,
  separableMlpHamiltonian,
  separableNetworkHamiltonian,
  tensorSpace,
  tf,
  useBackend,
} from "@hamiltonian/hgn/tensor";

const { values: a } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "wasm" },
    reps: { type: "string", default: "7" },
  },
});
const reps = Number(a.reps);
console.error((await useBackend(a.backend as BackendRequest)).report);
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const energy = (spec: MlpSpec, net: readonly DenseParams[]) => (x: tf.Tensor) =>
  tf.reshape(applyMlp(spec, net, x), [-1]);

interface Case {
  readonly name: string;
  readonly params: tf.Variable[];
  /** the rollout's final state from `q, p` with closed-form (true) or autodiff (false) forces */
  readonly run: (closed: boolean, q: tf.Tensor, p: tf.Tensor) => tf.Tensor;
  readonly dim: number;
  readonly batch: number;
}

/** An MLP's weights as variables, so that an update can differentiate with respect to them. */
const variables = (seed: number, path: string, spec: MlpSpec): DenseParams[] =>
  initMlp(seed, path, spec).map((l) => ({ w: tf.variable(l.w), b: tf.variable(l.b) }));
const nhfSpec: MlpSpec = { sizes: [2, 128, 128, 1], activation: "softplus" };
const K = variables(0, "K", nhfSpec);
const V = variables(1, "V", nhfSpec);
const hnnSpec: MlpSpec = { sizes: [2, 200, 200, 1], activation: "tanh" };
const Hn = variables(2, "H", hnnSpec);
const leaves = (nets: (readonly DenseParams[])[]) =>
  nets.flat().flatMap((l) => [l.w, l.b]) as tf.Variable[];

const cases: Case[] = [
  {
    name: "NHF energies, separable (2-D, 2 x 128 softplus), 3 leapfrog steps, batch 256",
    params: leaves([K, V]),
    dim: 2,
    batch: 256,
    run: (closed, q, p) => {
      const H = closed
        ? separableMlpHamiltonian(nhfSpec, K, V)
        : separableNetworkHamiltonian(energy(nhfSpec, K), energy(nhfSpec, V));
      const end = rollout(leapfrog.step(tensorSpace, H, 0.1), 3)(phase(q, p)).at(-1)!;
      return tf.concat([end.q, end.p], 1);
    },
  },
  {
    name: "HNN energy, general (1-D, 2 x 200 tanh over [q, p]), 10 leapfrog steps, batch 256",
    params: leaves([Hn]),
    dim: 1,
    batch: 256,
    run: (closed, q, p) => {
      const H = closed
        ? mlpHamiltonian(hnnSpec, Hn)
        : networkHamiltonian((q, p) => energy(hnnSpec, Hn)(tf.concat([q, p], 1)));
      const end = rollout(paperLeapfrog.step(tensorSpace, H, 0.1), 10)(phase(q, p)).at(-1)!;
      return tf.concat([end.q, end.p], 1);
    },
  },
];

const rows = [
  "| case | pass | autodiff forces ms | closed-form forces ms | speedup | max rel. difference |",
  "|---|---|---|---|---|---|",
];
for (const c of cases) {
  const q = tf.variable(tf.randomNormal([c.batch, c.dim], 0, 1, "float32", 3));
  const p = tf.randomNormal([c.batch, c.dim], 0, 1, "float32", 4);
  const target = tf.randomNormal([c.batch, 2 * c.dim], 0, 1, "float32", 5);
  // the loss a training update differentiates: squared error of the final state, wrt weights and q
  const update = (closed: boolean) => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(c.run(closed, q, p), target))) as tf.Scalar,
      [q, ...c.params],
    );
    // a weight the forces do not depend on (the energy's last bias) has no gradient: zero
    return {
      loss: value,
      ...Object.fromEntries(c.params.map((v) => [v.name, grads[v.name] ?? tf.zerosLike(v)])),
      q: grads[q.name],
    };
  };
  const forward = (closed: boolean) => ({ state: tf.tidy(() => c.run(closed, q, p)) });
  for (const [pass, fn] of [["update", update], ["forward", forward]] as const) {
    const results: Record<string, Record<string, Float32Array>> = {};
    const ms: Record<"closed" | "auto", number[]> = { closed: [], auto: [] };
    for (let r = 0; r <= reps; r++) {
      for (const closed of [false, true]) {
        const t0 = performance.now();
        const out = fn(closed);
        const values: Record<string, Float32Array> = {};
        for (const [k, t] of Object.entries(out)) values[k] = (await t.data()) as Float32Array;
        const t = performance.now() - t0;
        tf.dispose(Object.values(out));
        if (r > 0) ms[closed ? "closed" : "auto"].push(t); // the first pass compiles and warms up
        results[closed ? "closed" : "auto"] = values;
      }
    }
    let diff = 0;
    for (const [k, x] of Object.entries(results.auto)) {
      const scale = Math.max(...x.map(Math.abs), 1e-12);
      x.forEach((v, j) => (diff = Math.max(diff, Math.abs(v - results.closed[k][j]) / scale)));
    }
    const [ta, tc] = [median(ms.auto), median(ms.closed)];
    rows.push(
      `| ${c.name} | ${pass} | ${ta.toFixed(1)} | ${tc.toFixed(1)} | ${(ta / tc).toFixed(2)}x | ${
        diff.toExponential(1)
      } |`,
    );
    console.error(rows.at(-1));
  }
  tf.dispose([q, p, target]);
}
console.log(rows.join("\n"));
