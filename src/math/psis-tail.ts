/**
 * The sizes and the summary that Pareto-smoothed importance sampling needs from S log ratios, as R's loo
 * package (2.5, r_eff = 1) defines them. Pure: both the CPU implementation (src/vi/diagnostics/psis.ts) and
 * the GPU tail passes (src/gpu/tail-select.ts, tail-moments.ts) import it, so neither depends on the other.
 */

/** loo's tail length M for S draws and r_eff = 1: ceiling(min(0.2 S, 3 sqrt(S))). */
export function psisTailLength(count: number): number {
  return Math.ceil(Math.min(0.2 * count, 3 * Math.sqrt(count)));
}

/** How many of the largest log ratios a TailSummary must hold for S draws: min(M + 1, S). */
export function psisSummarySize(count: number): number {
  return Math.min(psisTailLength(count) + 1, count);
}

/**
 * What PSIS needs to know about S log ratios. The GPU tail selection returns exactly this.
 * `largest` holds at least min(M + 1, S) of the largest log ratios (M = psisTailLength(S)), sorted
 * ascending by (value, draw index), which is loo's stable sort order; -Inf is allowed in it (NaN is not:
 * map invalid draws to -Inf first). The sums run over every draw not in `largest`, relative to
 * max = largest[largest.length - 1].
 */
export interface TailSummary {
  /** S: the number of draws, those with weight 0 included. */
  readonly count: number;
  readonly largest: Float64Array;
  /** The draw index of each entry of `largest` (optional: only the weighted moments need them). */
  readonly indices?: Uint32Array;
  /** Sum over the other draws of exp(r - max). */
  readonly restSumExp: number;
  /** Sum over the other draws of exp(2 (r - max)), for the effective sample size. */
  readonly restSumExp2: number;
  /** Draws whose log ratio was NaN or +Inf, counted in `count` with weight 0 (reported, not used). */
  readonly invalidDraws?: number;
}
