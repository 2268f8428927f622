/** Host-side descriptions of the variational families: lambda's layout, its start, and reading it back. */
import { vec4Count } from '../models/types';
import type { FamilyName } from './settings';

export interface FamilyLayout {
  readonly name: FamilyName;
  /** The WGSL module bound to "family". */
  readonly module: string;
  /** Largest latent dimension the family supports on the GPU (per-thread accumulators grow with it). */
  readonly maxDimension: number;
  /** vec4 blocks of lambda (FAMILY_PV in WGSL). */
  blocks(dimension: number): number;
  /** lambda at the start: mu = 0, sigma = 1 (L = I). */
  initial(dimension: number): Float32Array;
  /** mu and the marginal sds of q on the unconstrained space, from lambda. */
  marginals(lambda: Float32Array, dimension: number): { mean: number[]; sd: number[] };
}

export const MEANFIELD: FamilyLayout = {
  name: 'meanfield',
  module: 'families/meanfield',
  maxDimension: 256,
  blocks: (d) => 2 * vec4Count(d),
  initial: (d) => new Float32Array(2 * vec4Count(d) * 4),
  marginals(lambda, d) {
    const offset = vec4Count(d) * 4;
    return {
      mean: Array.from({ length: d }, (_, i) => lambda[i] as number),
      sd: Array.from({ length: d }, (_, i) => Math.exp(lambda[offset + i] as number)),
    };
  },
};

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

export const FULLRANK: FamilyLayout = {
  name: 'fullrank',
  module: 'families/fullrank',
  maxDimension: 32,
  blocks: (d) => vec4Count(d) + 4 * vec4Count(d) * vec4Count(d),
  initial: (d) => new Float32Array(FULLRANK.blocks(d) * 4),
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

export function familyLayout(name: FamilyName): FamilyLayout {
  return name === 'fullrank' ? FULLRANK : MEANFIELD;
}
