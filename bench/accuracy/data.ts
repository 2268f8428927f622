/**
 * The accuracy workloads' data, generated from fixed seeds (nothing shipped but the code), and a fingerprint
 * that ties a stored reference posterior to the exact data it was computed for.
 */
import type { StanData } from '../../src/models/data';
import { syntheticLogisticData } from '../../src/models/logistic';
import { roundTo, seededRandom } from '../../src/models/synthetic';

export const LINREG_CORRELATED_SEED = 20240612;

/**
 * A linear regression whose exact posterior is badly conditioned: N = 200 rows, D = 5 columns that are one
 * shared factor plus 2 % independent noise (x_ij = f_i + 0.02 e_ij, 4 decimals). The data pin down the sum of
 * the coefficients (precision ~ N D / sigma^2) far better than the contrasts between them (~ N 0.02^2 / sigma^2):
 * the posterior covariance's condition number is 1.8 x 10^4 (test/unit/accuracy-workloads.test.ts checks it is
 * at least 10^4), the marginal sds are about 3, the sum is known to 0.07 and the narrowest principal axis to
 * 0.03. This is where Adam's per-coordinate step struggles and a mean-field family's sds are far too small.
 * sigma = 1 is known; beta ~ normal(0, 10).
 */
export function correlatedLinregData(seed = LINREG_CORRELATED_SEED): StanData {
  const n = 200;
  const trueBeta = [1, -0.5, 0.25, 0.75, -1];
  const d = trueBeta.length;
  const sigma = 1;
  const random = seededRandom(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const factor = random.normal();
    const row = Array.from({ length: d }, () => roundTo(factor + 0.02 * random.normal(), 4));
    const fit = row.reduce((s, v, j) => s + v * (trueBeta[j] as number), 0);
    X.push(row);
    y.push(roundTo(fit + sigma * random.normal(), 4));
  }
  return { N: n, D: d, X, y, sigma, prior_sd: 10 };
}

/** The logistic workload: the built-in model's default data (synthetic, N = 1000, D = 10, seed 1). */
export function logisticWorkloadData(): StanData {
  return syntheticLogisticData(1000, 10, 1);
}

/** FNV-1a (32 bit) of the data's JSON text, as 8 hex digits: changes whenever any value changes. */
export function dataFingerprint(data: StanData): string {
  const text = JSON.stringify(data);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
