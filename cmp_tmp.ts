import { nhf, NHF_2D, nhfBound } from "@hamiltonian/hgn/models/nhf";
import { realNvp, REALNVP_2D, realNvpLogLikelihood } from "@hamiltonian/hgn/models/realnvp";
import { targets } from "@hamiltonian/hgn/data";
import { tf, useBackend } from "@hamiltonian/hgn/tensor";
import { fit, initState, targetBatches, targetTensor } from "@hamiltonian/hgn/train";
console.log((await useBackend("wasm")).report);
const steps = Number(Deno.args[0] ?? 300);
const lr = Number(Deno.args[1] ?? 1e-3);
const t = targets.mixture;
const test = targetTensor(t, 2000, 999);
let exact = 0; { const xs = Array.from(await test.data()); for (let i = 0; i < 2000; i++) exact += t.logDensity(Float64Array.of(xs[2*i], xs[2*i+1])) / 2000; }
console.log("target's own test log-likelihood", exact.toFixed(3));
for (const [name, run] of [
  ["realnvp2", async () => { const s = initState(realNvp, REALNVP_2D, { learningRate: lr, seed: 0 }); const t0 = performance.now(); await fit(s, targetBatches(t, { seed: 1, batchSize: 256 }), { steps }); const ms = (performance.now() - t0) / steps; const ll = realNvpLogLikelihood(REALNVP_2D, s.params, test); return [ms, (await tf.mean(ll).data())[0]]; }],
  ["nhf", async () => { const s = initState(nhf, NHF_2D, { learningRate: lr, seed: 0 }); const t0 = performance.now(); await fit(s, targetBatches(t, { seed: 1, batchSize: 256 }), { steps }); const ms = (performance.now() - t0) / steps; const b = nhfBound(NHF_2D, s.params, test, 64, 5); return [ms, (await tf.mean(b).data())[0]]; }],
] as const) {
  const [ms, ll] = await run();
  console.log(name, `${ms.toFixed(1)} ms/step`, "test ll", ll.toFixed(3));
}
