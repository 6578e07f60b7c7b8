/**
 * A run end to end, above io, train and models: fitting into a run folder (checkpoints, metrics,
 * resume, workers), an HGN run's settings, data, evaluation and report, a density run, the
 * paper's table (cells, one scorer, the assembled tables) and figure 10's comparison, the
 * folder's one-writer lock, and the writes that stop a run with one line.
 *
 * @module
 */
export * from "./compare.ts";
export * from "./density.ts";
export * from "./fit.ts";
export * from "./hgn.ts";
export * from "./hgn_settings.ts";
export * from "./lock.ts";
export * from "./table.ts";
export * from "./writes.ts";
