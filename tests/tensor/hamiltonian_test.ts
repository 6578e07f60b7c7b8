// The DSL on tensors: the core integrators stepping autodiff Hamiltonians through tensorSpace
// agree with the float64 systems, and gradients of losses through rollouts (second-order
// autodiff) agree with float64 finite differences, on cpu and wasm.
import { ok, strictEqual } from "node:assert/strict";
import {
  float64Space,
  hamiltonian,
  leapfrog,
  paperLeapfrog,
  type Phase,
  phase,
  rk4,
  rollout,
  separable,
  stepOf,
} from "../../lib/core/mod.ts";
import { nonSeparable, pendulum } from "../../lib/systems/mod.ts";
import { tf } from "../../lib/deps/tf.ts";
import {
  networkHamiltonian,
  quadraticKinetic,
  separableNetworkHamiltonian,
} from "../../lib/tensor/hamiltonian.ts";
import { tensorSpace } from "../../lib/tensor/space.ts";
import { conv, convInput, geom } from "./_reference.ts";
import { fdGradient, onBackend, read, relErr, testBackends, values } from "./_numeric.ts";

const F32 = 1e-4; // named float32 tolerance for states of size O(1)
const TOL = 1e-3; // relative tolerance of gradients against finite differences

const t2 = (x: Float64Array, shape: number[]) => tf.tensor(Float32Array.from(x), shape);

/** float64 rollouts of every sample of a batch `[B, n]` */
const arrayRollout = (
  step: (s: Phase<Float64Array>) => Phase<Float64Array>,
  steps: number,
  q0: Float64Array,
  p0: Float64Array,
  n: number,
) => {
  const b = q0.length / n;
  const trajs = Array.from(
    { length: b },
    (_, i) => rollout(step, steps)(phase(q0.slice(i * n, i * n + n), p0.slice(i * n, i * n + n))),
  );
  return trajs[0].map((_, t) => ({
    q: Float64Array.from(trajs.flatMap((tr) => Array.from(tr[t].q))),
    p: Float64Array.from(trajs.flatMap((tr) => Array.from(tr[t].p))),
  }));
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
};

const tensorRolloutMatches = async (
  step: (s: Phase<tf.Tensor>) => Phase<tf.Tensor>,
  ref: { q: Float64Array; p: Float64Array }[],
  q0: Float64Array,
  p0: Float64Array,
  n: number,
) => {
  const b = q0.length / n;
  const traj = tf.tidy(() => {
    const states = rollout(step, ref.length - 1)(phase(t2(q0, [b, n]), t2(p0, [b, n])));
    return states.flatMap((s) => [s.q, s.p]);
  });
  const got = await read(traj);
  tf.dispose(traj);
  let err = 0;
  ref.forEach((s, t) => {
    err = Math.max(err, maxAbsDiff(got[2 * t], s.q), maxAbsDiff(got[2 * t + 1], s.p));
  });
  return err;
};

