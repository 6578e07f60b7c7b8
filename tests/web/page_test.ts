// The page (web/) in a real browser: Debian's chromium, headless, with WebGPU on (SwiftShader
// where there is no GPU), driven over the DevTools protocol. A tiny run is trained here by
// `cli.ts train`; the page loads its config.json and newest checkpoint through the pure codec,
// generates the test sequence from the seed, rolls out 30 steps on WebGPU, and must give the
// frames Deno computes for the same checkpoint and sequence on the cpu backend; the backward
// rollout must retrace the forward one; the same run opened from files (the file input) must roll
// out the same frames; NHF and RealNVP train a few updates, their losses fall, and their density
// images hold a density's mass. The page runs once more with WebGPU off (wasm in the page).
// A screenshot goes to runs/tests/web-page.png.
//
// Where chromium is missing the test says so and is skipped, except with HGN_REQUIRE_CHROMIUM=1
// (CI installs chromium and sets it): there it fails.
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, TINY_TRAIN } from "../_cli.ts";
import { chromiumPath, openPage, pageResult, screenshotTo } from "./_browser.ts";
import { buildPage, servePage } from "../../web/build.ts";
import { loadLatestCheckpoint } from "../../lib/io/checkpoint.ts";
import { type CheckpointRecord, restoreState } from "../../lib/train/checkpoint.ts";
import { constrained } from "../../lib/train/constrained.ts";
import { hgn, type HgnConfig, sequenceRollouts } from "../../lib/models/hgn/mod.ts";
import { datasetSpec, generator } from "../../lib/data/dataset.ts";
import { useBackend } from "../../lib/tensor/backend.ts";
import type { NoiseMode } from "../../lib/data/dataset.ts";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const chromium = chromiumPath();
const required = Deno.env.get("HGN_REQUIRE_CHROMIUM") === "1";
if (!chromium && !required) {
  console.warn("tests/web/page_test.ts: skipped, no chromium (Debian: apt-get install chromium)");
}

interface PageResult {
  local?: { error?: string; checkpoint: string; forward: string };
  ok: boolean;
  error?: string;
  backend: string;
  adapter: { description: string; isFallbackAdapter: boolean | null } | null;
  hgn: {
    checkpoint: string;
    steps: number;
    retraceError: number;
    maxFrameDifference: number | null;
    fps: number;
    mse: number[];
    energy: number[];
    forward: string;
    backward: string;
  };
  densities: Record<
    string,
    { iterations: number; losses: number[]; itPerSec: number; mass: number; exact: boolean }
  >;
}

const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

