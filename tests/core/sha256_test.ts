import { createHash } from "node:crypto";
import { sha256Digest } from "@hamiltonian/hgn/core";
import { strictEqual } from "node:assert/strict";
import { random } from "../../lib/core/random.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const node = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

Deno.test("sha256: the FIPS 180-4 examples", () => {
  const text = (s: string) => hex(sha256Digest(new TextEncoder().encode(s)));
  strictEqual(text(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  strictEqual(text("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  strictEqual(
    text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  strictEqual(
    hex(sha256Digest(new Uint8Array(1_000_000).fill(0x61))),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

Deno.test("sha256: equals node:crypto at every length around the block and padding edges", () => {
  const r = random(11);
  for (let n = 0; n <= 300; n++) {
    const bytes = Uint8Array.from({ length: n }, () => Math.floor(256 * r.uniform()));
    strictEqual(hex(sha256Digest(bytes)), node(bytes), `length ${n}`);
  }
  // a view into a larger buffer hashes only its own bytes
  const big = Uint8Array.from({ length: 4096 }, () => Math.floor(256 * r.uniform()));
  strictEqual(hex(sha256Digest(big.subarray(7, 3001))), node(big.subarray(7, 3001)));
});
