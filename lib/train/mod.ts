/**
 * Training any model record: the training state and its update, Adam, constrained objectives
 * (GECO), the `fit` loop, batch sources, checkpoint records; plus float64 system identification.
 *
 * ```ts
 * import { polynomialHamiltonian } from "@hamiltonian/hgn/train";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(polynomialHamiltonian([0.5], [0.5]).separable, true);
 * ```
 * @module
 */
export type {
  DensityEstimator,
  DensityEstimatorModel,
  FramePrediction,
  FramePredictor,
  FramePredictorModel,
  LossContext,
  LossOutput,
  Model,
  ModelRef,
  ParamGroup,
} from "../models/model.ts";
export { estimatesDensity, predictsFrames } from "../models/model.ts";
export { MODEL_RECORDS } from "../models/registry.ts";
export * from "./identify.ts";
export * from "./adam.ts";
export * from "./state.ts";
export * from "./constrained.ts";
export * from "./fit.ts";
export * from "./sources.ts";
export * from "./checkpoint.ts";
export * from "./parallel.ts";
export { type ModelRegistry, serveGradients } from "./gradient_serve.ts";
