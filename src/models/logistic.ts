/**
 * logistic: Bayesian logistic regression, beta ~ N(0, prior_sd^2 I), y_i ~ Bernoulli(inv_logit(x_i . beta)).
 * The performance model: every sample's log joint and gradient read all N rows.
 */
import logisticWgsl from '../../shaders/models/logistic.wgsl?raw';
import { readInt, readIntVector, readMatrix, readReal, type StanData } from './data';
import { padRowsToVec4 } from './layout';
import { roundTo, seededRandom } from './synthetic';
import { vec4Count, type ModelDefinition, type PreparedModel } from './types';

/** Limits that keep the row buffer (N * DV vec4s) and the per-sample loop within what the kernels are sized for. */
const MAX_N = 100_000;
const MAX_D = 64;
/** Rows per iteration of shaders/models/logistic.wgsl's data loop. */
const ROW_BLOCK = 8;

/**
 * Fixed-seed synthetic data: X standard normal (4 decimals), y ~ Bernoulli(inv_logit(X beta_true)) with
 * beta_true cycling through (-1, -0.5, 0, 0.5, 1) scaled by 2 / sqrt(D), so x . beta_true has sd about 1.4
 * whatever D is: the classes overlap and the posterior is well defined.
 */
export function syntheticLogisticData(N: number, D: number, seed: number): StanData {
  const random = seededRandom(seed);
  const pattern = [-1, -0.5, 0, 0.5, 1];
  const trueBeta = Array.from({ length: D }, (_, j) => ((pattern[j % 5] as number) * 2) / Math.sqrt(D));
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < N; i++) {
    const row = Array.from({ length: D }, () => roundTo(random.normal(), 4));
    const eta = row.reduce((s, v, j) => s + v * (trueBeta[j] as number), 0);
    X.push(row);
    y.push(random.uniform() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
  }
  return { N, D, X, y, prior_sd: 2.5 };
}

export const logistic: ModelDefinition = {
  name: 'logistic',
  title: 'Logistic regression (synthetic data: logistic-N1000-D10)',
  wgsl: logisticWgsl,
  dataFields: [
    { name: 'N', declaration: `int<lower=1, upper=${MAX_N}> N` },
    { name: 'D', declaration: `int<lower=1, upper=${MAX_D}> D` },
    { name: 'X', declaration: 'matrix[N, D] X (array of N rows)' },
    { name: 'y', declaration: 'array[N] int<lower=0, upper=1> y' },
    { name: 'prior_sd', declaration: 'real<lower=0> prior_sd (beta ~ normal(0, prior_sd))' },
  ],
  defaultData: () => syntheticLogisticData(1000, 10, 1),
  prepare(data: StanData): PreparedModel {
    const n = readInt(data, 'N', { min: 1, max: MAX_N });
    const d = readInt(data, 'D', { min: 1, max: MAX_D });
    const x = readMatrix(data, 'X', n, d, ['N', 'D']);
    const y = readIntVector(data, 'y', n, 'N', { min: 0, max: 1 });
    const priorSd = readReal(data, 'prior_sd', { positive: true });
    // Whole blocks of ROW_BLOCK rows (the shader's loop takes that many at a time); the extra rows are
    // zeros, each adding exactly -ln 2 to the log likelihood, which lp_const gives back.
    const paddedRows = Math.ceil(n / ROW_BLOCK) * ROW_BLOCK;
    const stride = vec4Count(d) * 4;
    const rows = new Float32Array(paddedRows * stride);
    rows.set(padRowsToVec4(x, n, d));
    // Fold the outcome into the row as a sign (s_i x_i, s_i = 2 y_i - 1): see the shader's header.
    for (let i = 0; i < n; i++) {
      if (y[i] === 0) for (let k = i * stride; k < i * stride + d; k++) rows[k] = -(rows[k] as number);
    }
    const lpConst = -0.5 * d * Math.log(2 * Math.PI) - d * Math.log(priorSd) + (paddedRows - n) * Math.LN2;
    return {
      dimension: d,
      paramNames: Array.from({ length: d }, (_, j) => `beta[${j + 1}]`),
      constants: { LOGISTIC_N: n },
      buffers: [
        { label: 'logistic rows', data: rows },
        { label: 'logistic params', data: Float32Array.of(1 / priorSd ** 2, lpConst, 0, 0) },
      ],
    };
  },
};
