import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import { flattenWithPaths, mapParams, paramLeaves, withLeaves } from "../../lib/tensor/params.ts";
import {
  applyConv2d,
  applyConvStack,
  applyDense,
  applyMlp,
  initConv2d,
  initConvStack,
  initDense,
  initMlp,
  upsampleNearest2x,
} from "../../lib/tensor/layers.ts";
import { conv, geom } from "./_reference.ts";
import { onBackend, read, testBackends, values } from "./_numeric.ts";

for (const backend of testBackends) {
  Deno.test({
    name:
      `nn [${backend.name}]: seeded init, conv/dense/upsample against float64 loops, param trees`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const before = tf.memory().numTensors;
      const cfg = { inChannels: 2, outChannels: 3 };
      const p1 = initConv2d(5, "c", cfg);
      const p2 = initConv2d(5, "c", cfg);
      const p3 = initConv2d(6, "c", cfg);
      const [a, b, c] = await read([p1.w, p2.w, p3.w]);
      deepStrictEqual(a, b);
      ok(a.some((v, i) => v !== c[i]), "different seeds give different weights");
      const limit = Math.sqrt(6 / (18 + 27));
      ok(a.every((v) => Math.abs(v) <= limit), "Glorot-uniform bound");
      const std = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
      ok(std > 0.5 * limit / Math.sqrt(3) && std < 1.5 * limit / Math.sqrt(3), `std ${std}`);
      // conv against the float64 loop (bias 0.5 added)
      const x = values(1, 2 * 5 * 5 * 2);
      const pb = { w: p1.w, b: tf.fill([3], 0.5) as tf.Tensor1D };
      const y = applyConv2d(pb, tf.tensor(Float32Array.from(x), [2, 5, 5, 2]), { stride: 2 });
      deepStrictEqual(y.shape, [2, 3, 3, 3]);
      const ref = conv(geom([2, 5, 5, 2], [3, 3, 2, 3], 2, "same"), x, a).map((v) => v + 0.5);
      const [got] = await read([y]);
      ok(got.every((v, i) => Math.abs(v - ref[i]) < 1e-5));
      // dense
      const d = initDense(9, "d", 3, 2);
      const z = applyDense(d, tf.tensor2d([[1, 0, 0], [0, 1, 1]]));
      const [zw, zd] = await read([d.w, z]);
      ok(Math.abs(zd[0] - zw[0]) < 1e-6 && Math.abs(zd[3] - (zw[3] + zw[5])) < 1e-6);
      // upsample: every pixel becomes a 2x2 block, batch > 1
      const u = upsampleNearest2x(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]));
      const [uu] = await read([u]);
      deepStrictEqual(Array.from(uu.slice(16, 24)), [5, 5, 6, 6, 5, 5, 6, 6]);
      // param trees round-trip
      const tree = { enc: [p1, p2], dense: d };
      const leaves = paramLeaves(tree);
      strictEqual(leaves.length, 6);
      const back = withLeaves(tree, leaves);
      strictEqual(back.enc[1].w, p2.w);
      strictEqual(back.dense.b, d.b);
      throws(() => withLeaves(tree, leaves.slice(1)), RangeError);
      tf.dispose([p1.w, p1.b, p2.w, p2.b, p3.w, p3.b, pb.b, y, d.w, d.b, z, u]);
      strictEqual(tf.memory().numTensors, before + 0 + 3); // the three literal inputs above
    },
  });
}

Deno.test("nn: leaves are named by path and seeded from it: adding a layer reseeds nothing else", async () => {
  await onBackend("cpu");
  const spec = (n: number) => ({
    inChannels: 2,
    layers: Array.from({ length: n }, () => ({ channels: 3, activation: "leakyRelu" as const })),
  });
  const two = {
    enc: initConvStack(1, "enc", spec(2)),
    head: initMlp(1, "head", { sizes: [3, 4, 1], activation: "softplus" }),
  };
  const three = {
    enc: initConvStack(1, "enc", spec(3)),
    head: initMlp(1, "head", { sizes: [3, 4, 1], activation: "softplus" }),
  };
  deepStrictEqual(flattenWithPaths(two).map(([p]) => p), [
    "enc/0/b",
    "enc/0/w",
    "enc/1/b",
    "enc/1/w",
    "head/0/b",
    "head/0/w",
    "head/1/b",
    "head/1/w",
  ]);
  const byPath = async (t: object) =>
    new Map(
      await Promise.all(
        flattenWithPaths(t).map(async ([p, x]) => [p, Array.from(await x.data())] as const),
      ),
    );
  const a = await byPath(two);
  const b = await byPath(three);
  for (const [path, v] of a) deepStrictEqual(b.get(path), v, path);
  ok(b.has("enc/2/w"));
  // distinct paths, distinct draws
  ok(a.get("enc/0/w")!.some((v, i) => v !== b.get("enc/1/w")![i]));
  // mapParams keeps the shape and the paths
  const doubled = mapParams(two, (t) => tf.mul(t, 2));
  deepStrictEqual(flattenWithPaths(doubled).map(([p]) => p), flattenWithPaths(two).map(([p]) => p));
  throws(() => flattenWithPaths({ "a/b": tf.scalar(1) }), TypeError);
  // MLP and conv stack shapes
  deepStrictEqual(
    applyMlp({ sizes: [3, 4, 1], activation: "softplus" }, two.head, tf.zeros([5, 3])).shape,
    [5, 1],
  );
  deepStrictEqual(applyConvStack(spec(2), two.enc, tf.zeros([1, 4, 4, 2])).shape, [1, 4, 4, 3]);
});
