import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import {
  applyConv2d,
  applyDense,
  initConv2d,
  initDense,
  paramLeaves,
  upsampleNearest2x,
  withLeaves,
} from "../../lib/tensor/nn.ts";
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
      const cfg = { inChannels: 2, outChannels: 3, stride: 2 };
      const p1 = initConv2d(cfg, 5);
      const p2 = initConv2d(cfg, 5);
      const p3 = initConv2d(cfg, 6);
      const [a, b, c] = await read([p1.w, p2.w, p3.w]);
      deepStrictEqual(a, b);
      ok(a.some((v, i) => v !== c[i]), "different seeds give different weights");
      const std = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
      ok(std > 0.2 && std < 0.7, `He-normal std ${std} (expected about ${Math.sqrt(2 / 18)})`);
      // conv against the float64 loop (bias 0.5 added)
      const x = values(1, 2 * 5 * 5 * 2);
      const pb = { w: p1.w, b: tf.fill([3], 0.5) as tf.Tensor1D };
      const y = applyConv2d(pb, tf.tensor(Float32Array.from(x), [2, 5, 5, 2]), cfg);
      deepStrictEqual(y.shape, [2, 3, 3, 3]);
      const ref = conv(geom([2, 5, 5, 2], [3, 3, 2, 3], 2, "same"), x, a).map((v) => v + 0.5);
      const [got] = await read([y]);
      ok(got.every((v, i) => Math.abs(v - ref[i]) < 1e-5));
      // dense
      const d = initDense(3, 2, 9);
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
