/**
 * A run end to end, above io, train and models: the run folder's one-writer lock and the
 * writes that stop a run with one line.
 *
 * @module
 */
export * from "./lock.ts";
export * from "./writes.ts";
