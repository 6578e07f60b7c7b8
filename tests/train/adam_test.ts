// Adam against a float64 reference of Kingma & Ba's algorithm 1, step by step: descent and
// ascent, a schedule's scale, slots created at zero on first use, and the state it keeps.
import { ok, strictEqual, throws } from "node:assert/strict";
import { adam, adamStep, disposeAdam } from "@hamiltonian/hgn/train";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";

await useBackend("cpu");

/** Algorithm 1 in float64: theta <- theta - lr m_hat / (sqrt(v_hat) + eps). */
const reference = (
  theta: number[],
  grads: number[][],
  o: { lr: number; b1: number; b2: number; eps: number; direction: number; scale: number },
) => {
  const m = theta.map(() => 0);
  const v = theta.map(() => 0);
  const x = [...theta];
  grads.forEach((g, t) => {
    for (let i = 0; i < x.length; i++) {
      m[i] = o.b1 * m[i] + (1 - o.b1) * g[i];
      v[i] = o.b2 * v[i] + (1 - o.b2) * g[i] * g[i];
      const mh = m[i] / (1 - o.b1 ** (t + 1));
      const vh = v[i] / (1 - o.b2 ** (t + 1));
      x[i] -= o.direction * o.scale * o.lr * mh / (Math.sqrt(vh) + o.eps);
    }
  });
  return x;
};

for (const [direction, scale] of [[1, 1], [-1, 1], [1, 0.3]] as const) {
  Deno.test(`adam: 25 steps follow algorithm 1 in float64 (direction ${direction}, scale ${scale})`, async () => {
    const theta = [0.5, -1.25, 2, 1e-3, -7];
    const grads = Array.from(
      { length: 25 },
      (_, t) => theta.map((_, i) => Math.sin(1.3 * t + i) * 10 ** ((i % 3) - 1)),
    );
    const x = tf.variable(tf.tensor1d(theta));
    const opt = adam({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 });
    for (const g of grads) {
      const gt = tf.tensor1d(g);
      adamStep(opt, new Map([["x", x]]), new Map([["x", gt]]), direction, scale);
      ok(!gt.isDisposed, "the gradient is the caller's");
      gt.dispose();
    }
    strictEqual(opt.step, 25);
    const want = reference(theta, grads, {
      lr: 0.01,
      b1: 0.8,
      b2: 0.99,
      eps: 1e-6,
      direction,
      scale,
    });
    const got = Array.from(await x.data());
    got.forEach((v, i) =>
      ok(Math.abs(v - want[i]) < 1e-5 * Math.max(1, Math.abs(want[i])), `${i}: ${v} vs ${want[i]}`)
    );
    disposeAdam(opt);
    x.dispose();
  });
}

Deno.test("adam: slots appear at zero for the parameters given gradients; intermediates freed", () => {
  const a = tf.variable(tf.ones([2]));
  const b = tf.variable(tf.ones([3]));
  const opt = adam({ learningRate: 0.1 });
  const g = tf.ones([2]);
  adamStep(opt, new Map([["a", a], ["b", b]]), new Map([["a", g]]));
  strictEqual(opt.m.size, 1);
  ok(opt.m.has("a") && !opt.m.has("b"));
  const before = tf.memory().numTensors;
  adamStep(opt, new Map([["a", a], ["b", b]]), new Map([["a", g]]));
  strictEqual(
    tf.memory().numTensors,
    before,
    "a step after the first allocates nothing that stays",
  );
  throws(() => adamStep(opt, new Map([["a", a]]), new Map([["c", g]])), /unknown parameter 'c'/);
  disposeAdam(opt);
  strictEqual(opt.m.size + opt.v.size, 0);
  tf.dispose([a, b, g]);
});
