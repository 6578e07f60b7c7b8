/**
 * Writes that fail mid-run (disk full, permission lost, I/O error) as one line naming the file and
 * the run's last good checkpoint, instead of an OS error's stack trace.
 *
 * @module
 */

/** A run stopped by a write that failed; the message names the file and the last good checkpoint. */
export class RunWriteError extends RangeError {
  /**
   * @param file the file that could not be written
   * @param reason the operating system's message
   * @param lastGood the newest checkpoint known to be complete, or `none`
   */
  constructor(readonly file: string, readonly reason: string, readonly lastGood: string) {
    super(
      `could not write ${file} (${reason}); the run stopped; last good checkpoint: ${lastGood}`,
    );
    this.name = "RunWriteError";
  }
}

/** Whether `e` is the operating system refusing a write (it carries an errno code, e.g. ENOSPC). */
export const isWriteFailure = (e: unknown): e is Error =>
  e instanceof Error && !(e instanceof RangeError) && !(e instanceof TypeError) &&
  (typeof (e as { code?: unknown }).code === "string" ||
    e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable);

/**
 * Runs the write `f` of `file`; an OS failure becomes a {@link RunWriteError} naming `file` and
 * `lastGood()` (anything else is rethrown as it is).
 *
 * @example
 * ```ts
 * import { guardWrite, RunWriteError } from "@hamiltonian/hgn/runs";
 * import { rejects } from "node:assert/strict";
 * // what Deno throws when the disk is full
 * const full = Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
 * await rejects(
 *   guardWrite("c/ckpt-2.bin", () => "c/ckpt-1.bin", () => Promise.reject(full)),
 *   (e) => e instanceof RunWriteError && /last good checkpoint: c\/ckpt-1\.bin/.test(e.message),
 * );
 * ```
 */
export const guardWrite = async <T>(
  file: string,
  lastGood: () => string,
  f: () => Promise<T>,
): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    if (isWriteFailure(e)) throw new RunWriteError(file, e.message.split("\n")[0], lastGood());
    throw e;
  }
};
