"""PyTorch (CPU) baseline of bench/hgn_step_bench.ts: the same HGN-shaped training step.

Run by bench/hgn_step_bench.ts in the same run (or by hand):
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/hgn_step_torch.py --width 64 --steps 10
Prints one JSON line: {"ms": [per-rep ms], "median_ms": ..., "loss": ...}.
--device cuda times the step on the GPU (bench/gpu/run.sh): every tensor lives there, and each
timed step ends with torch.cuda.synchronize(), so the time is the GPU's, not the launch queue's.
With --profile N it also profiles one more step (torch.profiler, after the timed ones) and adds
"stages" (ms of each forward stage, the backward pass and Adam, as labelled below) and "ops" (the
N operators with the most self CPU time: name, calls, ms), the PyTorch side of
bench/profile_step.ts.
Setup: bench/setup_torch.sh (Debian python3-torch); never from CI.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile, record_function


DEVICE = "cpu"


def conv_params(cin, cout, g, k=3):
    std = (2.0 / (k * k * cin)) ** 0.5
    w = (torch.randn(cout, cin, k, k, generator=g) * std).to(DEVICE).requires_grad_()
    b = torch.zeros(cout, device=DEVICE, requires_grad=True)
    return [w, b]


def conv(p, x, stride=1):
    # "same" padding for 3x3: pad 1 (for stride 2 on even sizes tfjs pads 0 top / 1 bottom;
    # the cost is what is compared here, not the values)
    return F.conv2d(x, p[0], p[1], stride=stride, padding=1)


def init(width, frames, g):
    W = width
    enc = [conv_params(3 * frames, W, g)] + [conv_params(W, W, g) for _ in range(6)] + [
        conv_params(W, 64, g)
    ]
    fpsi = [conv_params(32, W, g), conv_params(W, W, g), conv_params(W, 32, g)]
    v = [conv_params(16, W, g), conv_params(W, W, g), conv_params(W, 1, g)]
    k = [conv_params(16, W, g), conv_params(W, W, g), conv_params(W, 1, g)]
    dec = [conv_params(16, W, g)] + [conv_params(W, W, g) for _ in range(6)] + [
        conv_params(W, 3, g)
    ]
    return {"enc": enc, "fpsi": fpsi, "v": v, "k": k, "dec": dec}


def energy(ps, x):
    h = F.softplus(conv(ps[0], x))
    h = F.softplus(conv(ps[1], h))
    return conv(ps[2], h).sum(dim=(1, 2, 3))


def loss_fn(P, x, eps, steps, dt=0.125):
    lrelu = lambda t: F.leaky_relu(t, 0.2)
    e = P["enc"]
    with record_function("stage: encoder"):
        h = lrelu(conv(e[0], x))
        h = lrelu(conv(e[1], h))
        h = lrelu(conv(e[2], h, 2))
        h = lrelu(conv(e[3], h))
        h = lrelu(conv(e[4], h, 2))
        h = lrelu(conv(e[5], h))
        h = lrelu(conv(e[6], h, 2))
        h = conv(e[7], h)
        loc, logscale = h[:, :32], h[:, 32:]
        z = loc + torch.exp(logscale) * eps
    t = P["fpsi"]
    with record_function("stage: f_psi"):
        s = conv(t[2], lrelu(conv(t[1], lrelu(conv(t[0], z)))))
        q, p = s[:, :16], s[:, 16:]

    def dV(q):
        return torch.autograd.grad(energy(P["v"], q).sum(), q, create_graph=True)[0]

    def dK(p):
        return torch.autograd.grad(energy(P["k"], p).sum(), p, create_graph=True)[0]

    qs = [q]
    with record_function("stage: rollout (autodiff forces)"):
        for _ in range(steps):
            p = p - dt / 2 * dV(q)
            q = q + dt * dK(p)
            p = p - dt / 2 * dV(q)
            qs.append(q)
    d = P["dec"]
    with record_function("stage: decoder"):
        y = torch.cat(qs, 0)
        y = lrelu(conv(d[0], y))
        for blk in range(3):
            y = F.interpolate(y, scale_factor=2, mode="nearest")
            y = lrelu(conv(d[1 + 2 * blk], y))
            y = lrelu(conv(d[2 + 2 * blk], y))
        y = torch.sigmoid(conv(d[7], y))
    with record_function("stage: loss (MSE + KL)"):
        b = x.shape[0]
        y = y.view(steps + 1, b, 3, 32, 32).permute(1, 0, 2, 3, 4)
        y = y.reshape(b, 3 * (steps + 1), 32, 32)
        rec = ((y - x) ** 2).mean()
        kl = 0.5 * (loc**2 + torch.exp(2 * logscale) - 2 * logscale - 1).mean()
        return rec + kl


def profiled_step(P, opt, x, eps, steps, top):
    """One step under torch.profiler: ms per labelled stage and the top operators by self time."""
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with record_function("stage: whole update"):
            opt.zero_grad()
            loss = loss_fn(P, x, eps, steps)
            with record_function("stage: backward (second-order gradients)"):
                loss.backward()
            with record_function("stage: Adam"):
                opt.step()
    events = prof.key_averages()
    stages = {
        e.key[len("stage: "):]: e.cpu_time_total / 1000
        for e in events
        if e.key.startswith("stage: ")
    }
    ops = sorted(
        (e for e in events if not e.key.startswith("stage: ")),
        key=lambda e: e.self_cpu_time_total,
        reverse=True,
    )
    return stages, [
        {"name": e.key, "calls": e.count, "ms": e.self_cpu_time_total / 1000} for e in ops[:top]
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", type=int, default=0, help="also profile a step: top N ops")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = ap.parse_args()
    global DEVICE
    DEVICE = a.device
    if DEVICE == "cuda" and not torch.cuda.is_available():
        raise SystemExit("hgn_step_torch.py: --device cuda, but torch finds no CUDA device")
    sync = torch.cuda.synchronize if DEVICE == "cuda" else (lambda: None)
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    frames = a.steps + 1
    P = init(a.width, frames, g)
    params = [t for v in P.values() for layer in v for t in layer]
    opt = torch.optim.Adam(params, lr=1.5e-4)
    x = torch.rand(a.batch, 3 * frames, 32, 32, generator=g).to(DEVICE)
    eps = torch.randn(a.batch, 32, 4, 4, generator=g).to(DEVICE)
    times = []
    loss = None
    for i in range(a.reps + 1):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(P, x, eps, a.steps)
        loss.backward()
        opt.step()
        sync()
        dt = (time.perf_counter() - t0) * 1000
        if i > 0:
            times.append(dt)
    times_sorted = sorted(times)
    out = {
        "ms": times,
        "median_ms": times_sorted[len(times) // 2],
        "loss": float(loss),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu",
    }
    if a.profile > 0:
        out["stages"], out["ops"] = profiled_step(P, opt, x, eps, a.steps, a.profile)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
