/**
 * The only door to cli-progress, with a full pinned `npm:` specifier.
 *
 * ```ts ignore
 * import { SingleBar } from "./progress.ts";
 * ```
 * @module
 */
import cliProgress from "npm:cli-progress@3.12.0";

/** cli-progress's single progress bar. */
export const SingleBar: typeof cliProgress.SingleBar = cliProgress.SingleBar;
