import { ok, strictEqual } from "node:assert/strict";
import { tf } from "../../lib/deps/tf.ts";
import { tensorSpace } from "../../lib/tensor/space.ts";
import { onBackend, read, testBackends, values } from "./_numeric.ts";

for (const backend of testBackends) {
  Deno.test({
    name:
      `tensorSpace [${backend.name}]: vector space laws to float32, inputs kept, nothing leaked`,
    ignore: backend.ignore,
    fn: async () => {
      await onBackend(backend.name);
      const [x, y, z] = [1, 2, 3].map((s) => tf.tensor(Float32Array.from(values(s, 6)), [2, 3]));
      const before = tf.memory().numTensors;
      const S = tensorSpace;
      const flat = tf.tidy(() =>
        [
          [S.add(S.add(x, y), z), S.add(x, S.add(y, z))],
          [S.add(x, y), S.add(y, x)],
          [S.scale(x, 1), x],
          [S.axpy(2.5, x, y), S.add(y, S.scale(x, 2.5))],
          [S.sub(x, y), S.add(x, S.scale(y, -1))],
        ].flat()
      );
      strictEqual(tf.memory().numTensors, before + flat.length - 1, "axpy left intermediates");
      const got = await read(flat);
      for (let i = 0; i < got.length; i += 2) {
        for (let j = 0; j < 6; j++) ok(Math.abs(got[i][j] - got[i + 1][j]) < 1e-6, `law ${i / 2}`);
      }
      tf.dispose(flat.filter((t) => t !== x));
      strictEqual(tf.memory().numTensors, before, "intermediates leaked");
      strictEqual(x.isDisposed || y.isDisposed || z.isDisposed, false);
      tf.dispose([x, y, z]);
    },
  });
}
