/**
 * Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao & Gabry), as R's loo package
 * (version 2.5) computes it for one vector of log ratios with r_eff = 1, and the diagnostics built on it
 * for variational inference (Yao, Vehtari, Simpson & Gelman 2018, "Yes, but did it work?").
 *
 * The computation only ever needs the M + 1 largest log ratios and two sums over the others, so it is
 * written against that summary (`TailSummary`, `psisFromTail`): the GPU path (src/gpu/tail-select.ts)
 * finds those from millions of draws without bringing them to the host, and `psis` on a full vector
 * builds the same summary on the CPU and calls the same code, so both agree by construction.
 *
 * loo's steps, for log ratios r of S draws:
 *   1. lw = r - max(r); M = ceiling(min(0.2 S, 3 sqrt(S / r_eff))), r_eff = 1.
 *   2. If M >= 5: sort (stably: ties keep index order), the M largest are the tail, the next one the
 *      cutoff. If the tail is constant (max - min < eps / 100), k-hat = Inf and nothing is smoothed.
 *      Otherwise fit a generalised Pareto to exp(tail) - exp(cutoff) (src/vi/diagnostics/gpd.ts) and
 *      replace the tail by log(exp(cutoff) + F^-1((i - 0.5) / M)), i = 1..M, in sorted order (if the fit
 *      gives a finite k). If M < 5, k-hat = Inf.
 *   3. Truncate: lw = min(lw, 0), i.e. no weight above the largest raw one.
 * Beyond loo (whose psis() rejects non-finite input): a draw whose log ratio is -Inf has weight 0 and
 * takes part as loo's own routine would treat it; NaN and +Inf (a broken log density) are counted as
 * `invalidDraws` and given weight 0 too, so one bad draw cannot poison the diagnostics.
 */
import { psisSummarySize, psisTailLength, type TailSummary } from '../../math/psis-tail';
import { fitGeneralizedPareto, gpdQuantile, type GeneralizedPareto } from './gpd';

export { psisSummarySize, psisTailLength, type TailSummary } from '../../math/psis-tail';

/** Why k-hat has the value it has. */
export type KhatStatus =
  /** a generalised Pareto was fitted to the tail */
  | 'fitted'
  /** fewer than 5 tail draws (S < 25): k-hat = Inf, as in loo */
  | 'tail-too-short'
  /** the M largest log ratios are all equal (bounded weights): k-hat = Inf, as in loo */
  | 'constant-tail'
  /** the fit produced NaN (e.g. a quarter of the tail tied with the cutoff): k-hat = Inf, as in loo */
  | 'fit-failed'
  /** no draw has a finite log ratio: nothing can be estimated */
  | 'no-finite-draws';

export interface PsisTail {
  /** The Pareto shape estimate k-hat (Infinity when it cannot be estimated: see `status`). */
  readonly khat: number;
  readonly status: KhatStatus;
  /** M, the number of smoothed draws. */
  readonly tailLength: number;
  /** The fitted generalised Pareto (of exp(lw) - exp(cutoff), lw = r - max), or NaNs when none. */
  readonly pareto: GeneralizedPareto;
  /** The largest log ratio. */
  readonly max: number;
  /** The largest log ratio not smoothed (loo's cutoff), -Infinity when there is no tail. */
  readonly cutoff: number;
  /**
   * Normalised smoothed log weights of the M largest draws, ascending (the same order as the last M of
   * `largest`): log(w_i / sum w).
   */
  readonly tailLogWeights: Float64Array;
  /** The draw indices of those, when the summary had indices. */
  readonly tailIndices?: Uint32Array;
  /**
   * Smoothed and truncated log weights of the tail relative to the largest raw weight (lw - max <= 0):
   * exp of these is what the weighted-moment pass gives the tail draws; the others get exp(r - max).
   */
  readonly tailRelativeLogWeights: Float64Array;
  /** log(sum of the smoothed weights exp(lw)), on the scale of the log ratios (loo's norm_const_log). */
  readonly logNormaliser: number;
  /** Importance-weighted ELBO: log-mean-exp of the raw log ratios (a bound at least as tight as the ELBO). */
  readonly iwElbo: number;
  /** Effective sample size of the smoothed weights, 1 / sum(w_i^2) with normalised w (loo's n_eff). */
  readonly ess: number;
  readonly count: number;
  readonly invalidDraws: number;
}

