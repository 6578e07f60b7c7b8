/**
 * `cli.ts nhf`: trains a Neural Hamiltonian Flow on a density target (see `cli/density.ts`).
 *
 * @module
 */
import { runDensity } from "./density.ts";

/** One line for the command list. */
export const summary = "train a Neural Hamiltonian Flow on a 2-D (or 6-D) density target";

/** Runs the command. */
export const run = (argv: string[]): Promise<number> => runDensity("nhf", argv);
