/**
 * Float64 reference for posteriordb's hmm_example (2-state HMM, unit-sd Gaussian emissions), written from
 * model.stan: the log-space forward algorithm for log p(y), and the gradient by forward-backward (posterior
 * state marginals and pairwise transition expectations), a different method from the WGSL's forward-mode
 * derivatives so the two check each other.
 *
 * z = (z0, z1, z2, z3): theta1 = (inv_logit(z0), 1 - inv_logit(z0)) and theta2 likewise from z1 (Stan's
 * stick-breaking simplex for K = 2); mu = (exp(z2), exp(z2) + exp(z3)) (Stan's positive_ordered).
 */
import type { StanData } from '../../src/models/data';
import type { ReferenceModel } from './models';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const STATES = [0, 1] as const;
type Pair = [number, number];

function logSumExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

function invLogit(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log(inv_logit(x)), without the underflow of taking the log of a rounded probability. */
function logInvLogit(x: number): number {
  return -(Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))));
}

function normalLpdf(x: number, mu: number): number {
  return -0.5 * (x - mu) ** 2 - HALF_LOG_2PI;
}

interface Constrained {
  /** theta[j][k]: the probability of moving from state j to state k. */
  readonly theta: [[number, number], [number, number]];
  readonly logTheta: [[number, number], [number, number]];
  readonly mu: [number, number];
  readonly logJacobian: number;
}

function constrain(z: Float64Array): Constrained {
  const [z0, z1, z2, z3] = [z[0] ?? 0, z[1] ?? 0, z[2] ?? 0, z[3] ?? 0];
  const mu1 = Math.exp(z2);
  const logTheta: Constrained['logTheta'] = [
    [logInvLogit(z0), logInvLogit(-z0)],
    [logInvLogit(z1), logInvLogit(-z1)],
  ];
  return {
    theta: [
      [invLogit(z0), invLogit(-z0)],
      [invLogit(z1), invLogit(-z1)],
    ],
    logTheta,
    mu: [mu1, mu1 + Math.exp(z3)],
    // Stick-breaking for K = 2: d theta[1] / dz = theta[1] (1 - theta[1]); positive_ordered: exp(z2) exp(z3).
    logJacobian: logTheta[0][0] + logTheta[0][1] + logTheta[1][0] + logTheta[1][1] + z2 + z3,
  };
}

export function hmmReference(data: StanData): ReferenceModel {
  const y = data.y as number[];
  const n = y.length;
  return {
    logJoint(z) {
      const { theta, logTheta, mu, logJacobian } = constrain(z);
      const emission = y.map((yt): Pair => [normalLpdf(yt, mu[0]), normalLpdf(yt, mu[1])]);
      const emit = (t: number, k: 0 | 1): number => emission[t]?.[k] ?? NaN;
      // gamma[t][k] = log p(y[1..t], s_t = k), as in model.stan (no initial distribution on s_1).
      const gamma: Pair[] = [[emit(0, 0), emit(0, 1)]];
      for (let t = 1; t < n; t++) {
        const prev = gamma[t - 1] as Pair;
        const next: Pair = [0, 0];
        for (const k of STATES) {
          next[k] = logSumExp(prev[0] + logTheta[0][k], prev[1] + logTheta[1][k]) + emit(t, k);
        }
        gamma.push(next);
      }
      const last = gamma[n - 1] as Pair;
      const logZ = logSumExp(last[0], last[1]);
      // beta[t][k] = log p(y[t+1..N] | s_t = k).
      const beta: Pair[] = Array.from({ length: n }, (): Pair => [0, 0]);
      for (let t = n - 2; t >= 0; t--) {
        const after = beta[t + 1] as Pair;
        const here = beta[t] as Pair;
        for (const j of STATES) {
          here[j] = logSumExp(
            logTheta[j][0] + emit(t + 1, 0) + after[0],
            logTheta[j][1] + emit(t + 1, 1) + after[1],
          );
        }
      }
      // d logZ / d mu_k = sum_t P(s_t = k | y) (y_t - mu_k); d logZ / d log theta[j][k] = expected j -> k count.
      const dMu: Pair = [0, 0];
      const counts: [Pair, Pair] = [
        [0, 0],
        [0, 0],
      ];
      for (let t = 0; t < n; t++) {
        const g = gamma[t] as Pair;
        const b = beta[t] as Pair;
        const yt = y[t] as number;
        for (const k of STATES) dMu[k] += Math.exp(g[k] + b[k] - logZ) * (yt - mu[k]);
        if (t === 0) continue;
        const prev = gamma[t - 1] as Pair;
        for (const j of STATES) {
          for (const k of STATES) {
            counts[j][k] += Math.exp(prev[j] + logTheta[j][k] + emit(t, k) + b[k] - logZ);
          }
        }
      }
      const lp = normalLpdf(mu[0], 3) + normalLpdf(mu[1], 10) + logZ + logJacobian;
      const gMu1 = dMu[0] - (mu[0] - 3);
      const gMu2 = dMu[1] - (mu[1] - 10);
      // d log inv_logit(z) / dz = 1 - inv_logit(z); d log(1 - inv_logit(z)) / dz = -inv_logit(z).
      const simplexGrad = (j: 0 | 1): number => {
        const [p, q] = theta[j];
        const [c1, c2] = counts[j];
        return (c1 + 1) * q - (c2 + 1) * p;
      };
      const e2 = mu[0];
      const e3 = Math.exp(z[3] ?? 0);
      return {
        lp,
        grad: Float64Array.of(simplexGrad(0), simplexGrad(1), (gMu1 + gMu2) * e2 + 1, gMu2 * e3 + 1),
      };
    },
    reported(z) {
      const { theta, mu } = constrain(z);
      return Float64Array.of(theta[0][0], theta[0][1], theta[1][0], theta[1][1], mu[0], mu[1]);
    },
  };
}