export interface PsisResult extends PsisTail {
  /** Normalised smoothed log weights of every draw, log(w_i / sum w), -Inf for weight 0. */
  readonly logWeights: Float64Array;
}

/** loo's minimum tail length for a fit. */
const MIN_TAIL_LENGTH = 5;
/** loo's "all tail values are the same" threshold. */
const CONSTANT_TAIL = Number.EPSILON / 100;

/** Neumaier-compensated running sum. */
class Sum {
  private sum = 0;
  private carry = 0;
  add(term: number): void {
    const next = this.sum + term;
    this.carry += Math.abs(this.sum) >= Math.abs(term) ? this.sum - next + term : term - next + this.sum;
    this.sum = next;
  }
  get value(): number {
    return this.sum + this.carry;
  }
}

function checkSummary(summary: TailSummary): void {
  const { count, largest, indices } = summary;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`TailSummary.count: expected a positive integer, got ${count}`);
  }
  const need = psisSummarySize(count);
  if (largest.length < need || largest.length > count) {
    throw new RangeError(
      `TailSummary.largest: expected between ${need} and ${count} values for count = ${count}, got ${largest.length}`,
    );
  }
  for (let i = 0; i < largest.length; i++) {
    const v = largest[i] as number;
    if (Number.isNaN(v) || v === Infinity || (i > 0 && v < (largest[i - 1] as number))) {
      throw new RangeError(
        `TailSummary.largest[${i}] = ${v}: expected values in [-Inf, Inf) sorted ascending`,
      );
    }
  }
  if (indices && indices.length !== largest.length) {
    throw new RangeError(
      `TailSummary.indices: expected ${largest.length} indices (one per value), got ${indices.length}`,
    );
  }
  for (const [field, value] of [
    ['restSumExp', summary.restSumExp],
    ['restSumExp2', summary.restSumExp2],
  ] as const) {
    if (!(value >= 0) || value === Infinity) {
      throw new RangeError(`TailSummary.${field}: expected a finite sum >= 0, got ${value}`);
    }
  }
}

/** The smoothing step of loo's psis_smooth_tail, on the tail relative to the max. */
function smoothTail(
  tail: Float64Array,
  cutoff: number,
): { smoothed: Float64Array; pareto: GeneralizedPareto; status: KhatStatus } {
  const m = tail.length;
  const expCutoff = Math.exp(cutoff);
  const exceedances = tail.map((v) => Math.exp(v) - expCutoff);
  const pareto = fitGeneralizedPareto(exceedances);
  // A fit that gives a non-positive scale cannot be used (loo's qgpd returns NaN then).
  if (!Number.isFinite(pareto.k) || !(pareto.sigma > 0)) {
    return { smoothed: tail.slice(), pareto: { k: Infinity, sigma: pareto.sigma }, status: 'fit-failed' };
  }
  const smoothed = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    smoothed[i] = Math.log(gpdQuantile((i + 1 - 0.5) / m, pareto.k, pareto.sigma) + expCutoff);
  }
  return { smoothed, pareto, status: 'fitted' };
}

