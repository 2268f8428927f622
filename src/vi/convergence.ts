/**
 * Stopping rules, checked every `evalEvery` steps (a window) on the mean ELBO of the window's steps:
 * - Stan ADVI's rule: the relative change |mean_k - mean_{k-1}| / |mean_k| of successive window means; stop
 *   when the mean or the median of the recent relative changes falls below `tol`.
 * - A Monte Carlo standard error rule: with millions of samples per step each ELBO estimate is precise, so
 *   stop when the change between two successive window means is within 2 standard errors of that change —
 *   the optimizer no longer moves the ELBO by more than its own noise. It must hold at MCSE_PATIENCE
 *   successive checks: near the optimum the ELBO is flat, so one quiet window can come while q's scale
 *   parameters are still moving (a full-rank fit stopped that way had sds 6% off).
 */

export type StopReason =
  | 'optimum'
  | 'relative-tolerance-mean'
  | 'relative-tolerance-median'
  | 'mcse'
  | 'max-steps'
  | 'diverged'
  | 'stopped'
  | 'line-search';

/** The rules a fit can stop by (settings.stop): see OptimumRule, and ConvergenceMonitor's two. */
export const STOP_RULES = ['optimum', 'stan', 'mcse'] as const;
export type StopRule = (typeof STOP_RULES)[number];

export interface ElboPoint {
  readonly step: number;
  readonly elbo: number;
  readonly mcse: number;
}

/** How many relative changes Stan keeps in its circular buffer (it uses max(0.1 * max_iter / eval_elbo, 2)). */
const HISTORY = 10;
const MCSE_PATIENCE = 2;

/** A window's mean ELBO and its standard error (the steps' estimates are independent given lambda). */
export function windowStats(points: readonly ElboPoint[]): { mean: number; se: number } {
  const n = points.length;
  const mean = points.reduce((a, p) => a + p.elbo, 0) / n;
  const se = Math.sqrt(points.reduce((a, p) => a + p.mcse * p.mcse, 0)) / n;
  return { mean, se };
}

/** Successive window means differ by no more than 2 standard errors of the difference. */
export function withinNoise(a: { mean: number; se: number }, b: { mean: number; se: number }): boolean {
  return Math.abs(a.mean - b.mean) <= 2 * Math.hypot(a.se, b.se);
}

/** Stan's rule ("stan") and the MCSE rule ("mcse"), on windows of `evalEvery` finite steps. */
export class ConvergenceMonitor {
  private window: ElboPoint[] = [];
  private previous: { mean: number; se: number } | undefined;
  private readonly relativeChanges: number[] = [];
  private quietChecks = 0;

  constructor(
    private readonly tol: number,
    private readonly evalEvery: number,
    private readonly rules: readonly ('stan' | 'mcse')[] = ['stan', 'mcse'],
  ) {}

  /** Feeds one finite step; returns a stop reason when a rule is met at this check. */
  push(point: ElboPoint): StopReason | undefined {
    this.window.push(point);
    if (this.window.length < this.evalEvery) return undefined;
    const { mean, se } = windowStats(this.window);
    this.window = [];
    const before = this.previous;
    this.previous = { mean, se };
    if (!before) return undefined;
    const change = Math.abs(mean - before.mean);
    this.relativeChanges.push(change / Math.abs(mean));
    if (this.relativeChanges.length > HISTORY) this.relativeChanges.shift();
    this.quietChecks = withinNoise({ mean, se }, before) ? this.quietChecks + 1 : 0;
    if (this.rules.includes('mcse') && this.quietChecks >= MCSE_PATIENCE) return 'mcse';
    if (!this.rules.includes('stan')) return undefined;
    const recent = this.relativeChanges;
    const meanChange = recent.reduce((a, b) => a + b, 0) / recent.length;
    const sorted = [...recent].sort((a, b) => a - b);
    const median =
      sorted.length % 2
        ? (sorted[(sorted.length - 1) / 2] as number)
        : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
    if (meanChange < this.tol) return 'relative-tolerance-mean';
    if (median < this.tol) return 'relative-tolerance-median';
    return undefined;
  }
}

/** One window of an Adam fit, as the optimum rule sees it. */
export interface WindowSummary {
  /** The window's mean ELBO and its standard error (windowStats). */
  readonly elbo: { readonly mean: number; readonly se: number };
  /** q's marginal means and sds on the unconstrained space at the window's averaged lambda. */
  readonly mean: readonly number[];
  readonly sd: readonly number[];
}

export interface OptimumDecision {
  /** Stop: q no longer moves by more than tolSd (its marginals, in its own sds) and the ELBO is flat. */
  readonly stop: boolean;
  /** The ELBO has levelled off: lower the step size (decay on plateau). */
  readonly decay: boolean;
  /**
   * How far q moved between this window's averaged lambda and the previous one's: the largest change of a
   * marginal mean in sds, or of a marginal sd relatively. The estimated optimizer error when it stops.
   */
  readonly movement: number;
}

/** The largest change between two sets of marginals: of a mean, in the newer sds; of an sd, relatively (log). */
export function marginalChange(
  a: { readonly mean: readonly number[]; readonly sd: readonly number[] },
  b: { readonly mean: readonly number[]; readonly sd: readonly number[] },
): number {
  let worst = 0;
  a.mean.forEach((m, i) => {
    const sd = b.sd[i] as number;
    worst = Math.max(
      worst,
      Math.abs(m - (b.mean[i] as number)) / sd,
      Math.abs(Math.log((a.sd[i] as number) / sd)),
    );
  });
  return Number.isFinite(worst) ? worst : Number.POSITIVE_INFINITY;
}

/** Quiet windows in a row that "optimum" needs. */
const OPTIMUM_PATIENCE = 2;

/**
 * The default rule ("optimum"): stop only when what a fit reports has stopped moving. Adam keeps lambda
 * moving by about its learning rate every step however precise the gradient, so the ELBO can be flat while
 * q's sds are still 5 % off; instead, every window compares q's marginals at the window's averaged lambda
 * with the previous window's. When the ELBO is flat (withinNoise) the step size is halved (decay on
 * plateau), which shrinks both Adam's jitter and the averaged lambda's noise; once the marginals move by
 * less than tolSd for OPTIMUM_PATIENCE windows in a row, with the ELBO flat, the fit has converged, and that
 * movement is its estimated optimizer error. A slow drift keeps moving the marginals and never stops it.
 */
export class OptimumRule {
  private previous: WindowSummary | undefined;
  private quiet = 0;

  constructor(private readonly tolSd: number) {}

  push(window: WindowSummary): OptimumDecision {
    const before = this.previous;
    this.previous = window;
    if (!before) return { stop: false, decay: false, movement: Number.POSITIVE_INFINITY };
    const flat = withinNoise(window.elbo, before.elbo);
    const movement = marginalChange(window, before);
    this.quiet = flat && movement < this.tolSd ? this.quiet + 1 : 0;
    return { stop: this.quiet >= OPTIMUM_PATIENCE, decay: flat, movement };
  }
}
