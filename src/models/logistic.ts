/**
 * logistic: Bayesian logistic regression, beta ~ N(0, prior_sd^2 I), y_i ~ Bernoulli(inv_logit(x_i . beta)).
 * The performance model: every sample's log joint and gradient read all N rows.
 */
import logisticWgsl from '../../shaders/models/logistic.wgsl?raw';
import { readInt, readIntVector, readMatrix, readReal, type StanData } from './data';
import { roundTo, seededRandom } from './synthetic';
import type { ModelDefinition, PreparedModel } from './types';

/** Limits that keep the data buffer (N * D floats) and the unrolled batch code within what the kernels are sized for. */
const MAX_N = 100_000;
const MAX_D = 64;
/** Rows per vec4 of shaders/models/logistic.wgsl's column-by-column layout. */
const ROW_GROUP = 4;
/** Samples per model call the WGSL is compiled for at most: 16, fewer as D grows (the code is batch x D). */
const BATCH_CODE_BUDGET = 256;
const MAX_BATCH = 16;

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
    // Groups of four rows, column by column (see the shader's header); the rows past N are zeros, each
    // adding exactly -ln 2 to the log likelihood, which lp_const gives back.
    const groups = Math.ceil(n / ROW_GROUP);
    const cols = new Float32Array(groups * d * ROW_GROUP);
    for (let i = 0; i < n; i++) {
      // Fold the outcome into the row as a sign (s_i x_i, s_i = 2 y_i - 1): see the shader's header.
      const sign = y[i] === 1 ? 1 : -1;
      const g = Math.floor(i / ROW_GROUP);
      for (let j = 0; j < d; j++) {
        cols[(g * d + j) * ROW_GROUP + (i % ROW_GROUP)] = sign * (x[i * d + j] as number);
      }
    }
    const paddedRows = groups * ROW_GROUP;
    const lpConst = -0.5 * d * Math.log(2 * Math.PI) - d * Math.log(priorSd) + (paddedRows - n) * Math.LN2;
    return {
      dimension: d,
      paramNames: Array.from({ length: d }, (_, j) => `beta[${j + 1}]`),
      constants: { LOGISTIC_GROUPS: groups },
      maxBatch: Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_CODE_BUDGET / d))),
      buffers: [
        { label: 'logistic columns', data: cols },
        { label: 'logistic params', data: Float32Array.of(1 / priorSd ** 2, lpConst, 0, 0) },
      ],
    };
  },
};