/** PSIS from the summary of the draws' log ratios (see TailSummary): k-hat, the smoothed tail, IW-ELBO, ESS. */
export function psisFromTail(summary: TailSummary): PsisTail {
  checkSummary(summary);
  const { count, largest } = summary;
  const invalidDraws = summary.invalidDraws ?? 0;
  const size = largest.length;
  const max = largest[size - 1] as number;
  const M = psisTailLength(count);
  const tailLength = Math.min(M, size);
  const tailIndices = summary.indices?.slice(size - tailLength);
  const withIndices = tailIndices ? { tailIndices } : {};
  if (max === -Infinity) {
    const empty = new Float64Array(tailLength).fill(NaN);
    return {
      khat: Infinity,
      status: 'no-finite-draws',
      tailLength,
      pareto: { k: NaN, sigma: NaN },
      max,
      cutoff: -Infinity,
      tailLogWeights: empty,
      tailRelativeLogWeights: empty.slice(),
      ...withIndices,
      logNormaliser: -Infinity,
      iwElbo: -Infinity,
      ess: 0,
      count,
      invalidDraws,
    };
  }
  // Relative to the max, as loo works (and exp stays within range).
  const relative = largest.map((v) => v - max);
  const bodyEnd = size - tailLength;
  const raw = relative.slice(bodyEnd);
  let tail: Float64Array = raw;
  let khat = Infinity;
  let status: KhatStatus = 'tail-too-short';
  let pareto: GeneralizedPareto = { k: NaN, sigma: NaN };
  let cutoff = -Infinity;
  if (M >= MIN_TAIL_LENGTH) {
    cutoff = (relative[bodyEnd - 1] as number) + max;
    if (Math.abs((raw[tailLength - 1] as number) - (raw[0] as number)) < CONSTANT_TAIL) {
      status = 'constant-tail';
    } else {
      const fit = smoothTail(raw, relative[bodyEnd - 1] as number);
      tail = fit.smoothed;
      pareto = fit.pareto;
      status = fit.status;
      khat = fit.pareto.k;
    }
  }
  // Truncation: no weight above the largest raw weight exp(0).
  const tailRelativeLogWeights = tail.map((v) => Math.min(v, 0));

  const body = new Sum();
  const body2 = new Sum();
  body.add(summary.restSumExp);
  body2.add(summary.restSumExp2);
  const rawAll = new Sum();
  rawAll.add(summary.restSumExp);
  for (let i = 0; i < bodyEnd; i++) {
    const e = Math.exp(relative[i] as number);
    body.add(e);
    body2.add(e * e);
    rawAll.add(e);
  }
  const total = new Sum();
  const total2 = new Sum();
  total.add(body.value);
  total2.add(body2.value);
  for (let i = 0; i < tailLength; i++) {
    const e = Math.exp(tailRelativeLogWeights[i] as number);
    total.add(e);
    total2.add(e * e);
    rawAll.add(Math.exp(raw[i] as number));
  }
  const logTotal = Math.log(total.value);
  return {
    khat,
    status,
    tailLength,
    pareto,
    max,
    cutoff,
    tailLogWeights: tailRelativeLogWeights.map((v) => v - logTotal),
    tailRelativeLogWeights,
    ...withIndices,
    logNormaliser: max + logTotal,
    iwElbo: max + Math.log(rawAll.value) - Math.log(count),
    ess: (total.value * total.value) / total2.value,
    count,
    invalidDraws,
  };
}

/** The log ratios as float64 with NaN and +Inf (invalid draws) mapped to -Inf and -0 to +0, and how many were invalid. */
function sanitise(logRatios: Float64Array | Float32Array): { values: Float64Array; invalid: number } {
  const values = Float64Array.from(logRatios);
  let invalid = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v) || v === Infinity) {
      values[i] = -Infinity;
      invalid++;
    } else if (v === 0) {
      values[i] = 0; // -0 ranks as +0 (the GPU's keys do the same), so ties stay ties
    }
  }
  return { values, invalid };
}

/**
 * The TailSummary of a full vector of log ratios, on the CPU: the min(M + 1, S) largest in loo's stable
 * order, and float64 compensated sums over the rest.
 */
export function summarizeLogRatios(logRatios: Float64Array | Float32Array): TailSummary {
  const { values, invalid } = sanitise(logRatios);
  const count = values.length;
  if (count < 1) throw new RangeError('log ratios: expected at least one draw, got none');
  const need = psisSummarySize(count);
  // The need-th largest value, then every value above it and, among the values equal to it, those with
  // the largest indices (what a stable ascending sort puts last).
  const threshold = values.slice().sort()[count - need] as number;
  const chosen: number[] = [];
  for (let i = 0; i < count; i++) if ((values[i] as number) > threshold) chosen.push(i);
  for (let i = count - 1; i >= 0 && chosen.length < need; i--) {
    if (values[i] === threshold) chosen.push(i);
  }
  chosen.sort((a, b) => (values[a] as number) - (values[b] as number) || a - b);
  const largest = Float64Array.from(chosen, (i) => values[i] as number);
  const max = largest[need - 1] as number;
  const inSummary = new Uint8Array(count);
  for (const i of chosen) inSummary[i] = 1;
  const rest = new Sum();
  const rest2 = new Sum();
  if (max > -Infinity) {
    for (let i = 0; i < count; i++) {
      if (inSummary[i]) continue;
      const e = Math.exp((values[i] as number) - max);
      rest.add(e);
      rest2.add(e * e);
    }
  }
  return {
    count,
    largest,
    indices: Uint32Array.from(chosen),
    restSumExp: rest.value,
    restSumExp2: rest2.value,
    invalidDraws: invalid,
  };
}

