#!/usr/bin/env python3
"""Peer benchmark: the tutorial's approach done well -- a vectorised numpy Monte Carlo ELBO, its
reparameterisation gradient and Adam, for the same models and data as webgpu-vi.

Reads one JSON job on stdin (bench/protocol.ts describes every field):
  {"model": "logistic" | "normal-mean" | "hmm", "data": {...Stan JSON...}, "samples": S, "reps": R,
   "steps": K (steps per repetition) or "targetRepMs": T (K chosen from the warm-up so that a repetition
   takes about T ms, at most "maxSteps"), "lr": 0.05, "seed": 1,
   "chunk": C (optional: samples per chunk, to bound memory),
   "converge": {"reference": {"mean": [...], "sd": [...]}, "tolSd": 0.1, "checkEvery": 10, "maxSeconds": 60}
   (optional: after the timed steps, the wall time from a fresh start until every reported mean is within
   tolSd reference sds of the reference, checked every checkEvery steps)}
Writes one JSON line on stdout:
  {"system": "numpy", "samplesPerSecond": median, "msPerStep": median, "peakMemoryMB": ..., "times": [...],
   "mean": [...], "sd": [...], "converge": {...}}   (mean: the reported parameters' means under q after the
   timed steps; sd: q's sds on the unconstrained space)
Mean-field Gaussian q, closed-form entropy, float64 (numpy's default; float32 was not faster here with BLAS).
The models are written as webgpu-vi's shaders are: normal-mean from its sufficient statistics (ybar, ss), so
per sample it costs O(1) as on the GPU; hmm by the scaled forward algorithm with forward-mode derivatives
(shaders/models/hmm.wgsl), vectorised over the samples.
"""
import json
import os
import resource
import sys
import time

# The process environment numpy runs best in here; glibc and OpenBLAS read it at start-up, so the script
# re-executes itself once with it (stdin is not read before that, so the job is still there).
# - glibc malloc keeps freed arrays instead of handing them back to the kernel: each logistic chunk allocates
#   and frees a dozen (chunk x N) float64 arrays, and in this VM re-faulting their pages cost 10x the
#   arithmetic (logistic-N1000-D10, 2^16 samples, chunks of 2^8: 7.8x10^3 samples/s with glibc's defaults,
#   7.7x10^4 with these thresholds).
# - One BLAS thread: with chunks that stay in cache, OpenBLAS's threads cost more than they save on these
#   small matrix products (1.0x10^4 samples/s with its default threads while another process held a core,
#   8.0x10^4 with one).
TUNED_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(2**30),
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
if any(os.environ.get(name) is None for name in TUNED_ENV):
    os.execve(sys.executable, [sys.executable, *sys.argv], {**TUNED_ENV, **os.environ})

import numpy as np  # noqa: E402


def prepare(model, data):
    """Converts the Stan JSON data once; returns log_joint_and_grad(z) for z of shape (S, D)."""
    if model == "logistic":
        X = np.asarray(data["X"], dtype=np.float64)
        y = np.asarray(data["y"], dtype=np.float64)
        prior_var = float(data["prior_sd"]) ** 2

        def logistic(z):
            eta = z @ X.T  # (S, N)
            # log p(y | eta) = y eta - softplus(eta); softplus and sigmoid share one exp
            t = np.exp(-np.abs(eta))
            softplus = np.maximum(eta, 0.0) + np.log1p(t)
            sigmoid = np.where(eta >= 0, 1.0 / (1.0 + t), t / (1.0 + t))
            lp = eta @ y - softplus.sum(axis=1) - 0.5 * (z * z).sum(axis=1) / prior_var
            grad = (y[None, :] - sigmoid) @ X - z / prior_var
            return lp, grad

        return logistic
    if model == "normal-mean":
        y = np.asarray(data["y"], dtype=np.float64)
        sigma, mu0, tau0 = float(data["sigma"]), float(data["mu0"]), float(data["tau0"])
        n, ybar = float(len(y)), float(y.mean())
        ss = float(((y - ybar) ** 2).sum())

        def normal_mean(z):
            # sum_i (y_i - x)^2 = ss + n (ybar - x)^2: O(1) per sample, as shaders/models/normal_mean.wgsl
            x = z[:, 0]
            dev = ybar - x
            lp = -0.5 * ((x - mu0) / tau0) ** 2 - 0.5 * (ss + n * dev * dev) / sigma**2
            grad = (-(x - mu0) / tau0**2 + n * dev / sigma**2)[:, None]
            return lp, grad

        return normal_mean
    if model == "hmm":
        ys = np.asarray(data["y"], dtype=np.float64)
        lp_const = -0.5 * (len(ys) + 2) * np.log(2 * np.pi)
        return lambda z: hmm_log_joint_and_grad(ys, lp_const, z)
    raise ValueError(f"unknown model {model}")


