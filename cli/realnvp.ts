/**
 * `cli.ts realnvp`: trains the RealNVP baseline on a density target (see `cli/density.ts`).
 *
 * @module
 */
import { runDensity } from "./density.ts";

/** One line for the command list. */
export const summary = "train the RealNVP baseline on a density target";

/** Runs the command. */
export const run = (argv: string[]): Promise<number> => runDensity("realnvp", argv);
