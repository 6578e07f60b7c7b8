"""Baseline for bench/data_report.ts: scipy solve_ivp (RK45, rtol = atol = tol, default 1e-9, the
reference generators' setting) on the paper's systems. Reads {"system", "dt", "steps", "params",
"tol", "states": [[q..., p...], ...]} as JSON on stdin; writes {"seconds": [per-trajectory wall times],
"trajectories": [[frame][coord]]} as JSON on stdout. Times only solve_ivp."""
import json
import sys
import time

import numpy as np
from scipy.integrate import solve_ivp


def field(system, p):
    if system == "mass-spring":
        k, m = p["k"], p["m"]
        return lambda t, y: np.array([y[1] / m, -k * y[0]])
    if system == "pendulum":
        m, g, l = p["m"], p["g"], p["l"]
        return lambda t, y: np.array([y[1] / (m * l * l), -m * g * l * np.sin(y[0])])
    n, m, g = int(p["n"]), p["m"], p["g"]

    def nbody(t, y):
        q = y[: 2 * n].reshape(n, 2)
        mom = y[2 * n:]
        d = q[:, None, :] - q[None, :, :]
        r2 = (d ** 2).sum(-1)
        np.fill_diagonal(r2, 1.0)
        inv = g * m * m / (r2 * np.sqrt(r2))
        np.fill_diagonal(inv, 0.0)
        force = -(inv[:, :, None] * d).sum(1)  # -dV/dq
        return np.concatenate([mom / m, force.reshape(-1)])

    return nbody


def main():
    job = json.load(sys.stdin)
    f = field(job["system"], job["params"])
    t_eval = np.arange(job["steps"] + 1) * job["dt"]
    tol = job.get("tol", 1e-9)
    seconds, trajectories = [], []
    for y0 in job["states"]:
        t0 = time.perf_counter()
        sol = solve_ivp(f, (0.0, t_eval[-1]), np.array(y0), method="RK45", t_eval=t_eval,
                        rtol=tol, atol=tol)
        seconds.append(time.perf_counter() - t0)
        trajectories.append(sol.y.T.tolist())
    json.dump({"seconds": seconds, "trajectories": trajectories}, sys.stdout)


main()
