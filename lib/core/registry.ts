/**
 * Integrators by name, for configuration files and the command line.
 *
 * @module
 */
import { suzuki4, yoshida4, yoshida6 } from "./composition.ts";
import {
  euler,
  implicitEuler,
  implicitLeapfrog,
  type Integrator,
  leapfrog,
  paperLeapfrog,
  rk4,
  symplecticEuler,
  symplecticEulerAdjoint,
} from "./integrator.ts";

/**
 * Every named integrator. Compositions (`yoshida4`, `suzuki4`, `yoshida6`) are built over
 * {@link leapfrog}; the `*Implicit` names build them over the implicit leapfrog for non-separable
 * Hamiltonians.
 *
 * @example
 * ```ts
 * import { integrators } from "@hamiltonian/hgn/core";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(integrators["yoshida4"].order, 4);
 * ```
 */
export const integrators: Readonly<Record<string, Integrator>> = {
  euler,
  implicitEuler,
  symplecticEuler,
  symplecticEulerAdjoint,
  leapfrog,
  implicitLeapfrog,
  paperLeapfrog,
  rk4,
  yoshida4: yoshida4(leapfrog),
  suzuki4: suzuki4(leapfrog),
  yoshida6: yoshida6(leapfrog),
  yoshida4Implicit: yoshida4(implicitLeapfrog),
  yoshida6Implicit: yoshida6(implicitLeapfrog),
};

/**
 * The integrator called `name`, or a `RangeError` listing the accepted names.
 *
 * @example
 * ```ts
 * import { integratorByName } from "@hamiltonian/hgn/core";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(integratorByName("leapfrog").symmetric, true);
 * throws(() => integratorByName("verlet"), /accepted: euler/);
 * ```
 */
export const integratorByName = (name: string): Integrator => {
  const found = Object.hasOwn(integrators, name) ? integrators[name] : undefined;
  if (!found) {
    throw new RangeError(
      `unknown integrator '${name}'; accepted: ${Object.keys(integrators).join(", ")}`,
    );
  }
  return found;
};
