// Shared by the tests that compare weights: a parameter tree's values by path, as plain numbers
// (deepStrictEqual on two of these is bit-for-bit equality of the trees).
import { flattenWithPaths } from "@hamiltonian/hgn/tensor";

/** Every leaf of `tree` as `[path, values]`, in `flattenWithPaths` order. */
export const paramValues = (tree: object): Promise<[string, number[]][]> =>
  Promise.all(
    flattenWithPaths(tree).map(async ([path, t]) => [path, Array.from(await t.data())]),
  );
