// Parameter trees: paths are stable and sorted, leaves seeded from their paths, trees rebuilt from
// their leaves, and finiteness checked over every leaf.
import { deepStrictEqual, notStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import {
  flattenWithPaths,
  isFiniteTree,
  normalLeaf,
  paramLeaves,
  pathSeed,
  uniformLeaf,
  withLeaves,
} from "../../lib/tensor/params.ts";
import { onBackend } from "./_numeric.ts";

Deno.test("params: paths sorted by key, arrays by index; bad trees are a TypeError", async () => {
  await onBackend("cpu");
  const tree = { z: [tf.scalar(1), { b: tf.scalar(2), a: tf.scalar(3) }], a: tf.scalar(4) };
  deepStrictEqual(flattenWithPaths(tree).map(([p]) => p), ["a", "z/0", "z/1/a", "z/1/b"]);
  deepStrictEqual(await Promise.all(paramLeaves(tree).map(async (t) => (await t.data())[0])), [
    4,
    1,
    3,
    2,
  ]);
  throws(() => flattenWithPaths({ "": tf.scalar(1) }), TypeError);
  throws(() => flattenWithPaths({ w: 3 as unknown as tf.Tensor }), TypeError);
});

Deno.test("params: withLeaves rebuilds the tree in flattenWithPaths order", async () => {
  await onBackend("cpu");
  const tree = { w: tf.zeros([2]), b: [tf.zeros([1])] };
  const rebuilt = withLeaves(tree, [tf.tensor1d([7]), tf.tensor1d([5, 6])]);
  deepStrictEqual(Array.from(await rebuilt.b[0].data()), [7]);
  deepStrictEqual(Array.from(await rebuilt.w.data()), [5, 6]);
});

Deno.test("params: leaves are seeded from (seed, path) alone", async () => {
  await onBackend("cpu");
  strictEqual(pathSeed(3, "enc/0/w"), pathSeed(3, "enc/0/w"));
  notStrictEqual(pathSeed(3, "enc/0/w"), pathSeed(3, "enc/0/b"));
  notStrictEqual(pathSeed(3, "enc/0/w"), pathSeed(4, "enc/0/w"));
  const u = Array.from(await uniformLeaf(1, "u", [1000], 0.25).data());
  ok(u.every((x) => Math.abs(x) <= 0.25));
  ok(Math.abs(u.reduce((a, b) => a + b, 0) / u.length) < 0.02, "centred");
  const n = Array.from(await normalLeaf(1, "n", [4000], 2).data());
  const mean = n.reduce((a, b) => a + b, 0) / n.length;
  const sd = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
  ok(Math.abs(sd - 2) < 0.1, `std ${sd}`);
  deepStrictEqual(
    await uniformLeaf(1, "u", [5], 1).data(),
    await uniformLeaf(1, "u", [5], 1).data(),
  );
});

Deno.test("params: isFiniteTree finds a NaN or an infinity in any leaf", async () => {
  await onBackend("cpu");
  strictEqual(await isFiniteTree({}), true);
  strictEqual(await isFiniteTree({ a: [tf.ones([3])], b: tf.zeros([2]) }), true);
  strictEqual(await isFiniteTree({ a: [tf.ones([3])], b: tf.tensor1d([0, NaN]) }), false);
  strictEqual(await isFiniteTree([tf.tensor1d([-Infinity])]), false);
});
