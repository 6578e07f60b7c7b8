// Small numeric helpers shared by the law tests.
import { type Phase, random } from "@hamiltonian/hgn/core";
import type { System } from "@hamiltonian/hgn/systems";

/** A state drawn by the system's own sampler from an integer seed. */
export const sampleState = (system: System, seed: number): Phase<Float64Array> =>
  system.sample(random(seed));
