/**
 * Parameter trees: a tensor, or a record or array of trees, with stable path names.
 *
 * - {@link flattenWithPaths} names every leaf by its path (`encoder/0/w`); the optimiser and the
 *   checkpoint both use it.
 * - Every leaf is seeded from its path ({@link pathSeed}): adding a layer, or a whole network,
 *   reseeds nothing else, and a model's weights do not depend on the order it builds them in.
 *
 * @module
 */
import { deriveSeed, random } from "../core/random.ts";
import { tf } from "../deps/tf.ts";

/**
 * A tree of parameter tensors: a tensor, or a record or array of trees (typed as `object` so
 * that interfaces like {@link DenseParams} fit; anything else in a tree is a `TypeError`).
 */
export type Params = object;

const isTensor = (p: unknown): p is tf.Tensor => p instanceof tf.Tensor;

const children = (p: Params, path: string): [string, Params][] => {
  if (Array.isArray(p)) return (p as readonly Params[]).map((c, i) => [String(i), c]);
  if (p === null || typeof p !== "object") {
    throw new TypeError(
      `a parameter tree holds tensors, records and arrays; got ${p} at '${path}'`,
    );
  }
  const r = p as { readonly [k: string]: Params };
  return Object.keys(r).sort().map((k) => {
    if (k === "" || k.includes("/")) {
      throw new TypeError(`parameter names must be non-empty and free of '/', got '${k}'`);
    }
    return [k, r[k]];
  });
};

/**
 * Every leaf of a tree with its path (`a/b/0/w`), record keys sorted, arrays by index: the names
 * the optimiser and the checkpoint use. Names are stable: they depend only on the tree's shape.
 *
 * @example
 * ```ts
 * import { flattenWithPaths, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const tree = { b: [tf.zeros([2])], a: { w: tf.ones([1]) } };
 * deepStrictEqual(flattenWithPaths(tree).map(([path]) => path), ["a/w", "b/0"]);
 * ```
 */
export const flattenWithPaths = (tree: Params, prefix = ""): [string, tf.Tensor][] => {
  if (isTensor(tree)) return [[prefix, tree]];
  return children(tree, prefix).flatMap(([k, c]) =>
    flattenWithPaths(c, prefix === "" ? k : `${prefix}/${k}`)
  );
};

/**
 * The tree with each leaf replaced by `f(leaf, path)` (same shape, same paths).
 *
 * @example
 * ```ts
 * import { mapParams, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const doubled = mapParams({ w: tf.ones([2]) }, (t) => tf.mul(t, 2));
 * deepStrictEqual(Array.from(await doubled.w.data()), [2, 2]);
 * ```
 */
export const mapParams = <P extends Params>(
  tree: P,
  f: (leaf: tf.Tensor, path: string) => tf.Tensor,
): P => {
  const go = (n: Params, path: string): Params => {
    if (isTensor(n)) return f(n, path);
    const kids = children(n, path).map(([k, c]) => [k, go(c, path === "" ? k : `${path}/${k}`)]);
    return Array.isArray(n) ? kids.map(([, c]) => c) : Object.fromEntries(kids);
  };
  return go(tree, "") as P;
};

/**
 * The tensors of a parameter tree in {@link flattenWithPaths} order, e.g. for `tf.grads`.
 *
 * @example
 * ```ts
 * import { paramLeaves, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(paramLeaves({ b: tf.zeros([2]), a: { w: tf.ones([1]) } }).length, 2);
 * ```
 */
export const paramLeaves = (p: Params): tf.Tensor[] => flattenWithPaths(p).map(([, t]) => t);

/**
 * The tree `p` with its leaves replaced, in {@link paramLeaves} order, by `leaves` (inverse of
 * {@link paramLeaves}: `withLeaves(p, paramLeaves(p))` has the same tensors as `p`).
 *
 * @example
 * ```ts
 * import { paramLeaves, tf, useBackend, withLeaves } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * const p = { w: tf.zeros([2]), b: tf.zeros([1]) };
 * const q = withLeaves(p, paramLeaves(p).map((t) => t.add(1)));
 * strictEqual((await q.w.data())[0], 1);
 * ```
 */
export const withLeaves = <P extends Params>(p: P, leaves: readonly tf.Tensor[]): P => {
  let i = 0;
  const out = mapParams(p, () => leaves[i++]);
  if (i !== leaves.length) {
    throw new RangeError(`withLeaves: the tree has ${i} leaves, got ${leaves.length} tensors`);
  }
  return out;
};

/** FNV-1a hash of a string's UTF-16 code units, as a uint32. */
const fnv1a = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
};

/**
 * The seed of the leaf at `path` of a model seeded with `seed`: a function of both alone, so
 * adding a layer reseeds nothing else.
 *
 * @example
 * ```ts
 * import { pathSeed } from "@hamiltonian/hgn/tensor";
 * import { notStrictEqual, strictEqual } from "node:assert/strict";
 * strictEqual(pathSeed(0, "encoder/0/w"), pathSeed(0, "encoder/0/w"));
 * notStrictEqual(pathSeed(0, "encoder/0/w"), pathSeed(0, "encoder/1/w"));
 * ```
 */
export const pathSeed = (seed: number, path: string): number =>
  deriveSeed(seed, 0x9a7e, fnv1a(path));

/**
 * Float32 `U(-limit, limit)` values seeded from `(seed, path)`, as a tensor of `shape`.
 *
 * @example
 * ```ts
 * import { uniformLeaf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { ok } from "node:assert/strict";
 * await useBackend("cpu");
 * ok((await uniformLeaf(0, "w", [100], 0.5).data()).every((x) => Math.abs(x) <= 0.5));
 * ```
 */
export const uniformLeaf = (
  seed: number,
  path: string,
  shape: number[],
  limit: number,
): tf.Tensor => {
  const r = random(pathSeed(seed, path));
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = r.uniform(-limit, limit);
  return tf.tensor(values, shape);
};

/**
 * Float32 `N(0, std^2)` values seeded from `(seed, path)`, as a tensor of `shape`.
 *
 * @example
 * ```ts
 * import { normalLeaf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { deepStrictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * deepStrictEqual(await normalLeaf(1, "c", [3], 0.1).data(), await normalLeaf(1, "c", [3], 0.1).data());
 * ```
 */
export const normalLeaf = (seed: number, path: string, shape: number[], std: number): tf.Tensor => {
  const r = random(pathSeed(seed, path));
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = std * r.normal();
  return tf.tensor(values, shape);
};

/**
 * Whether every leaf of a parameter tree is finite.
 *
 * @example
 * ```ts
 * import { isFiniteTree, tf, useBackend } from "@hamiltonian/hgn/tensor";
 * import { strictEqual } from "node:assert/strict";
 * await useBackend("cpu");
 * strictEqual(await isFiniteTree({ w: tf.tensor1d([1, Infinity]) }), false);
 * strictEqual(await isFiniteTree({ w: tf.tensor1d([1, 2]) }), true);
 * ```
 */
export const isFiniteTree = async (tree: Params): Promise<boolean> => {
  const leaves = paramLeaves(tree);
  if (leaves.length === 0) return true;
  const zero = tf.tidy(() =>
    leaves.reduce((a, t) => tf.add(a, tf.sum(tf.mul(t, 0))), tf.scalar(0))
  );
  const v = (await zero.data())[0];
  zero.dispose();
  return v === 0;
};