for (const backend of testBackends) {
  Deno.test({
    name:
      `hamiltonian [${backend.name}]: tensor rollouts match float64 rollouts to float32 accuracy`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const q0 = values(1, 4, (u) => 2 * u() - 1);
      const p0 = values(2, 4, (u) => 2 * u() - 1);
      // pendulum (m = 0.5, g = 3, l = 1), written as tensor ops, separable, leapfrog
      const { m, g, l } = { m: 0.5, g: 3, l: 1 };
      const hPend = separableNetworkHamiltonian(
        quadraticKinetic(m * l * l),
        (q) => tf.sum(tf.mul(m * g * l, tf.sub(1, tf.cos(q))), 1),
      );
      const refPend = arrayRollout(
        leapfrog.step(float64Space, pendulum().hamiltonian, 0.05),
        60,
        q0,
        p0,
        1,
      );
      const ePend = await tensorRolloutMatches(
        leapfrog.step(tensorSpace, hPend, 0.05),
        refPend,
        q0,
        p0,
        1,
      );
      ok(ePend < F32, `pendulum leapfrog: max error ${ePend}`);
      // non-separable H = (q^2 + 1)(p^2 + 1) / 2, general network Hamiltonian, paperLeapfrog and rk4
      const hNs = networkHamiltonian((q, p) =>
        tf.div(tf.sum(tf.mul(tf.add(tf.square(q), 1), tf.add(tf.square(p), 1)), 1), 2)
      );
      for (const integrator of [paperLeapfrog, rk4]) {
        const ref = arrayRollout(
          stepOf(integrator, float64Space, nonSeparable().hamiltonian, 0.05),
          40,
          q0,
          p0,
          1,
        );
        const e = await tensorRolloutMatches(
          stepOf(integrator, tensorSpace, hNs, 0.05),
          ref,
          q0,
          p0,
          1,
        );
        ok(e < F32, `non-separable ${integrator.name}: max error ${e}`);
      }
      // energies per sample have shape [B]
      const en = hNs.energy(phase(t2(q0, [4, 1]), t2(p0, [4, 1])));
      strictEqual(en.shape.join(), "4");
      const e64 = Array.from(
        q0,
        (q, i) =>
          nonSeparable().hamiltonian.energy(phase(Float64Array.of(q), Float64Array.of(p0[i]))),
      );
      ok(maxAbsDiff(await en.data(), e64) < F32);
      en.dispose();
    },
  });
}

// ------------------------------------------------------------------ conv Hamiltonian, leapfrog
const B = 2;
const QS = [B, 4, 4, 2];
const WS = [3, 3, 2, 3];
const G = geom(QS, WS, 1, "same");
const NQ = QS.reduce((a, b) => a * b, 1);
const softplus = (x: number) => (x > 30 ? x : Math.log1p(Math.exp(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** float64: V(q) = sum w2[f] softplus(conv(q, W1) + b1[f]) over the batch, and dV/dq */
const convPotential64 = (w1: Float64Array, b1: Float64Array, w2: Float64Array) => {
  const pre = (q: Float64Array) => conv(G, q, w1).map((z, i) => z + b1[i % 3]);
  return separable<Float64Array>({
    kinetic: (p) => p.reduce((a, x) => a + x * x, 0) / 2,
    potential: (q) => pre(q).reduce((a, z, i) => a + w2[i % 3] * softplus(z), 0),
    dK: (p) => p.slice(),
    dV: (q) => convInput(G, pre(q).map((z, i) => w2[i % 3] * sigmoid(z)), w1),
    add: (a, b) => a + b,
  });
};
const convPotential = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor) =>
  separableNetworkHamiltonian(
    quadraticKinetic(1),
    (q) =>
      tf.sum(
        tf.mul(
          tf.softplus(tf.add(tf.conv2d(q as tf.Tensor4D, w1 as tf.Tensor4D, 1, "same"), b1)),
          w2,
        ),
        [1, 2, 3],
      ),
  );

const STEPS = 10;
const DT = 0.1;
const convCase = () => {
  const q0 = values(11, NQ);
  const p0 = values(12, NQ);
  const c = values(13, NQ);
  const d = values(14, NQ);
  const params = [values(15, 54, (u) => 0.6 * (2 * u() - 1)), values(16, 3), values(17, 3)];
  const loss64 = (w1: Float64Array, b1: Float64Array, w2: Float64Array) => {
    const traj = rollout(leapfrog.step(float64Space, convPotential64(w1, b1, w2), DT), STEPS)(
      phase(q0, p0),
    );
    const s = traj[STEPS];
    return s.q.reduce((a, x, i) => a + c[i] * x + d[i] * s.p[i], 0);
  };
  return { q0, p0, c, d, params, loss64 };
};

for (const backend of testBackends) {
  Deno.test({
    name:
      `hamiltonian [${backend.name}]: gradients through a 10-step leapfrog rollout of a conv softplus Hamiltonian match finite differences`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const { q0, p0, c, d, params, loss64 } = convCase();
      const ref = fdGradient(loss64, params, 1e-5);
      const grads = tf.tidy(() => {
        const [q, p, ct, dt] = [t2(q0, QS), t2(p0, QS), t2(c, QS), t2(d, QS)];
        const ps = [t2(params[0], WS), t2(params[1], [3]), t2(params[2], [3])];
        return tf.grads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor) => {
          const traj = rollout(leapfrog.step(tensorSpace, convPotential(w1, b1, w2), DT), STEPS)(
            phase(q, p),
          );
          const s = traj[STEPS];
          return tf.add(tf.sum(tf.mul(ct, s.q)), tf.sum(tf.mul(dt, s.p))) as tf.Scalar;
        })(ps);
      });
      const got = await read(grads);
      tf.dispose(grads);
      const e = relErr(got, ref);
      ok(e < TOL, `relative error ${e}`);
    },
  });
}

