#!/usr/bin/env python3
"""Reference posterior for the logistic workload (there is no posteriordb entry for synthetic data):
the Laplace approximation (Newton's method to the mode, the Hessian there), then self-normalised importance
sampling with a multivariate Student-t proposal (5 degrees of freedom) centred at the mode with the Laplace
covariance, float64. With N = 1000 rows and D = 10 the posterior is close to Gaussian, so the weights are
well behaved; the effective sample size is printed so that this can be checked.

Reads Stan JSON {N, D, X, y, prior_sd} on stdin; writes one JSON line:
  {"mean": [...], "sd": [...], "ess": ..., "draws": ..., "method": "..."}
"""
import json
import sys

import numpy as np


def main():
    data = json.load(sys.stdin)
    X = np.asarray(data["X"], dtype=np.float64)
    y = np.asarray(data["y"], dtype=np.float64)
    prior_var = float(data["prior_sd"]) ** 2
    D = X.shape[1]

    def log_post(B):  # B: (S, D); in chunks of 2^14 rows to keep the (S, N) products small
        out = np.empty(B.shape[0])
        for start in range(0, B.shape[0], 2**14):
            b = B[start:start + 2**14]
            eta = b @ X.T
            out[start:start + 2**14] = (eta @ y - np.logaddexp(0.0, eta).sum(axis=1)
                                        - 0.5 * (b * b).sum(axis=1) / prior_var)
        return out

    beta = np.zeros(D)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        grad = X.T @ (y - p) - beta / prior_var
        H = (X * (p * (1 - p))[:, None]).T @ X + np.eye(D) / prior_var
        delta = np.linalg.solve(H, grad)
        beta = beta + delta
        if np.max(np.abs(delta)) < 1e-12:
            break
    cov = np.linalg.inv(H)
    L = np.linalg.cholesky(cov)

    rng = np.random.default_rng(20240601)
    draws, nu = 2**16, 5.0
    e = rng.standard_normal((draws, D))
    w = rng.chisquare(nu, draws) / nu
    B = beta + (e @ L.T) / np.sqrt(w)[:, None]
    # log proposal density (up to a constant): multivariate t with the Laplace covariance
    quad = (e * e).sum(axis=1) / w
    log_q = -0.5 * (nu + D) * np.log1p(quad / nu)
    log_w = log_post(B) - log_q
    weights = np.exp(log_w - log_w.max())
    weights /= weights.sum()
    mean = weights @ B
    sd = np.sqrt(weights @ (B - mean) ** 2)
    ess = 1.0 / np.sum(weights**2)
    print(json.dumps({
        "mean": mean.tolist(), "sd": sd.tolist(), "ess": float(ess), "draws": draws,
        "method": "importance sampling (2^16 draws, Student-t(5) proposal from the Laplace approximation)",
    }))


if __name__ == "__main__":
    main()