/** PSIS of a full vector of log ratios log p(x, z_s) - log q(z_s): loo's psis() with r_eff = 1. */
export function psis(logRatios: Float64Array | Float32Array): PsisResult {
  const { values } = sanitise(logRatios);
  const tail = psisFromTail(summarizeLogRatios(logRatios));
  // Without a finite draw nothing can be normalised: NaN rather than a made-up weight.
  const logWeights =
    tail.status === 'no-finite-draws' ? values.map(() => NaN) : values.map((v) => v - tail.logNormaliser);
  const { tailIndices, tailLogWeights } = tail;
  if (tailIndices) {
    for (let i = 0; i < tailIndices.length; i++) {
      logWeights[tailIndices[i] as number] = tailLogWeights[i] as number;
    }
  }
  return { ...tail, logWeights };
}

/** log-mean-exp of the log ratios: the importance-weighted ELBO of S draws (NaN, +Inf count as weight 0). */
export function importanceWeightedElbo(logRatios: Float64Array | Float32Array): number {
  const { values } = sanitise(logRatios);
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  const sum = new Sum();
  for (const v of values) sum.add(Math.exp(v - max));
  return max + Math.log(sum.value) - Math.log(values.length);
}

/**
 * Effective sample size of importance weights: 1 / sum(w_i^2) for normalised weights; computed as
 * (sum w)^2 / sum w^2, so any positive multiple of them gives the same answer.
 */
export function effectiveSampleSize(weights: Float64Array | Float32Array): number {
  const sum = new Sum();
  const sum2 = new Sum();
  for (const w of weights) {
    sum.add(w);
    sum2.add(w * w);
  }
  return (sum.value * sum.value) / sum2.value;
}

export interface WeightedMoments {
  readonly mean: Float64Array;
  readonly sd: Float64Array;
}

/**
 * PSIS-corrected means and standard deviations of reported values: `values` holds one row per draw,
 * `columns` values wide, `stride` apart (the engine's padded draw layout), `logWeights` one per draw
 * (normalised or not). sd is the weighted population sd, sqrt(sum w (x - mean)^2 / sum w), by two passes.
 */
export function psisCorrectedMoments(
  values: Float64Array | Float32Array,
  columns: number,
  logWeights: Float64Array,
  stride: number = columns,
): WeightedMoments {
  const draws = logWeights.length;
  if (!Number.isInteger(columns) || columns < 1 || stride < columns) {
    throw new RangeError(`columns: expected an integer in [1, stride = ${stride}], got ${columns}`);
  }
  if (values.length < (draws - 1) * stride + columns) {
    throw new RangeError(
      `values: expected ${draws} rows of stride ${stride} for ${draws} log weights, got ${values.length} values`,
    );
  }
  let maxLog = -Infinity;
  for (const lw of logWeights) if (lw > maxLog) maxLog = lw;
  if (!(maxLog > -Infinity) || maxLog === Infinity) {
    throw new RangeError(`logWeights: expected at least one finite weight, the largest is ${maxLog}`);
  }
  const w = logWeights.map((lw) => Math.exp(lw - maxLog));
  const total = new Sum();
  for (const wi of w) total.add(wi);
  const mean = new Float64Array(columns);
  const sd = new Float64Array(columns);
  for (let c = 0; c < columns; c++) {
    const first = new Sum();
    for (let i = 0; i < draws; i++) {
      if (w[i] !== 0) first.add((w[i] as number) * (values[i * stride + c] as number));
    }
    const m = first.value / total.value;
    const second = new Sum();
    for (let i = 0; i < draws; i++) {
      if (w[i] === 0) continue;
      const d = (values[i * stride + c] as number) - m;
      second.add((w[i] as number) * d * d);
    }
    mean[c] = m;
    sd[c] = Math.sqrt(second.value / total.value);
  }
  return { mean, sd };
}