def inv_logit_pair(x):
    """(inv_logit(x), inv_logit(-x)) without cancellation."""
    t = np.exp(-np.abs(x))
    big = 1.0 / (1.0 + t)
    small = t * big
    pos = x >= 0
    return np.where(pos, big, small), np.where(pos, small, big)


def hmm_log_joint_and_grad(ys, lp_const, z):
    """posteriordb's hmm_example on Stan's unconstrained space, as shaders/models/hmm.wgsl computes it:
    the scaled forward algorithm carrying d(alpha_t)/d(z0, z1, mu1, mu2) forward; (S, 4) derivative rows."""
    S = z.shape[0]
    p1x, p1y = inv_logit_pair(z[:, 0])
    p2x, p2y = inv_logit_pair(z[:, 1])
    dp = np.zeros((S, 4))
    dp[:, 0], dp[:, 1] = p1x * p1y, p2x * p2y
    e2, e3 = np.exp(z[:, 2]), np.exp(z[:, 3])
    mu1, mu2 = e2, e2 + e3
    lane_mu1 = np.array([0.0, 0.0, 1.0, 0.0])
    lane_mu2 = np.array([0.0, 0.0, 0.0, 1.0])

    y = ys[0]
    dev1, dev2 = y - mu1, y - mu2
    le1, le2 = -0.5 * dev1 * dev1, -0.5 * dev2 * dev2
    m = np.maximum(le1, le2)
    u1, u2 = np.exp(le1 - m), np.exp(le2 - m)
    du1 = (u1 * dev1)[:, None] * lane_mu1
    du2 = (u2 * dev2)[:, None] * lane_mu2
    c = u1 + u2
    inv_c = 1.0 / c
    dc = du1 + du2
    a1, a2 = u1 * inv_c, u2 * inv_c
    da1 = (du1 - a1[:, None] * dc) * inv_c[:, None]
    da2 = (du2 - a2[:, None] * dc) * inv_c[:, None]
    lp = m + np.log(c)
    glp = dc * inv_c[:, None]
    for y in ys[1:]:
        dev1, dev2 = y - mu1, y - mu2
        le1, le2 = -0.5 * dev1 * dev1, -0.5 * dev2 * dev2
        m = np.maximum(le1, le2)
        u1, u2 = np.exp(le1 - m), np.exp(le2 - m)
        pred1 = a1 * p1x + a2 * p2x
        pred2 = a1 * p1y + a2 * p2y
        dp_alpha = dp * np.stack([a1, a2, np.zeros(S), np.zeros(S)], axis=1)
        dpred1 = da1 * p1x[:, None] + da2 * p2x[:, None] + dp_alpha
        dpred2 = da1 * p1y[:, None] + da2 * p2y[:, None] - dp_alpha
        un1, un2 = u1 * pred1, u2 * pred2
        du1 = u1[:, None] * (dpred1 + (pred1 * dev1)[:, None] * lane_mu1)
        du2 = u2[:, None] * (dpred2 + (pred2 * dev2)[:, None] * lane_mu2)
        c = un1 + un2
        inv_c = 1.0 / c
        dc = du1 + du2
        a1, a2 = un1 * inv_c, un2 * inv_c
        da1 = (du1 - a1[:, None] * dc) * inv_c[:, None]
        da2 = (du2 - a2[:, None] * dc) * inv_c[:, None]
        lp = lp + m + np.log(c)
        glp = glp + dc * inv_c[:, None]
    pd1, pd2 = mu1 - 3.0, mu2 - 10.0

    def log_jacobian_simplex(x):
        return -(np.abs(x) + 2.0 * np.log1p(np.exp(-np.abs(x))))

    lp = (lp + lp_const - 0.5 * (pd1 * pd1 + pd2 * pd2) + log_jacobian_simplex(z[:, 0])
          + log_jacobian_simplex(z[:, 1]) + z[:, 2] + z[:, 3])
    g_mu1, g_mu2 = glp[:, 2] - pd1, glp[:, 3] - pd2
    grad = np.stack([glp[:, 0] + p1y - p1x, glp[:, 1] + p2y - p2x, (g_mu1 + g_mu2) * e2 + 1.0,
                     g_mu2 * e3 + 1.0], axis=1)
    return lp, grad


