/**
 * Systems by name, for the CLI and the law tests.
 *
 * @module
 */
import { henonHeiles, nonSeparable } from "./extras.ts";
import { massSpring } from "./mass_spring.ts";
import { threeBody, twoBody } from "./n_body.ts";
import { pendulum } from "./pendulum.ts";
import type { System } from "./system.ts";

/**
 * Every built-in system with its default (paper) parameters, by name: the paper's four first.
 *
 * @example
 * ```ts
 * import { systems } from "@hamiltonian/hgn/systems";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(systems["pendulum"]().name, "pendulum");
 * ```
 */
export const systems: Readonly<Record<SystemName, () => System>> = {
  "mass-spring": () => massSpring(),
  "pendulum": () => pendulum(),
  "two-body": () => twoBody(),
  "three-body": () => threeBody(),
  "henon-heiles": henonHeiles,
  "non-separable": nonSeparable,
};

/** Names of the built-in systems. */
export type SystemName =
  | "mass-spring"
  | "pendulum"
  | "two-body"
  | "three-body"
  | "henon-heiles"
  | "non-separable";

/**
 * The built-in system called `name`, or a `RangeError` listing the accepted names.
 *
 * @example
 * ```ts
 * import { systemByName } from "@hamiltonian/hgn/systems";
 * import { throws } from "node:assert/strict";
 * throws(() => systemByName("spring"), /accepted: mass-spring/);
 * ```
 */
export const systemByName = (name: string): System => {
  const make = (systems as Record<string, () => System>)[name];
  if (!make) {
    throw new RangeError(`unknown system '${name}'; accepted: ${Object.keys(systems).join(", ")}`);
  }
  return make();
};
