/**
 * The generalised Pareto distribution as PSIS needs it: Zhang & Stephens' (2009) empirical-Bayes fit of
 * its shape k and scale sigma, with the weakly informative prior on k that R's loo package applies, and
 * its quantile function. Written from the published algorithm and loo's documented choices
 * (`gpdfit(x, wip = TRUE, min_grid_pts = 30)`), so that k-hat agrees with loo to rounding.
 */

export interface GeneralizedPareto {
  /** Shape; Infinity when the fit failed (loo turns a NaN k into Inf). */
  readonly k: number;
  /** Scale, from the shape before the prior's adjustment (as loo does); NaN when the fit failed. */
  readonly sigma: number;
}

/** Grid points of the profile posterior: MIN_GRID_POINTS + floor(sqrt(n)) (loo's min_grid_pts). */
const MIN_GRID_POINTS = 30;
/** Zhang & Stephens' prior on theta is centred on 1 / (PRIOR * x at the first quartile). */
const PRIOR = 3;
/** The weakly informative prior shrinks k towards 0.5 as if from this many extra observations. */
const WIP_PSEUDO_COUNT = 10;
const WIP_PRIOR_K = 0.5;

/**
 * The mean of f(x_i) summed with Neumaier's compensation: R's mean() accumulates in long double and
 * corrects once, and the profile likelihood multiplies this mean by n, so a plain sum would drift.
 */
function compensatedMean(values: Float64Array, f: (x: number) => number): number {
  let sum = 0;
  let carry = 0;
  for (let i = 0; i < values.length; i++) {
    const term = f(values[i] as number);
    const next = sum + term;
    carry += Math.abs(sum) >= Math.abs(term) ? sum - next + term : term - next + sum;
    sum = next;
  }
  return (sum + carry) / values.length;
}

function logSumExpOf(values: Float64Array): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (Number.isNaN(max) || values.some(Number.isNaN)) return NaN;
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * Fits a generalised Pareto to exceedances `x` (sorted ascending, all >= 0) by Zhang & Stephens' method:
 * a grid over theta = -k / sigma, weighted by the profile likelihood, its posterior mean theta-hat, then
 * k = mean(log1p(-theta-hat x)) and sigma = -k / theta-hat; finally k is shrunk towards 0.5 by the weakly
 * informative prior, k n / (n + 10) + 10 * 0.5 / (n + 10). NaN anywhere (e.g. a quarter of the tail tied
 * at zero) gives k = Infinity, as in loo.
 */
export function fitGeneralizedPareto(x: Float64Array): GeneralizedPareto {
  const n = x.length;
  if (n < 1) return { k: Infinity, sigma: NaN };
  const gridPoints = MIN_GRID_POINTS + Math.floor(Math.sqrt(n));
  // loo's x[floor(N/4 + 0.5)] (1-based): the first quartile.
  const quartile = x[Math.max(0, Math.floor(n / 4 + 0.5) - 1)] as number;
  const largest = x[n - 1] as number;
  const theta = new Float64Array(gridPoints);
  const logLik = new Float64Array(gridPoints);
  for (let j = 0; j < gridPoints; j++) {
    theta[j] = 1 / largest + (1 - Math.sqrt(gridPoints / (j + 1 - 0.5))) / PRIOR / quartile;
    // The profile log likelihood at theta: with a = -theta and k(a) = mean(log1p(a x)),
    // n (log(a / k) - k - 1).
    const a = -(theta[j] as number);
    const k = compensatedMean(x, (xi) => Math.log1p(a * xi));
    logLik[j] = n * (Math.log(a / k) - k - 1);
  }
  const normaliser = logSumExpOf(logLik);
  let thetaHat = 0;
  for (let j = 0; j < gridPoints; j++) {
    thetaHat += (theta[j] as number) * Math.exp((logLik[j] as number) - normaliser);
  }
  const rawK = compensatedMean(x, (xi) => Math.log1p(-thetaHat * xi));
  const sigma = -rawK / thetaHat;
  const k = (rawK * n) / (n + WIP_PSEUDO_COUNT) + (WIP_PSEUDO_COUNT * WIP_PRIOR_K) / (n + WIP_PSEUDO_COUNT);
  if (Number.isNaN(k)) return { k: Infinity, sigma };
  return { k, sigma };
}

/** The quantile function of the generalised Pareto(k, sigma) with location 0; NaN where sigma <= 0. */
export function gpdQuantile(p: number, k: number, sigma: number): number {
  if (!(sigma > 0)) return NaN;
  return (sigma * Math.expm1(-k * Math.log1p(-p))) / k;
}
