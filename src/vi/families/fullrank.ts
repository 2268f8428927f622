/** The full-rank Gaussian: lambda = (mu, L) with L lower-triangular and its diagonal stored as logs. */
import fullrankWgsl from '../../../shaders/families/fullrank.wgsl?raw';
import { vec4Count } from '../../models/types';
import type { FamilyDescriptor } from './types';

/** L's entry (r, c) in the lambda array (row r, column c; the diagonal is stored as its log). */
export function fullRankIndex(dimension: number, r: number, c: number): number {
  const dv = vec4Count(dimension);
  return (dv + r * dv) * 4 + c;
}

/** The lower-triangular Cholesky factor L of q's covariance (float64, dense D x D, row-major). */
export function fullRankCholesky(lambda: Float32Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c <= r; c++) {
      const stored = lambda[fullRankIndex(d, r, c)] as number;
      l[r * d + c] = r === c ? Math.exp(stored) : stored;
    }
  }
  return l;
}

const blocks = (d: number): number => vec4Count(d) + 4 * vec4Count(d) * vec4Count(d);

/**
 * L-BFGS's starting matrix for the full-rank family. -ELBO for a Gaussian posterior with precision P is
 * 1/2 (mu - m)' P (mu - m) + 1/2 tr(P L L') - sum log L[r][r]: its Hessian in mu is P, and in column c of L
 * (rows c..D-1) the block of P on those rows, whose inverse is the conditional covariance
 * L[c:, c:] L[c:, c:]'. With q near the posterior those are known from L alone: mu's gradient is multiplied by
 * Sigma = L L', column c's by L[c:, c:] L[c:, c:]' (its diagonal entry, stored as a log, through the chain
 * rule dL/dlog L = L on both sides, which keeps the matrix symmetric positive definite).
 */
function fullRankPreconditioner(lambda: Float64Array, d: number): (v: Float64Array) => Float64Array {
  const l = fullRankCholesky(Float32Array.from(lambda), d);
  const at = (r: number, c: number) => (l[r * d + c] as number) * (r >= c ? 1 : 0);
  return (v) => {
    const out = new Float64Array(v.length);
    // mu: Sigma v = L (L' v).
    const ltv = Array.from({ length: d }, (_, k) => {
      let s = 0;
      for (let r = k; r < d; r++) s += at(r, k) * (v[r] as number);
      return s;
    });
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let k = 0; k <= r; k++) s += at(r, k) * (ltv[k] as number);
      out[r] = s;
    }
    // Column c of L: u (the gradient in raw L, rows c..D-1) -> M_c u with M_c = L[c:, c:] L[c:, c:]'.
    for (let c = 0; c < d; c++) {
      const diag = at(c, c);
      const u = Array.from({ length: d - c }, (_, i) => {
        const x = v[fullRankIndex(d, c + i, c)] as number;
        return i === 0 ? x / diag : x;
      });
      const tu = Array.from({ length: d - c }, (_, k) => {
        let s = 0;
        for (let i = k; i < d - c; i++) s += at(c + i, c + k) * (u[i] as number);
        return s;
      });
      for (let i = 0; i < d - c; i++) {
        let s = 0;
        for (let k = 0; k <= i; k++) s += at(c + i, c + k) * (tu[k] as number);
        out[fullRankIndex(d, c + i, c)] = i === 0 ? s / diag : s;
      }
    }
    return out;
  };
}

export const FULLRANK: FamilyDescriptor = {
  name: 'fullrank',
  title: 'Full-rank Gaussian',
  wgsl: fullrankWgsl,
  // Each thread accumulates the D x D outer product: past 32 the accumulators outgrow what kernels hold.
  maxDimension: 32,
  hasScore: true,
  closedFormEntropy: true,
  stanLogG: 'standard-normal',
  blocks,
  initial(d, scale = 1) {
    const lambda = new Float32Array(blocks(d) * 4);
    for (let r = 0; r < d; r++) lambda[fullRankIndex(d, r, r)] = Math.log(scale);
    return lambda;
  },
  precondition: fullRankPreconditioner,
  entropy(lambda, d) {
    let sum = 0;
    for (let r = 0; r < d; r++) sum += lambda[fullRankIndex(d, r, r)] as number;
    return sum + 0.5 * d * (1 + Math.log(2 * Math.PI));
  },
  marginals(lambda, d) {
    const l = fullRankCholesky(lambda, d);
    return {
      mean: Array.from({ length: d }, (_, i) => lambda[i] as number),
      sd: Array.from({ length: d }, (_, r) => {
        let s = 0;
        for (let c = 0; c <= r; c++) s += (l[r * d + c] as number) ** 2;
        return Math.sqrt(s);
      }),
    };
  },
};