Deno.test({
  name:
    "web page: rolls a trained HGN out on WebGPU in chromium as Deno does, retraces it backward, trains NHF",
  ignore: !chromium && !required,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (!chromium) throw new Error("HGN_REQUIRE_CHROMIUM=1 but no chromium is installed");
    const root = await Deno.makeTempDir({ prefix: "web_page_" });
    try {
      // a tiny run, 30-step evaluation (the page rolls out the run's evaluation length)
      const run = join(root, "run");
      const trained = await runCli(
        "train",
        ...TINY_TRAIN,
        "--steps",
        "3",
        "--eval-steps",
        "30",
        "--extrapolate-steps",
        "0",
        "--out",
        run,
      );
      strictEqual(trained.code, 0, trained.stderr);

      // Deno's frames for the same checkpoint and test sequence (system's seed 0, example 0), on cpu
      await useBackend("cpu");
      const settings = JSON.parse(await Deno.readTextFile(join(run, "config.json")));
      const config: HgnConfig = settings.objective.model;
      const record = await loadLatestCheckpoint(join(run, "checkpoints")) as CheckpointRecord;
      const model = settings.geco ? constrained(hgn) : hgn;
      const state = restoreState(model as typeof hgn, record);
      const sequence = generator(datasetSpec({
        system: settings.data.system,
        seed: 0,
        steps: Math.max(30, config.inputFrames - 1),
        size: config.size,
        noiseMode: settings.data.noiseMode as NoiseMode,
      })).example("test", 0).pixels;
      const deno = await sequenceRollouts(config, state.params, sequence, 30);
      const reference = new Uint8Array(deno.forward.length * deno.forward[0].length);
      deno.forward.forEach((f, t) => reference.set(f, t * f.length));
      await Deno.writeFile(join(run, "reference-forward.bin"), reference);

      const dist = await buildPage(join(root, "dist"));
      let url = "";
      const server = servePage(dist, run, 0, (u) => (url = u));
      while (!url) await new Promise((r) => setTimeout(r, 10));
      const browser = await openPage(`${url}?backend=webgpu&nhf=4&hidden=16`, chromium);
      try {
        const r = await pageResult<PageResult>(browser, 400);
        const shot = await screenshotTo(browser, join(repo, "runs", "tests"), "web-page.png");
        console.log(
          `web page: ${r.backend} on ${r.adapter?.description} (fallback ${r.adapter?.isFallbackAdapter}), 30 steps at ${
            r.hgn?.fps.toFixed(1)
          } frames/s; density mass over [-4, 4]^2: NHF ${
            r.densities?.nhf?.mass.toFixed(3)
          }, RealNVP ${r.densities?.realnvp?.mass.toFixed(3)}; screenshot ${shot}`,
        );
        strictEqual(r.error, undefined, r.error);
        strictEqual(r.backend, "webgpu", "the page must run on WebGPU, not fall back to wasm");
        ok(r.adapter !== null);
        strictEqual(r.hgn.steps, 30);
        // The same float32 network on two backends differs by rounding (op order, fused
        // multiply-adds in SwiftShader's shaders): about 1e-6 relative in the latent, which moves
        // a pixel across a rounding boundary of the 1/255 byte grid now and then. One byte level
        // is that; two would already be a real difference, which the tiny model, at 3 updates,
        // does not amplify over 30 leapfrog steps.
        const forward = bytes(r.hgn.forward);
        strictEqual(forward.length, reference.length);
        let max = 0;
        let differing = 0;
        forward.forEach((v, i) => {
          const d = Math.abs(v - reference[i]);
          max = Math.max(max, d);
          if (d > 0) differing++;
        });
        ok(max <= 1, `frames differ by up to ${max} byte levels`);
        ok(differing / forward.length < 0.01, `${differing} of ${forward.length} bytes differ`);
        strictEqual(r.hgn.maxFrameDifference, max, "the page's own comparison agrees");
        // leapfrog with -dt from the last state retraces the forward states (float32 round-off)
        ok(r.hgn.retraceError < 1e-4, `retrace error ${r.hgn.retraceError}`);
        const backward = bytes(r.hgn.backward);
        const per = 3 * config.size * config.size;
        let retraced = 0;
        for (let t = 0; t <= 30; t++) {
          for (let i = 0; i < per; i++) {
            retraced = Math.max(
              retraced,
              Math.abs(forward[t * per + i] - backward[(30 - t) * per + i]),
            );
          }
        }
        ok(retraced <= 1, `the backward frames differ from the forward ones by ${retraced}`);
        ok(r.hgn.mse.every(Number.isFinite) && r.hgn.energy.every(Number.isFinite));
        // the same run opened from this computer's files (the file input; dropping the folder
        // reads the same files): the same checkpoint, the same frames, bit for bit
        const ckpts = [...Deno.readDirSync(join(run, "checkpoints"))].map((e) => e.name);
        await browser.setFiles("#run-files", [
          join(run, "config.json"),
          ...ckpts.map((c) => join(run, "checkpoints", c)),
        ]);
        let local: PageResult["local"];
        for (let i = 0; i < 1200 && !local; i++) {
          await new Promise((r) => setTimeout(r, 250));
          local = JSON.parse(
            await browser.evaluate<string>("document.getElementById('result').textContent"),
          ).local;
        }
        strictEqual(local?.error, undefined, local?.error);
        strictEqual(local!.checkpoint, r.hgn.checkpoint);
        strictEqual(local!.forward, r.hgn.forward, "the opened files roll out as the served run");
        // and with WebGPU off in the page: wasm, the same frames within the same byte level
        const onWasm = await openPage(`${url}?backend=wasm`, chromium);
        try {
          const w = await pageResult<PageResult>(onWasm, 400);
          strictEqual(w.error, undefined, w.error);
          strictEqual(w.backend, "wasm");
          ok(w.hgn.maxFrameDifference! <= 1, `wasm frames differ by ${w.hgn.maxFrameDifference}`);
          ok(w.hgn.retraceError < 1e-4, `wasm retrace error ${w.hgn.retraceError}`);
          console.log(`web page: also on wasm, ${w.hgn.fps.toFixed(1)} frames/s`);
        } finally {
          await onWasm.close();
        }
        for (const name of ["nhf", "realnvp"]) {
          const d = r.densities[name];
          strictEqual(d.iterations, 4);
          ok(d.losses.at(-1)! < d.losses[0], `${name}: loss ${d.losses.join(" -> ")}`);
          // the density image is a density: its Riemann sum over [-4, 4]^2 (24 x 24 cells) is
          // about 1 for RealNVP's exact likelihood (4 updates from a near-normal start hold
          // 0.9999 of their mass in the square; the sum is good to about 1%), and for NHF's
          // one-draw importance weight, an unbiased but noisy estimate of the density, positive
          // and of that order
          ok(Number.isFinite(d.mass) && d.mass > 0, `${name}: mass ${d.mass}`);
          if (d.exact) ok(Math.abs(d.mass - 1) < 0.05, `${name}: mass ${d.mass}`);
          else ok(d.mass < 3, `${name}: mass ${d.mass}`);
        }
      } finally {
        await browser.close();
        await server.shutdown();
      }
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