def dimension(model, data):
    if model == "logistic":
        return int(data["D"])
    return 4 if model == "hmm" else 1


def reported_means(model, mu, sd, draws=4096):
    """Means of the reported parameters under q: z itself, or hmm's constrained (theta1, theta2, mu)."""
    if model != "hmm":
        return mu.tolist()
    z = mu + sd * np.random.default_rng(12345).standard_normal((draws, len(mu)))
    t1, _ = inv_logit_pair(z[:, 0])
    t2, _ = inv_logit_pair(z[:, 1])
    m1 = np.exp(z[:, 2])
    values = np.stack([t1, 1 - t1, t2, 1 - t2, m1, m1 + np.exp(z[:, 3])], axis=1)
    return values.mean(axis=0).tolist()


def main():
    job = json.load(sys.stdin)
    model, data = job["model"], job["data"]
    S, R = int(job["samples"]), int(job.get("reps", 5))
    chunk = int(job.get("chunk") or S)
    lr, b1, b2, eps = float(job.get("lr", 0.05)), 0.9, 0.999, 1e-8
    rng = np.random.default_rng(int(job.get("seed", 1)))
    setup_start = time.perf_counter()
    log_joint_and_grad = prepare(model, data)
    D = dimension(model, data)
    mu = omega = m = v = None
    t = 0

    def reset():
        nonlocal mu, omega, m, v, t
        mu, omega = np.zeros(D), np.zeros(D)
        m, v = np.zeros(2 * D), np.zeros(2 * D)
        t = 0

    def step():
        nonlocal mu, omega, m, v, t
        sigma = np.exp(omega)
        g_mu, g_omega, elbo = np.zeros(D), np.zeros(D), 0.0
        for start in range(0, S, chunk):
            n = min(chunk, S - start)
            e = rng.standard_normal((n, D))
            z = mu + sigma * e
            lp, grad = log_joint_and_grad(z)
            elbo += lp.sum()
            g_mu += grad.sum(axis=0)
            g_omega += (grad * e).sum(axis=0) * sigma
        g = np.concatenate([g_mu / S, g_omega / S + 1.0])  # + d entropy / d omega
        t += 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        update = lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        mu, omega = mu + update[:D], omega + update[D:]
        return elbo / S + omega.sum()

    def timed(k):
        start = time.perf_counter()
        for _ in range(k):
            step()
        return (time.perf_counter() - start) / k

    reset()
    setup_seconds = time.perf_counter() - setup_start
    warm = timed(1)  # warm-up: one step, then about 0.1 s more of them when steps are short
    if warm < 0.05:
        warm = timed(max(1, min(1000, round(0.1 / warm))))
    if "steps" in job:
        K = int(job["steps"])
    else:
        K = max(1, min(int(job.get("maxSteps", 1000)), round(float(job["targetRepMs"]) / 1000 / warm)))
    times = [timed(K) for _ in range(R)]
    out = {"mean": reported_means(model, mu, np.exp(omega)), "sd": np.exp(omega).tolist()}
    if job.get("converge"):
        conv = job["converge"]
        ref_mean, ref_sd = np.asarray(conv["reference"]["mean"]), np.asarray(conv["reference"]["sd"])
        check_every, tol, max_seconds = int(conv["checkEvery"]), float(conv["tolSd"]), float(conv["maxSeconds"])
        reset()
        start = time.perf_counter()
        steps, worst, seconds = 0, float("inf"), 0.0
        while True:
            for _ in range(check_every):
                step()
            steps += check_every
            means = np.asarray(reported_means(model, mu, np.exp(omega)))
            worst = float(np.max(np.abs(means - ref_mean) / ref_sd))
            seconds = time.perf_counter() - start
            if worst <= tol or seconds > max_seconds:
                break
        out["converge"] = {"reached": worst <= tol, "seconds": seconds, "steps": steps, "worstSd": worst}
    times.sort()
    median = times[len(times) // 2]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "system": "numpy", "samplesPerSecond": S / median, "msPerStep": median * 1000,
        "peakMemoryMB": peak_mb, "times": [x * 1000 for x in times], "stepsPerRep": K,
        "numpy": np.__version__, "backend": f"numpy {np.__version__} (float64)",
        "setupSeconds": setup_seconds, **out,
    }))


if __name__ == "__main__":
    main()
