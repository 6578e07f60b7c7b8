// Data pipeline throughput against scipy, in one run:
//   flock /tmp/heavy.lock deno run -A bench/data_report.ts [trajectories per system, default 200]
// For each paper system: trajectories/s of our ground truth (yoshida6(leapfrog) on the
// allocation-free kernels, error control included) and of scipy solve_ivp RK45 at
// rtol = atol = 1e-9 on the same initial states, each with its largest state error against a
// reference (the closed form for mass-spring; our integrator with 16x the sub-steps otherwise),
// and the ratio of medians; scipy runs at its reference setting and at 1e-11, where its accuracy
// is closer to ours. Then rendering frames/s at 32 and 64 px, whole examples/s (sample,
// ground truth, noise, render) and shard encoding. Each system runs in its own process
// (`--only NAME`), as `cli.ts generate` does. Needs python3 with scipy (Debian: python3-scipy).
import { fileURLToPath } from "node:url";
import { deriveSeed, random } from "../lib/core/random.ts";
import { datasetSpec, generator } from "../lib/data/dataset.ts";
import { groundTruth } from "../lib/data/ground_truth.ts";
import { encodeShard } from "../lib/data/format.ts";
import { systemByName } from "../lib/systems/registry.ts";

const N = Number(Deno.args[0] ?? 200);
const only = Deno.args[1] === "--only" ? Deno.args[2] : undefined;
const DT = 0.125;
const STEPS = 30;
const SYSTEMS = ["mass-spring", "pendulum", "two-body", "three-body"];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = async () => (await Deno.readTextFile("/proc/loadavg")).trim();

const scipy = async (
  system: string,
  params: Record<string, number>,
  states: number[][],
  tol: number,
) => {
  const script = fileURLToPath(new URL("./data_scipy.py", import.meta.url));
  const child = new Deno.Command("python3", {
    args: [script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(JSON.stringify({ system, params, dt: DT, steps: STEPS, states, tol })),
  );
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(`python3 data_scipy.py failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    seconds: number[];
    trajectories: number[][][];
  };
};

/** One system's rows: "A|..." for the scipy table, "B|..." for the rendering table. */
const measure = async (name: string) => {
  const sys = systemByName(name);
  const starts = Array.from({ length: N }, (_, i) => sys.sample(random(deriveSeed(0, 0, i))));
  for (let i = 0; i < 20; i++) groundTruth(sys, starts[i], { dt: DT, steps: STEPS }); // warm-up
  const times: number[] = [];
  const ours = starts.map((s0) => {
    const t0 = performance.now();
    const gt = groundTruth(sys, s0, { dt: DT, steps: STEPS });
    times.push(performance.now() - t0);
    return gt;
  });
  const reference = starts.map((s0, i) => {
    if (sys.exact) {
      const out = new Float64Array((STEPS + 1) * 2 * sys.dim);
      for (let t = 0; t <= STEPS; t++) {
        const e = sys.exact(s0, t * DT);
        out.set(e.q, t * 2 * sys.dim);
        out.set(e.p, t * 2 * sys.dim + sys.dim);
      }
      return out;
    }
    const fine = { dt: DT, steps: STEPS, tolerance: 1, substeps: 8 * ours[i].substeps };
    return groundTruth(sys, s0, fine).states;
  });
  const maxErr = (trajectories: (Float64Array | number[])[]) => {
    let err = 0;
    trajectories.forEach((x, i) => {
      for (let k = 0; k < reference[i].length; k++) {
        err = Math.max(err, Math.abs(x[k] - reference[i][k]));
      }
    });
    return err;
  };
  const oursRate = 1000 / median(times);
  const cols = [`${oursRate.toFixed(0)}`, maxErr(ours.map((g) => g.states)).toExponential(1)];
  const y0 = starts.map((s) => [...s.q, ...s.p]);
  for (const tol of [1e-9, 1e-11]) {
    const py = await scipy(name, { ...sys.params }, y0, tol);
    const pyRate = 1 / median(py.seconds);
    const err = maxErr(py.trajectories.map((t) => t.flat()));
    cols.push(pyRate.toFixed(1), err.toExponential(1), `${(oursRate / pyRate).toFixed(0)}x`);
  }
  console.log(`A| ${name} | ${cols.join(" | ")} |`);
  for (const size of [32, 64]) {
    const gen = generator(datasetSpec({ system: name, size }));
    const examples = Array.from({ length: 100 }, (_, i) => gen.example("train", i));
    const renderT: number[] = [];
    const exampleT: number[] = [];
    const encodeT: number[] = [];
    let bytes = 0;
    for (let run = 0; run < 5; run++) {
      let t0 = performance.now();
      for (const e of examples) gen.render(e.observed);
      renderT.push(performance.now() - t0);
      t0 = performance.now();
      for (let i = 0; i < 100; i++) gen.example("train", 1000 + i);
      exampleT.push(performance.now() - t0);
      t0 = performance.now();
      bytes = encodeShard(gen.spec, examples).length;
      encodeT.push(performance.now() - t0);
    }
    const fps = (100 * 31 * 1000) / median(renderT);
    const eps = (100 * 1000) / median(exampleT);
    const mbs = bytes / 1e3 / median(encodeT);
    console.log(
      `B| ${name} | ${size} | ${fps.toFixed(0)} | ${eps.toFixed(0)} | ${mbs.toFixed(0)} |`,
    );
  }
};

if (only !== undefined) {
  await measure(only);
} else {
  console.log(
    `data pipeline vs scipy solve_ivp RK45 (rtol=atol=1e-9), ${N} trajectories of ${
      STEPS + 1
    } frames per system; load before: ${await load()}`,
  );
  const lines: string[] = [];
  for (const name of SYSTEMS) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(import.meta.url), String(N), "--only", name],
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error(`bench for ${name} failed`);
    lines.push(...new TextDecoder().decode(out.stdout).trim().split("\n"));
  }
  const rows = (tag: string) => lines.filter((l) => l.startsWith(tag)).map((l) => l.slice(1));
  console.log(
    "| system | ours traj/s | ours max error | RK45 1e-9 traj/s | its max error | ratio | RK45 1e-11 traj/s | its max error | ratio |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  console.log(rows("A|").join("\n"));
  console.log("\nrendering and whole examples (medians of 5 runs of 100 examples)");
  console.log(
    "| system | size | frames/s (render) | examples/s (sample+truth+noise+render) | encode MB/s |",
  );
  console.log("|---|---|---|---|---|");
  console.log(rows("B|").join("\n"));
  console.log(`load after: ${await load()}`);
}
