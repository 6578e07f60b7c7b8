// The KL of a diagonal Gaussian from the unit one, against its float64 closed form entry by
// entry and against a Monte Carlo estimate of E_q[log q - log p].
import { ok } from "node:assert/strict";
import { gaussianKl } from "../../lib/tensor/gaussian.ts";
import { tf } from "../../lib/deps/tf.ts";
import { onBackend } from "./_numeric.ts";
import { random } from "@hamiltonian/hgn/core";

Deno.test("gaussian: KL(N(mu, s^2) || N(0, 1)) averaged over entries", async () => {
  await onBackend("cpu");
  const mu = [0, 1.5, -0.3, 2, 0.01, -1];
  const logS = [0, -0.7, 0.4, 0.1, -2, 0.9];
  const exact = mu.map((m, i) => 0.5 * (m * m + Math.exp(2 * logS[i]) - 1 - 2 * logS[i]));
  const mean = exact.reduce((a, b) => a + b) / exact.length;
  const got = (await gaussianKl(tf.tensor2d(mu, [2, 3]), tf.tensor2d(logS, [2, 3])).data())[0];
  ok(Math.abs(got - mean) < 1e-5 * Math.max(1, mean), `${got} vs ${mean}`);
  // Monte Carlo on one entry: E_q[log q(x) - log p(x)]
  const r = random(11);
  const [m, s] = [1.5, Math.exp(-0.7)];
  let sum = 0;
  const n = 200_000;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    const x = m + s * z;
    sum += -0.5 * z * z - Math.log(s) + 0.5 * x * x;
  }
  ok(Math.abs(sum / n - exact[1]) < 0.02, `${sum / n} vs ${exact[1]}`);
});
