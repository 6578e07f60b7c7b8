// Laws of invertible maps under composition: identity, associativity, the inverse of a
// composition, and f andThen inverse(f) = id; checked on real integrator flows.
import {
  andThen,
  concatAll,
  float64Space,
  flow,
  identity,
  implicitLeapfrog,
  inverse,
  invertibleMonoid,
  leapfrog,
  type Phase,
  power,
  symplecticEuler,
  yoshida4,
} from "@hamiltonian/hgn/core";
import { henonHeiles, nonSeparable, pendulum } from "@hamiltonian/hgn/systems";
import { deepStrictEqual, ok } from "node:assert/strict";
import { fc } from "../deps.ts";
import { FC, TOL } from "./registry.ts";
import { relativeDifference } from "@hamiltonian/hgn/laws";

const hh = henonHeiles();
const f = flow(leapfrog, float64Space, hh.hamiltonian)(0.1);
const g = flow(symplecticEuler, float64Space, hh.hamiltonian)(0.07);
const h = flow(yoshida4(leapfrog), float64Space, henonHeiles().hamiltonian)(-0.05);
const state = fc.tuple(
  fc.double({ min: -0.3, max: 0.3, noNaN: true }),
  fc.double({ min: -0.3, max: 0.3, noNaN: true }),
)
  .map(([a, b]): S => ({ q: Float64Array.of(a, b), p: Float64Array.of(b, -a) }));
type S = Phase<Float64Array>;

Deno.test("group: identity is a two-sided unit (exactly)", () => {
  fc.assert(
    fc.property(state, (s) => {
      deepStrictEqual(andThen(identity<S>(), f).forward(s), f.forward(s));
      deepStrictEqual(andThen(f, identity<S>()).inverse(s), f.inverse(s));
    }),
    FC,
  );
});

Deno.test("group: composition is associative (exactly, both directions)", () => {
  fc.assert(
    fc.property(state, (s) => {
      const left = andThen(andThen(f, g), h);
      const right = andThen(f, andThen(g, h));
      deepStrictEqual(left.forward(s), right.forward(s));
      deepStrictEqual(left.inverse(s), right.inverse(s));
    }),
    FC,
  );
});

Deno.test("group: inverse(f andThen g) = inverse(g) andThen inverse(f) (exactly)", () => {
  fc.assert(
    fc.property(state, (s) => {
      deepStrictEqual(
        inverse(andThen(f, g)).forward(s),
        andThen(inverse(g), inverse(f)).forward(s),
      );
    }),
    FC,
  );
});

Deno.test("group: f andThen inverse(f) is the identity up to roundoff", () => {
  fc.assert(
    fc.property(state, (s) => {
      for (const m of [f, g, h, concatAll(invertibleMonoid<S>())([f, g, h, power(g, 3)])]) {
        ok(relativeDifference(andThen(m, inverse(m)).forward(s), s) <= TOL.reversibility);
        ok(relativeDifference(andThen(inverse(m), m).forward(s), s) <= TOL.reversibility);
      }
    }),
    FC,
  );
});

Deno.test("group: a flow composed from two different Hamiltonians (one non-separable) inverts", () => {
  const a = flow(leapfrog, float64Space, pendulum().hamiltonian)(0.2);
  const b = flow(implicitLeapfrog, float64Space, nonSeparable().hamiltonian)(0.1);
  const ab = power(andThen(a, b), 10);
  const s = { q: Float64Array.of(0.4), p: Float64Array.of(-0.3) };
  ok(relativeDifference(ab.inverse(ab.forward(s)), s) <= TOL.reversibility);
});
