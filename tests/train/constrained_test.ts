// GECO as a wrapper of any model: the Lagrangian is the loss plus lambda times the constraint's
// excess, lambda = softplus(u) starts at its init and ascends while the constraint is violated
// and descends once it holds; the wrapper refuses a model without a constraint or with its own
// parameters named geco.
import { ok, strictEqual, throws } from "node:assert/strict";
import { constrained, initState, type Model, trainStep } from "@hamiltonian/hgn/train";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";

await useBackend("cpu");

type P = { x: tf.Scalar };
/** Minimise (x - 3)^2 subject to x^2 <= tolerance. */
const toy: Model<object, P, null> = {
  name: "toy",
  init: () => ({ x: tf.scalar(3) }),
  loss: (_, p) => ({
    loss: tf.square(tf.sub(p.x, 3)) as tf.Scalar,
    constraint: tf.square(p.x) as tf.Scalar,
    metrics: {},
  }),
};
const geco = { tolerance: 1, init: 0.5, learningRate: 0.05 };
const value = async (t: tf.Tensor) => (await t.data())[0];

Deno.test("constrained: loss + lambda (constraint - tolerance), lambda = softplus(u) from init", async () => {
  const model = constrained(toy);
  strictEqual(model.name, "toy+geco");
  const params = model.init({ geco }, 0);
  ok(Math.abs(await value(tf.softplus(params.geco.u)) - 0.5) < 1e-6);
  const out = model.loss({ geco }, params, null, { seed: 0, step: 0 });
  // x = 3: loss 0, constraint 9, lambda 0.5 -> 0 + 0.5 * (9 - 1)
  ok(Math.abs(await value(out.loss) - 4) < 1e-5);
  ok(Math.abs(await value(out.metrics.lambda) - 0.5) < 1e-6);
  const groups = model.groups!({ geco });
  strictEqual(groups.at(-1)!.prefix, "geco/");
  strictEqual(groups.at(-1)!.ascend, true);
  strictEqual(groups.at(-1)!.learningRate, 0.05);
});

Deno.test("constrained: lambda grows while the constraint is violated, falls once it holds", async () => {
  const model = constrained(toy);
  const s = initState(model, { geco }, { learningRate: 0.02, seed: 0 });
  const lambdas: number[] = [];
  for (let i = 0; i < 400; i++) lambdas.push((await trainStep(s, null)).lambda);
  ok(lambdas[20] > lambdas[0], `violated at x = 3: lambda ${lambdas[0]} -> ${lambdas[20]}`);
  // the constrained optimum: x = 1 on the boundary, lambda = (3 - x) / x = 2
  const x = await value(s.params.x);
  ok(Math.abs(x - 1) < 0.1, `x ${x}`);
  // with a loose tolerance the constraint holds from the start, and lambda only falls
  const loose = initState(model, { geco: { ...geco, tolerance: 100 } }, {
    learningRate: 0.02,
    seed: 0,
  });
  const l: number[] = [];
  for (let i = 0; i < 50; i++) l.push((await trainStep(loose, null)).lambda);
  ok(l.every((v, i) => i === 0 || v <= l[i - 1]), `${l.slice(0, 5)}`);
});

Deno.test("constrained: a model without a constraint, or with its own geco parameters, is refused", () => {
  const free: Model<object, P, null> = {
    ...toy,
    loss: (c, p, b, ctx) => ({ ...toy.loss(c, p, b, ctx), constraint: undefined }),
  };
  const m = constrained(free);
  throws(() => m.loss({ geco }, m.init({ geco }, 0), null, { seed: 0, step: 0 }), /no constraint/);
  const clash = constrained(
    { ...toy, init: () => ({ x: tf.scalar(0), geco: tf.scalar(1) }) } as never,
  );
  throws(
    () => clash.init({ geco }, 0),
    /already has parameters named 'geco'/,
  );
});
