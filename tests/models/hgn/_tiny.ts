// A tiny HGN for fast tests: the full architecture with a handful of channels.
import { type HgnConfig, SMALL_HGN } from "@hamiltonian/hgn/models/hgn";

export const TINY: HgnConfig = {
  ...SMALL_HGN,
  inputFrames: 2,
  rolloutSteps: 3,
  stateChannels: 2,
  encoderWidth: 4,
  encoderLayers: 5,
  transformerWidth: 4,
  transformerLayers: 2,
  hamiltonianWidth: 4,
  hamiltonianLayers: 2,
  decoderWidth: 4,
};
