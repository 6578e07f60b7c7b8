// Invertible maps: identity, inverse, composition in both forms (data-first and pipeable, in
// the same order), the monoid, and powers, each checked on maps whose composites differ by order.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { pipe } from "../../lib/deps/fp.ts";
import {
  andThen,
  concatAll,
  identity,
  inverse,
  type Invertible,
  invertibleMonoid,
  power,
} from "@hamiltonian/hgn/core";

// x -> 2x and x -> x + 3 do not commute: the order of every composite shows
const double: Invertible<number> = { forward: (x) => 2 * x, inverse: (x) => x / 2 };
const shift: Invertible<number> = { forward: (x) => x + 3, inverse: (x) => x - 3 };

Deno.test("identity and inverse: identity changes nothing; inverse swaps the two directions", () => {
  strictEqual(identity<number>().forward(5), 5);
  strictEqual(identity<number>().inverse(5), 5);
  strictEqual(inverse(double).forward(8), 4);
  strictEqual(inverse(double).inverse(8), 16);
  strictEqual(inverse(inverse(shift)).forward(1), 4);
});

Deno.test("andThen: f then g forward, g's inverse then f's backward; pipeable in the same order", () => {
  const fg = andThen(double, shift);
  strictEqual(fg.forward(1), 5); // 2 * 1 + 3
  strictEqual(fg.inverse(5), 1); // (5 - 3) / 2
  strictEqual(andThen(shift, double).forward(1), 8); // (1 + 3) * 2
  const piped = pipe(double, andThen(shift));
  strictEqual(piped.forward(1), fg.forward(1));
  strictEqual(piped.inverse(7), fg.inverse(7));
});

Deno.test("invertibleMonoid and concatAll: folds left to right from the identity", () => {
  const all = concatAll(invertibleMonoid<number>())([double, shift, double]);
  strictEqual(all.forward(1), 10); // ((1 * 2) + 3) * 2
  strictEqual(all.inverse(10), 1);
  strictEqual(concatAll(invertibleMonoid<number>())([]).forward(7), 7);
});

Deno.test("power: n-fold composition both ways, 0 is the identity, pipeable; n must be an integer >= 0", () => {
  strictEqual(power(double, 3).forward(1), 8);
  strictEqual(power(double, 3).inverse(8), 1);
  strictEqual(power(shift, 0).forward(1), 1);
  deepStrictEqual([1, 2].map(pipe(shift, power(4)).forward), [13, 14]);
  throws(() => power(double, -1), /n must be an integer >= 0, got -1/);
  throws(() => power(double, 1.5), /got 1.5/);
});
