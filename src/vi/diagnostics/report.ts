/**
 * The diagnostic a fit reports (FitResult.diagnostics, the result JSON's `diagnostics`), built from the PSIS
 * of S draws' log ratios and their PSIS-weighted moments. Pure: the GPU passes that feed it are in
 * program.ts, so the rules here (what is shifted back, when the corrected summaries are offered) are
 * tested without a GPU.
 */
import { readKhat, type KhatLevel } from './khat-reading';
import type { KhatStatus, PsisTail } from './psis';

/** PSIS-corrected means and sds of the reported (constrained) parameters, in paramNames order. */
export interface CorrectedSummaries {
  readonly mean: number[];
  readonly sd: number[];
  /**
   * True when k-hat <= 0.7 (or the weights are bounded): the corrected summaries may be used, and improve
   * on q's. Above, they are still computed but as unreliable as q's own.
   */
  readonly usable: boolean;
}

export interface FitDiagnostics {
  /** The Pareto shape k-hat of the log ratios' upper tail (Infinity, null in JSON, when not estimated). */
  readonly khat: number;
  /** Why k-hat has its value: "fitted", or why no fit was made (src/vi/diagnostics/psis.ts KhatStatus). */
  readonly status: KhatStatus;
  /** good (< 0.5), ok (0.5 to 0.7), bad (> 0.7) or unknown (not estimated). */
  readonly level: KhatLevel;
  /** One sentence for people, k-hat included (readKhat). */
  readonly reading: string;
  /** S, the draws from q the diagnostic used. */
  readonly draws: number;
  /** Draws whose log ratio was NaN or +Inf (weight 0). */
  readonly invalidDraws: number;
  /** Importance-weighted ELBO: log mean exp of the log ratios, a bound at least as tight as the ELBO. */
  readonly iwElbo: number;
  /** Effective sample size of the Pareto-smoothed weights (out of `draws`). */
  readonly ess: number;
  /** null when the diagnosis was asked for k-hat only (the page's live k-hat). */
  readonly corrected: CorrectedSummaries | null;
  /** Passes over the draws (each regenerates all of them): the tail selection's, plus one for the moments. */
  readonly passes: number;
  /** Wall-clock milliseconds of the diagnosis (every pass, submit to read-back). */
  readonly ms: number;
}

/**
 * The log ratios come from f32 log densities: log p(X, z) and log q(z) carry rounding errors of some ulps of
 * their magnitude (more where a model sums many terms). When the M largest log ratios all lie within this
 * relative resolution (32 f32 ulps) of that magnitude, their differences are rounding, not a tail: the weights
 * are equal to the precision they were computed with (a q that matches the posterior exactly), and a Pareto
 * fit to the rounding would be meaningless (loo reports such ties as a failed fit, k-hat = Inf). They are
 * read as loo reads an exactly constant tail: bounded weights. (Even at |log p| = 10^5 the resolution is
 * 0.4 nats: a tail that short, the largest weight under 1.5 times the cutoff's, is bounded in any sense.)
 */
export const F32_TAIL_RESOLUTION = 2 ** -18;

export interface WeightedMomentsInput {
  readonly mean: ArrayLike<number>;
  readonly sd: ArrayLike<number>;
}

/**
 * The report from PSIS of log ratios that were computed as (log p - centre) - log q: k-hat, the smoothed
 * weights and their ESS do not change when every log ratio moves by the same amount; the IW-ELBO moves
 * with them, so the centre is added back. `magnitude` is the scale of the draws' f32 rounding, e.g.
 * max(1, their typical |log p| or |log q|) (see F32_TAIL_RESOLUTION); 0 applies loo's rule alone.
 */
export function diagnosticsReport(
  tail: PsisTail,
  centre: number,
  moments: WeightedMomentsInput | undefined,
  timing: { readonly passes: number; readonly ms: number },
  magnitude = 0,
): FitDiagnostics {
  const estimated = tail.status === 'fitted' || tail.status === 'fit-failed';
  const flat = estimated && tail.max - tail.cutoff <= F32_TAIL_RESOLUTION * magnitude;
  const khat = flat ? Infinity : tail.khat;
  const status: KhatStatus = flat ? 'constant-tail' : tail.status;
  const reading = readKhat(khat, status, tail.count > 0 ? tail.ess / tail.count : 1);
  const corrected: CorrectedSummaries | null = moments
    ? {
        mean: Array.from(moments.mean),
        sd: Array.from(moments.sd),
        usable: reading.level === 'good' || reading.level === 'ok',
      }
    : null;
  return {
    khat,
    status,
    level: reading.level,
    reading: reading.sentence,
    draws: tail.count,
    invalidDraws: tail.invalidDraws,
    iwElbo: tail.iwElbo + centre,
    ess: tail.ess,
    corrected,
    passes: timing.passes,
    ms: timing.ms,
  };
}