// ------------------------------------------ a training step: sigmoid/tanh/softplus general H
const N = 2; // coordinates per sample
const HID = 6;
const MB = 3; // batch
interface Mlp {
  w1: Float64Array; // [2N, HID]
  b1: Float64Array;
  w2: Float64Array; // [HID, HID]
  b2: Float64Array;
  w3: Float64Array; // [HID]
}
const mlpShapes = [[2 * N, HID], [HID], [HID, HID], [HID], [HID]];
const unpack = (ps: Float64Array[]): Mlp => ({
  w1: ps[0],
  b1: ps[1],
  w2: ps[2],
  b2: ps[3],
  w3: ps[4],
});

/** float64 H(x) = softplus(tanh(sigmoid(x W1 + b1) W2 + b2) . w3) + |p|^2 / 2 and its gradient */
const mlp64 = (m: Mlp, x: Float64Array) => {
  const h1 = Float64Array.from({ length: HID }, (_, j) => {
    let z = m.b1[j];
    for (let i = 0; i < 2 * N; i++) z += x[i] * m.w1[i * HID + j];
    return sigmoid(z);
  });
  const h2 = Float64Array.from({ length: HID }, (_, k) => {
    let z = m.b2[k];
    for (let j = 0; j < HID; j++) z += h1[j] * m.w2[j * HID + k];
    return Math.tanh(z);
  });
  const u = h2.reduce((a, h, k) => a + h * m.w3[k], 0);
  const energy = softplus(u) + (x[2] * x[2] + x[3] * x[3]) / 2;
  const dz2 = h2.map((h, k) => sigmoid(u) * m.w3[k] * (1 - h * h));
  const dz1 = h1.map((h, j) => {
    let s = 0;
    for (let k = 0; k < HID; k++) s += m.w2[j * HID + k] * dz2[k];
    return s * h * (1 - h);
  });
  const grad = Float64Array.from({ length: 2 * N }, (_, i) => {
    let s = 0;
    for (let j = 0; j < HID; j++) s += m.w1[i * HID + j] * dz1[j];
    return s + (i >= N ? x[i] : 0);
  });
  return { energy, grad };
};
const mlpHamiltonian64 = (m: Mlp) => {
  const at = (s: Phase<Float64Array>) => mlp64(m, Float64Array.of(...s.q, ...s.p)).grad;
  return hamiltonian<Float64Array>({
    dHdq: (s) => at(s).slice(0, N),
    dHdp: (s) => at(s).slice(N),
    energy: (s) => mlp64(m, Float64Array.of(...s.q, ...s.p)).energy,
  });
};
const mlpHamiltonian = (ps: tf.Tensor[]) =>
  networkHamiltonian((q, p) => {
    const [w1, b1, w2, b2, w3] = ps;
    const h1 = tf.sigmoid(tf.add(tf.matMul(tf.concat([q, p], 1), w1), b1));
    const h2 = tf.tanh(tf.add(tf.matMul(h1, w2), b2));
    return tf.add(tf.softplus(tf.sum(tf.mul(h2, w3), 1)), tf.div(tf.sum(tf.square(p), 1), 2));
  });

