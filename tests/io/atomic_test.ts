// Atomic writes: a reader sees the old file or the new one, never a part; a failed write leaves
// the old file and no temporary file behind; pathExists tells missing from unreadable.
import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { pathExists, writeFileAtomic, writeTextAtomic } from "@hamiltonian/hgn/io";
import { inTempDir } from "../_temp.ts";

const names = async (dir: string): Promise<string[]> =>
  (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

Deno.test("atomic: a write replaces the file whole, makes its folder and leaves nothing else", () =>
  inTempDir(async (dir) => {
    const path = join(dir, "deep", "er", "a.bin");
    await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    await writeFileAtomic(path, Uint8Array.of(9));
    deepStrictEqual(await Deno.readFile(path), Uint8Array.of(9));
    deepStrictEqual(await names(join(dir, "deep", "er")), ["a.bin"]);
    await writeTextAtomic(path, "héllo");
    strictEqual(await Deno.readTextFile(path), "héllo");
  }));

Deno.test("atomic: concurrent writes of one path each land whole, with no temporary file left", () =>
  inTempDir(async (dir) => {
    const path = join(dir, "a.bin");
    const payloads = Array.from({ length: 8 }, (_, i) => new Uint8Array(1 << 16).fill(i + 1));
    await Promise.all(payloads.map((p) => writeFileAtomic(path, p)));
    const got = await Deno.readFile(path);
    ok(payloads.some((p) => p.length === got.length && p.every((x, i) => x === got[i])));
    deepStrictEqual(await names(dir), ["a.bin"]);
  }));

Deno.test("atomic: a write that fails keeps the old file and removes its temporary file", () =>
  inTempDir(async (dir) => {
    // the target is a non-empty folder: the rename fails after the temporary file was written
    const path = join(dir, "target");
    await Deno.mkdir(join(path, "inside"), { recursive: true });
    await rejects(writeFileAtomic(path, Uint8Array.of(1)));
    deepStrictEqual(await names(dir), ["target"]);
    deepStrictEqual(await names(path), ["inside"]);
    // the parent is a file: nothing can be made
    await Deno.writeTextFile(join(dir, "file"), "old");
    await rejects(writeFileAtomic(join(dir, "file", "a.bin"), Uint8Array.of(1)));
    strictEqual(await Deno.readTextFile(join(dir, "file")), "old");
    deepStrictEqual(await names(dir), ["file", "target"]);
  }));

Deno.test("atomic: pathExists is false only for a missing path; other errors are thrown", () =>
  inTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "f"), "x");
    strictEqual(await pathExists(join(dir, "f")), true);
    strictEqual(await pathExists(dir), true);
    strictEqual(await pathExists(join(dir, "missing")), false);
    // below a file: not "missing" but an error the caller must see
    await rejects(pathExists(join(dir, "f", "below")), Deno.errors.NotADirectory);
  }));
