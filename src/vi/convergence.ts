/**
 * Stopping rules, checked every `evalEvery` steps on the mean ELBO of the last window of steps:
 * - Stan ADVI's rule: the relative change |mean_k - mean_{k-1}| / |mean_k| of successive window means; stop
 *   when the mean or the median of the recent relative changes falls below `tol`.
 * - A Monte Carlo standard error rule: with millions of samples per step each ELBO estimate is precise, so
 *   stop when the change between two successive window means is within 2 standard errors of that change —
 *   the optimizer no longer moves the ELBO by more than its own noise. It must hold at MCSE_PATIENCE
 *   successive checks: near the optimum the ELBO is flat, so one quiet window can come while q's scale
 *   parameters are still moving (a full-rank fit stopped that way had sds 6% off).
 */

export type StopReason =
  'relative-tolerance-mean' | 'relative-tolerance-median' | 'mcse' | 'max-steps' | 'diverged' | 'stopped';

export interface ElboPoint {
  readonly step: number;
  readonly elbo: number;
  readonly mcse: number;
}

/** How many relative changes Stan keeps in its circular buffer (it uses max(0.1 * max_iter / eval_elbo, 2)). */
const HISTORY = 10;
const MCSE_PATIENCE = 2;

export class ConvergenceMonitor {
  private window: ElboPoint[] = [];
  private previous: { mean: number; se: number } | undefined;
  private readonly relativeChanges: number[] = [];
  private quietChecks = 0;

  constructor(
    private readonly tol: number,
    private readonly evalEvery: number,
  ) {}

  /** Feeds one finite step; returns a stop reason when a rule is met at this check. */
  push(point: ElboPoint): StopReason | undefined {
    this.window.push(point);
    if (this.window.length < this.evalEvery) return undefined;
    const n = this.window.length;
    const mean = this.window.reduce((a, p) => a + p.elbo, 0) / n;
    // The steps' estimates are independent given lambda: the window mean's SE from their MCSEs.
    const se = Math.sqrt(this.window.reduce((a, p) => a + p.mcse * p.mcse, 0)) / n;
    this.window = [];
    const before = this.previous;
    this.previous = { mean, se };
    if (!before) return undefined;
    const change = Math.abs(mean - before.mean);
    this.relativeChanges.push(change / Math.abs(mean));
    if (this.relativeChanges.length > HISTORY) this.relativeChanges.shift();
    this.quietChecks = change <= 2 * Math.hypot(se, before.se) ? this.quietChecks + 1 : 0;
    if (this.quietChecks >= MCSE_PATIENCE) return 'mcse';
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