const trainingCase = () => {
  const q0 = values(21, MB * N);
  const p0 = values(22, MB * N);
  const target = values(23, MB * N * (STEPS + 1));
  const params = mlpShapes.map((s, i) => values(30 + i, s.reduce((a, b) => a * b, 1)));
  const loss64 = (...ps: Float64Array[]) => {
    const step = paperLeapfrog.step(float64Space, mlpHamiltonian64(unpack(ps)), DT);
    const traj = arrayRollout(step, STEPS, q0, p0, N);
    let s = 0;
    traj.forEach((st, t) => st.q.forEach((x, i) => (s += (x - target[t * MB * N + i]) ** 2)));
    return s / target.length;
  };
  return { q0, p0, target, params, loss64 };
};

/** the loss of the tensor model: mean squared error of the rolled-out positions */
const trainingLoss = (ps: tf.Tensor[], q0: tf.Tensor, p0: tf.Tensor, target: tf.Tensor) => {
  const traj = rollout(
    paperLeapfrog.step(tensorSpace, mlpHamiltonian(ps), DT),
    target.shape[0] - 1,
  )(
    phase(q0, p0),
  );
  return tf.mean(tf.squaredDifference(tf.stack(traj.map((s) => s.q)), target)) as tf.Scalar;
};

for (const backend of testBackends) {
  Deno.test({
    name:
      `hamiltonian [${backend.name}]: a training step of a sigmoid/tanh/softplus Hamiltonian model matches finite differences to 1e-3`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const { q0, p0, target, params, loss64 } = trainingCase();
      const ref = fdGradient(loss64, params, 1e-5);
      const grads = tf.tidy(() => {
        const ps = params.map((x, i) => t2(x, mlpShapes[i]));
        return tf.grads((...a: tf.Tensor[]) =>
          trainingLoss(a, t2(q0, [MB, N]), t2(p0, [MB, N]), t2(target, [STEPS + 1, MB, N]))
        )(ps);
      });
      const got = await read(grads);
      tf.dispose(grads);
      const e = relErr(got, ref);
      ok(e < TOL, `relative error ${e}`);
    },
  });
}

// ------------------------------------------------------------------------ memory discipline
for (const backend of testBackends) {
  Deno.test({
    name:
      `hamiltonian [${backend.name}]: tensor count unchanged across forward+backward of a rollout and 100 training steps`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const { q0, p0, target, params } = trainingCase();
      const q = t2(q0, [MB, N]);
      const p = t2(p0, [MB, N]);
      const y = t2(target, [STEPS + 1, MB, N]);
      let ps = params.map((x, i) => t2(x, mlpShapes[i]));
      const before = tf.memory().numTensors;
      // one forward + backward, results read and disposed
      const once = tf.tidy(() => tf.grads((...a: tf.Tensor[]) => trainingLoss(a, q, p, y))(ps));
      await read(once);
      tf.dispose(once);
      strictEqual(tf.memory().numTensors, before, "forward+backward of a rollout leaked tensors");
      // a tiny training loop (3-step rollouts): pure update(params) -> params, old params disposed
      const y3 = tf.slice(y, 0, 4);
      const loss0T = tf.tidy(() => trainingLoss(ps, q, p, y3));
      const loss0 = await loss0T.data();
      loss0T.dispose();
      for (let i = 0; i < 100; i++) {
        const next = tf.tidy(() => {
          const g = tf.grads((...a: tf.Tensor[]) => trainingLoss(a, q, p, y3))(ps);
          return ps.map((w, k) => tf.sub(w, tf.mul(g[k], 0.5)));
        });
        tf.dispose(ps);
        ps = next;
      }
      const lossT = tf.tidy(() => trainingLoss(ps, q, p, y3));
      const loss1 = (await lossT.data())[0];
      lossT.dispose();
      strictEqual(tf.memory().numTensors, before + 1, "100 training steps leaked tensors"); // + y3
      ok(loss1 < loss0[0], `training did not reduce the loss: ${loss0[0]} -> ${loss1}`);
      tf.dispose([q, p, y, y3, ...ps]);
    },
  });
}
