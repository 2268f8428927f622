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
  initial: (d) => new Float32Array(blocks(d) * 4),
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
