/**
 * The low-rank plus diagonal Gaussian: q = N(mu, diag(sigma^2) + B B^T), B of D x K (settings.rank, default
 * min(D, 8)); lambda = (mu, omega = log sigma, the K columns of B), each D values padded to vec4 blocks.
 * Sampling, log q and the entropy cost O(D K + K^3) (shaders/families/lowrank.wgsl), so it runs at D in the
 * hundreds, where fullrank's D x D factor does not fit a kernel.
 */
import lowrankWgsl from '../../../shaders/families/lowrank.wgsl?raw';
import { vec4Count } from '../../models/types';
import type { FamilyDescriptor, FamilyOptions, FamilyOptionProblem } from './types';

/** The most columns of B (each thread holds B, grad H and a K x K factor in registers). */
export const MAX_RANK = 32;
export const DEFAULT_RANK = 8;

export function resolveRank(rank: number | 'auto', dimension: number): number | FamilyOptionProblem {
  const max = Math.min(dimension, MAX_RANK);
  if (rank === 'auto') return Math.min(dimension, DEFAULT_RANK);
  if (!Number.isInteger(rank) || rank < 1 || rank > max) {
    return { setting: 'rank', expected: `an integer in [1, ${max}] (D = ${dimension}; at most ${MAX_RANK})` };
  }
  return rank;
}

/** The index of B[i][k] in lambda. */
export function lowRankIndex(dimension: number, i: number, k: number): number {
  return (2 + k) * vec4Count(dimension) * 4 + i;
}

/** sigma (length D) and B (D x K, row-major) from lambda, in float64. */
export function lowRankFactors(lambda: ArrayLike<number>, d: number, rank: number) {
  const offset = vec4Count(d) * 4;
  const sigma = Array.from({ length: d }, (_, i) => Math.exp(lambda[offset + i] as number));
  const b = Array.from({ length: d }, (_, i) =>
    Array.from({ length: rank }, (_, k) => lambda[lowRankIndex(d, i, k)] as number),
  );
  return { mean: Array.from({ length: d }, (_, i) => lambda[i] as number), sigma, b };
}

/** The K x K lower Cholesky factor of C = I + B^T diag(sigma^-2) B (float64). */
function capacitanceCholesky(sigma: readonly number[], b: readonly (readonly number[])[], rank: number) {
  const c = Array.from({ length: rank }, (_, j) =>
    Array.from({ length: rank }, (_, k) => {
      let s = j === k ? 1 : 0;
      b.forEach((row, i) => (s += ((row[j] as number) * (row[k] as number)) / (sigma[i] as number) ** 2));
      return s;
    }),
  );
  const l = c.map((row) => row.map(() => 0));
  for (let j = 0; j < rank; j++) {
    for (let k = 0; k <= j; k++) {
      let s = c[j]?.[k] as number;
      for (let m = 0; m < k; m++) s -= (l[j]?.[m] as number) * (l[k]?.[m] as number);
      (l[j] as number[])[k] = j === k ? Math.sqrt(s) : s / (l[k]?.[k] as number);
    }
  }
  return l;
}

/** Deterministic small entries for B at the start: B = 0 is a saddle of the ELBO (its gradient in B is 0). */
function initialB(i: number, k: number, rank: number): number {
  const u = (((i + 1) * 7919 + (k + 1) * 104729) % 1000) / 500 - 1;
  return (0.1 * u) / Math.sqrt(rank);
}

export function lowRankFamily(rank: number): FamilyDescriptor {
  const blocks = (d: number) => (2 + rank) * vec4Count(d);
  return {
    ...LOWRANK,
    title: `Low-rank plus diagonal Gaussian (rank ${rank})`,
    blocks,
    noiseBlocks: (d) => vec4Count(d) + vec4Count(rank),
    constants: () => ({ LR_K: rank, LR_KV: vec4Count(rank) }),
    initial(d, scale = 1) {
      const lambda = new Float32Array(blocks(d) * 4);
      // Sigma = scale^2 (I + B0 B0^T): sigma and B both scaled.
      lambda.fill(Math.log(scale), vec4Count(d) * 4, vec4Count(d) * 4 + d);
      for (let i = 0; i < d; i++) {
        for (let k = 0; k < rank; k++) lambda[lowRankIndex(d, i, k)] = scale * initialB(i, k, rank);
      }
      return lambda;
    },
    entropy(lambda, d) {
      const { sigma, b } = lowRankFactors(lambda, d, rank);
      const l = capacitanceCholesky(sigma, b, rank);
      let halfLogDet = 0;
      sigma.forEach((s) => (halfLogDet += Math.log(s)));
      l.forEach((row, j) => (halfLogDet += Math.log(row[j] as number)));
      return halfLogDet + 0.5 * d * (1 + Math.log(2 * Math.PI));
    },
    marginals(lambda, d) {
      const { mean, sigma, b } = lowRankFactors(lambda, d, rank);
      return {
        mean,
        sd: sigma.map((s, i) => Math.sqrt(s * s + (b[i] as number[]).reduce((a, x) => a + x * x, 0))),
      };
    },
    /**
     * L-BFGS's starting matrix: for the means Sigma (near the optimum, the inverse of the ELBO's curvature
     * there, as for the other families), for each column of B also Sigma (the curvature of 1/2 tr(P B B^T)
     * in a column is the posterior precision P), for the log sds 1/2 (as mean-field). Block-diagonal with
     * symmetric positive-definite blocks; applying Sigma = diag(sigma^2) + B B^T costs O(D K).
     */
    precondition(lambda, d) {
      const { sigma, b } = lowRankFactors(lambda, d, rank);
      const dv4 = vec4Count(d) * 4;
      const applySigma = (v: Float64Array, offset: number, out: Float64Array) => {
        const btv = Array.from({ length: rank }, (_, k) => {
          let s = 0;
          for (let i = 0; i < d; i++) s += (b[i]?.[k] as number) * (v[offset + i] as number);
          return s;
        });
        for (let i = 0; i < d; i++) {
          let s = (sigma[i] as number) ** 2 * (v[offset + i] as number);
          for (let k = 0; k < rank; k++) s += (b[i]?.[k] as number) * (btv[k] as number);
          out[offset + i] = s;
        }
      };
      return (v) => {
        const out = new Float64Array(v.length);
        applySigma(v, 0, out);
        for (let i = 0; i < d; i++) out[dv4 + i] = (v[dv4 + i] as number) / 2;
        for (let k = 0; k < rank; k++) applySigma(v, (2 + k) * dv4, out);
        return out;
      };
    },
  };
}

/** The registry's entry: the rank is set by configure once D is known (settings.rank). */
export const LOWRANK: FamilyDescriptor = {
  name: 'lowrank',
  title: 'Low-rank plus diagonal Gaussian',
  wgsl: lowrankWgsl,
  maxDimension: 256,
  hasScore: true,
  closedFormEntropy: true,
  stanLogG: 'log-q',
  entropyTerm: 'expected',
  options: ['rank'],
  blocks: (d) => (2 + Math.min(d, DEFAULT_RANK)) * vec4Count(d),
  initial: (d, scale) => lowRankFamily(Math.min(d, DEFAULT_RANK)).initial(d, scale),
  marginals: (lambda, d) => lowRankFamily(Math.min(d, DEFAULT_RANK)).marginals(lambda, d),
  configure(options: FamilyOptions, dimension: number) {
    const rank = resolveRank(options.rank, dimension);
    return typeof rank === 'number' ? lowRankFamily(rank) : rank;
  },
};
