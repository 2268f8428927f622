#!/usr/bin/env python3
"""Peer benchmark: the tutorial's approach done well -- a vectorised numpy Monte Carlo ELBO, its
reparameterisation gradient and Adam, for the same models and data as webgpu-vi.

Reads one JSON job on stdin:
  {"model": "logistic" | "normal-mean", "data": {...Stan JSON...}, "samples": S, "steps": K, "reps": R,
   "lr": 0.05, "seed": 1, "chunk": C (optional: samples per chunk, to bound memory)}
Writes one JSON line on stdout:
  {"system": "numpy", "samplesPerSecond": median, "msPerStep": median, "peakMemoryMB": ..., "times": [...],
   "mean": [...], "sd": [...]}   (mean, sd: q's mean-field parameters after the timed steps)
Mean-field Gaussian q, closed-form entropy, float64 (numpy's default; float32 was not faster here with BLAS).
"""
import json
import resource
import sys
import time

import numpy as np


def log_joint_and_grad(model, data, z):
    """z: (S, D) samples. Returns lp (S,), grad (S, D)."""
    if model == "logistic":
        X = np.asarray(data["X"], dtype=np.float64)
        y = np.asarray(data["y"], dtype=np.float64)
        prior_var = float(data["prior_sd"]) ** 2
        eta = z @ X.T  # (S, N)
        # log p(y | eta) = y eta - softplus(eta); softplus and sigmoid share one exp
        t = np.exp(-np.abs(eta))
        softplus = np.maximum(eta, 0.0) + np.log1p(t)
        sigmoid = np.where(eta >= 0, 1.0 / (1.0 + t), t / (1.0 + t))
        lp = eta @ y - softplus.sum(axis=1) - 0.5 * (z * z).sum(axis=1) / prior_var
        grad = (y[None, :] - sigmoid) @ X - z / prior_var
        return lp, grad
    if model == "normal-mean":
        y = np.asarray(data["y"], dtype=np.float64)
        sigma, mu0, tau0 = float(data["sigma"]), float(data["mu0"]), float(data["tau0"])
        x = z[:, 0]
        lp = -0.5 * ((x - mu0) / tau0) ** 2 - 0.5 * ((y[None, :] - x[:, None]) ** 2).sum(axis=1) / sigma**2
        grad = (-(x - mu0) / tau0**2 + (y[None, :] - x[:, None]).sum(axis=1) / sigma**2)[:, None]
        return lp, grad
    raise ValueError(f"unknown model {model}")


def dimension(model, data):
    return int(data["D"]) if model == "logistic" else 1


def main():
    job = json.load(sys.stdin)
    model, data = job["model"], job["data"]
    S, K, R = int(job["samples"]), int(job["steps"]), int(job.get("reps", 5))
    chunk = int(job.get("chunk") or S)
    lr, b1, b2, eps = float(job.get("lr", 0.05)), 0.9, 0.999, 1e-8
    rng = np.random.default_rng(int(job.get("seed", 1)))
    D = dimension(model, data)
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
            lp, grad = log_joint_and_grad(model, data, z)
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

    step()  # warm-up
    times = []
    for _ in range(R):
        start = time.perf_counter()
        for _ in range(K):
            step()
        times.append((time.perf_counter() - start) / K)
    times.sort()
    median = times[len(times) // 2]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "system": "numpy", "samplesPerSecond": S / median, "msPerStep": median * 1000,
        "peakMemoryMB": peak_mb, "times": times, "mean": mu.tolist(), "sd": np.exp(omega).tolist(),
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
