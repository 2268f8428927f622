/**
 * linreg: Bayesian linear regression with known noise sd, beta ~ N(0, prior_sd^2 I), y ~ N(X beta, sigma^2 I).
 * Conjugate, so its exact posterior (a correlated Gaussian) is known: the check for full-rank families.
 */
import linregWgsl from '../../shaders/models/linreg.wgsl?raw';
import { readInt, readMatrix, readReal, readVector, type StanData } from './data';
import { padRowsToVec4 } from './layout';
import { roundTo, seededRandom } from './synthetic';
import type { ModelDefinition, PreparedModel } from './types';

/** Limits that keep the data buffers and the per-sample loop within what the kernels are sized for. */
const MAX_N = 100_000;
const MAX_D = 64;

/** Validated linreg data; x is row-major N x D. */
export interface LinregData {
  readonly n: number;
  readonly d: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly sigma: number;
  readonly priorSd: number;
}

export function readLinregData(data: StanData): LinregData {
  const n = readInt(data, 'N', { min: 1, max: MAX_N });
  const d = readInt(data, 'D', { min: 1, max: MAX_D });
  const x = readMatrix(data, 'X', n, d, ['N', 'D']);
  const y = readVector(data, 'y', n, 'N');
  const sigma = readReal(data, 'sigma', { positive: true });
  const priorSd = readReal(data, 'prior_sd', { positive: true });
  return { n, d, x, y, sigma, priorSd };
}

/**
 * The exact posterior of beta, in float64: precision P = X'X / sigma^2 + I / prior_sd^2,
 * mean = P^-1 X'y / sigma^2, covariance P^-1 (row-major D x D as rows).
 */
export function linregExactPosterior(data: StanData): { mean: number[]; cov: number[][] } {
  return exactPosterior(readLinregData(data));
}

function exactPosterior({ n, d, x, y, sigma, priorSd }: LinregData): { mean: number[]; cov: number[][] } {
  const precision = new Float64Array(d * d);
  const rhs = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number;
    for (let a = 0; a < d; a++) {
      const xa = x[i * d + a] as number;
      rhs[a] = (rhs[a] as number) + (xa * yi) / sigma ** 2;
      for (let b = 0; b <= a; b++) {
        precision[a * d + b] =
          (precision[a * d + b] as number) + (xa * (x[i * d + b] as number)) / sigma ** 2;
      }
    }
  }
  for (let a = 0; a < d; a++) precision[a * d + a] = (precision[a * d + a] as number) + 1 / priorSd ** 2;
  const chol = cholesky(precision, d);
  const mean = Array.from(choleskySolve(chol, d, rhs));
  const cov = Array.from({ length: d }, (_, k) => {
    const unit = new Float64Array(d);
    unit[k] = 1;
    return Array.from(choleskySolve(chol, d, unit));
  });
  return { mean, cov };
}

/** Lower-triangular L with L L' = A, reading A's lower triangle (row-major d x d). */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diag = a[j * d + j] as number;
    for (let k = 0; k < j; k++) diag -= (l[j * d + k] as number) ** 2;
    // P is the identity over prior_sd^2 plus a Gram matrix, so this only fails on non-finite input.
    if (!(diag > 0)) throw new RangeError('linreg: the posterior precision is not positive definite');
    const ljj = Math.sqrt(diag);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let s = a[i * d + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * d + k] as number) * (l[j * d + k] as number);
      l[i * d + j] = s / ljj;
    }
  }
  return l;
}

/** Solves L L' x = b. */
function choleskySolve(l: Float64Array, d: number, b: Float64Array): Float64Array {
  const w = Float64Array.from(b);
  for (let i = 0; i < d; i++) {
    let s = w[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * d + k] as number) * (w[k] as number);
    w[i] = s / (l[i * d + i] as number);
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = w[i] as number;
    for (let k = i + 1; k < d; k++) s -= (l[k * d + i] as number) * (w[k] as number);
    w[i] = s / (l[i * d + i] as number);
  }
  return w;
}

/**
 * 100 rows, 3 correlated columns (x2 and x3 lean on x1 and on each other), so the posterior of beta is
 * visibly correlated and a mean-field family's underestimated variances show.
 */
function defaultLinregData(): StanData {
  const n = 100;
  const trueBeta = [1, -2, 0.5];
  const sigma = 1;
  const random = seededRandom(20240611);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = random.normal();
    const x2 = 0.8 * x1 + 0.6 * random.normal();
    const x3 = -0.5 * x1 + 0.6 * x2 + 0.6 * random.normal();
    const row = [x1, x2, x3].map((v) => roundTo(v, 4));
    const fit = row.reduce((s, v, j) => s + v * (trueBeta[j] as number), 0);
    X.push(row);
    y.push(roundTo(fit + sigma * random.normal(), 4));
  }
  return { N: n, D: trueBeta.length, X, y, sigma, prior_sd: 10 };
}

export const linreg: ModelDefinition = {
  name: 'linreg',
  title: 'Linear regression with known noise (conjugate; exact correlated posterior)',
  wgsl: linregWgsl,
  dataFields: [
    { name: 'N', declaration: `int<lower=1, upper=${MAX_N}> N` },
    { name: 'D', declaration: `int<lower=1, upper=${MAX_D}> D` },
    { name: 'X', declaration: 'matrix[N, D] X (array of N rows)' },
    { name: 'y', declaration: 'vector[N] y' },
    { name: 'sigma', declaration: 'real<lower=0> sigma (known noise sd)' },
    { name: 'prior_sd', declaration: 'real<lower=0> prior_sd (beta ~ normal(0, prior_sd))' },
  ],
  defaultData: defaultLinregData,
  prepare(data: StanData): PreparedModel {
    const parsed = readLinregData(data);
    const { n, d, x, y, sigma, priorSd } = parsed;
    const log2pi = Math.log(2 * Math.PI);
    const lpConst = -0.5 * (n + d) * log2pi - n * Math.log(sigma) - d * Math.log(priorSd);
    const exact = exactPosterior(parsed);
    return {
      dimension: d,
      paramNames: Array.from({ length: d }, (_, j) => `beta[${j + 1}]`),
      constants: { LINREG_N: n },
      buffers: [
        { label: 'linreg X', data: padRowsToVec4(x, n, d) },
        { label: 'linreg y', data: Float32Array.from(y) },
        {
          label: 'linreg params',
          data: Float32Array.of(1 / sigma ** 2, 1 / priorSd ** 2, lpConst, 0),
        },
      ],
      exact: { mean: exact.mean, sd: exact.cov.map((row, j) => Math.sqrt(row[j] as number)) },
    };
  },
};
