/**
 * Opening a trained HGN run from the command line (`eval`, `rollout`): the flags' checks, the
 * backend's report line. The run itself is the library's (`lib/runs/hgn.ts`).
 *
 * @module
 */
import type { ExampleReader } from "../lib/data/reader.ts";
import { disposeState, isFiniteState } from "../lib/train/state.ts";
import { type BackendRequest, backendRequests, useBackend } from "../lib/tensor/backend.ts";
import { type HgnRunState, loadRunState, openReader, readSettings } from "../lib/runs/hgn.ts";
import type { RunSettings } from "../lib/runs/hgn_settings.ts";
import { UsageError } from "./usage.ts";

/**
 * Opens a trained run for `eval` and `rollout`: its settings, the backend (the run's unless
 * `backend` overrides it; its report line printed with `label`), its data and its newest
 * checkpoint (which must be finite).
 */
export const openRun = async (
  label: string,
  dir: string | undefined,
  backend: string | undefined,
): Promise<{ dir: string; settings: RunSettings; state: HgnRunState; reader: ExampleReader }> => {
  if (!dir) throw new UsageError("--run DIR is required (a directory written by 'cli.ts train')");
  const settings = await readSettings(dir);
  const request = (backend ?? settings.run.backend) as BackendRequest;
  if (!backendRequests.includes(request)) {
    throw new UsageError(
      `--backend must be one of ${backendRequests.join(", ")}, got '${request}'`,
    );
  }
  const reader = await openReader(settings);
  console.log(`${label}: ${(await useBackend(request)).report}`);
  const state = await loadRunState(dir, settings);
  if (!await isFiniteState(state)) {
    disposeState(state);
    throw new UsageError(
      `${dir}: the newest checkpoint (step ${state.step}) holds NaN or infinite weights; nothing it predicts means anything`,
    );
  }
  return { dir, settings, state, reader };
};
