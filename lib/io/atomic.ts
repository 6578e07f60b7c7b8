/**
 * Atomic file writes: a temporary file beside the target, then a rename, so a reader sees the
 * old file or the new one, never half of one, and a crash never loses the old file.
 *
 * @module
 */
import { dirname } from "node:path";

let counter = 0;

/**
 * Writes `bytes` to `path` atomically (temporary file in the same directory, then rename; the
 * temporary file is removed on failure). Creates the parent directory.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "@hamiltonian/hgn/io";
 * import { deepStrictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.bin`, Uint8Array.of(1, 2));
 * deepStrictEqual(await Deno.readFile(`${dir}/a.bin`), Uint8Array.of(1, 2));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const writeFileAtomic = async (path: string, bytes: Uint8Array): Promise<void> => {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${++counter}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
};

/**
 * Writes text to `path` atomically (see {@link writeFileAtomic}).
 *
 * @example
 * ```ts
 * import { writeTextAtomic } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeTextAtomic(`${dir}/a.txt`, "hi");
 * strictEqual(await Deno.readTextFile(`${dir}/a.txt`), "hi");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const writeTextAtomic = (path: string, text: string): Promise<void> =>
  writeFileAtomic(path, new TextEncoder().encode(text));

/**
 * Whether something exists at `path` (a missing path is `false`; any other error is thrown).
 *
 * @example
 * ```ts
 * import { pathExists } from "@hamiltonian/hgn/io";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(await pathExists("/no/such/path"), false);
 * ```
 */
export const pathExists = async (path: string): Promise<boolean> => {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
};
