/**
 * `cli.ts identify`: learns a separable polynomial Hamiltonian of a
 * built-in system from its simulated trajectories (system identification in float64) and reports
 * the learned coefficients next to the loss it started from.
 *
 * @module
 */
import { IdentificationDivergedError, identify } from "../lib/train/identify.ts";
import { systemByName } from "../lib/systems/registry.ts";
import { intFlag, numberFlag, parseFlags, UsageError } from "./usage.ts";

/** One line for the command list. */
export const summary = "learn a Hamiltonian from simulated trajectories";

/** The flags of the command. */
export const options = {
  system: { type: "string", default: "mass-spring" },
  trajectories: { type: "string" },
  steps: { type: "string" },
  dt: { type: "string" },
  degree: { type: "string" },
  iterations: { type: "string" },
  lr: { type: "string" },
  seed: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const HELP = `usage: deno run cli.ts identify [flags]
Learns H = sum a_k p^(2k) + sum b_k q^(2k) from ground-truth trajectories by gradient descent on
the one-step leapfrog error.
  --system NAME        mass-spring (default), pendulum, henon-heiles (1 body, separable)
  --trajectories N     observed trajectories (default 32)
  --steps N            steps per trajectory (default 30)
  --dt X               time between observations (default 0.125, the paper's)
  --degree N           polynomial terms in K and in V (default 2)
  --iterations N       gradient steps (default 200)
  --lr X               Adam learning rate (default 0.02)
  --seed N             seed of data and initialisation (default 0)`;

/** Runs the identification, a divergence becoming a one-line error naming the flags. */
const guard = <A>(f: () => A): A => {
  try {
    return f();
  } catch (e) {
    if (e instanceof IdentificationDivergedError) {
      throw new UsageError(`identify: ${e.message}; lower --lr or --dt`);
    }
    throw e;
  }
};

/** Runs the command. */
export const run = (argv: string[]): Promise<void> => {
  const flags = parseFlags(argv, options);
  if (flags.help) {
    console.log(HELP);
    return Promise.resolve();
  }
  const system = systemByName(flags.system);
  if (!system.hamiltonian.separable || system.bodies > 1) {
    throw new UsageError(
      `--system ${system.name} is not a one-body separable system; accepted: mass-spring, pendulum, henon-heiles`,
    );
  }
  const config = {
    trajectories: intFlag("trajectories", flags.trajectories, 32, 1, 100_000),
    steps: intFlag("steps", flags.steps, 30, 1, 10_000),
    dt: numberFlag("dt", flags.dt, 0.125),
    degree: intFlag("degree", flags.degree, 2, 1, 6),
    iterations: intFlag("iterations", flags.iterations, 200, 1, 1_000_000),
    learningRate: numberFlag("lr", flags.lr, 0.02),
    seed: intFlag("seed", flags.seed, 0, 0, 2 ** 32 - 1),
  };
  if (!(config.dt > 0)) throw new UsageError(`--dt must be > 0, got ${config.dt}`);
  if (!(config.learningRate > 0)) {
    throw new UsageError(`--lr must be > 0, got ${config.learningRate}`);
  }
  const start = performance.now();
  console.log(
    `identify: ${system.name} (${
      JSON.stringify(system.params)
    }) from ${config.trajectories} trajectories x ${config.steps} steps, dt ${config.dt}`,
  );
  const every = Math.max(1, Math.floor(config.iterations / 10));
  const out = guard(() =>
    identify(system, config, ({ iteration, loss }) => {
      if (iteration % every === 0 || iteration === config.iterations) {
        console.log(
          `  iteration ${iteration}/${config.iterations}  one-step MSE ${loss.toExponential(3)}`,
        );
      }
    })
  );
  const poly = (c: number[], x: string) =>
    c.map((v, k) =>
      `${v >= 0 && k > 0 ? "+ " : k > 0 ? "- " : ""}${Math.abs(v).toFixed(4)} ${x}^${2 * k + 2}`
    )
      .join(" ");
  console.log(`learned: K(p) = ${poly(out.kinetic, "p")}, V(q) = ${poly(out.potential, "q")}`);
  console.log(
    `one-step MSE ${out.initialLoss.toExponential(3)} -> ${out.finalLoss.toExponential(3)} (${
      (out.initialLoss / out.finalLoss).toExponential(1)
    }x lower) in ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
  return Promise.resolve();
};
