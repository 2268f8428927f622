/** What a fit returns (the result JSON's schema: README documents it) and the draws it offers. */
import type { StopReason } from './convergence';
import type { FitDiagnostics } from './diagnostics/report';
import type { PooledResampling, PoolMethod } from './restarts';
import type { FitSettings } from './settings';
import type { StepMetrics } from './stepper';
import type { Histogram, ParamSummary } from './summary';

export interface Progress extends StepMetrics {
  /** "adapting": a trial of --lr auto (its steps are not the fit's); "fitting": the fit itself. */
  readonly phase: 'adapting' | 'fitting';
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
}

export interface FitResult {
  readonly model: string;
  readonly family: FitSettings['family'];
  /** What elbo.trace and elbo.final are: "ELBO", "IW bound (K = 8)", "Renyi bound (alpha = 0.5, K = 8)". */
  readonly bound: string;
  readonly seed: number;
  readonly adapter: string;
  readonly settings: FitSettings;
  readonly steps: number;
  readonly converged: boolean;
  readonly stopReason: StopReason;
  readonly message: string;
  readonly elbo: { readonly trace: [number, number, number][]; readonly final: number };
  readonly params: Omit<ParamSummary, 'histograms'>;
  readonly histograms: Histogram[];
  readonly lambda: { readonly mean: number[]; readonly sd: number[]; readonly raw: number[] };
  readonly accuracy: FitAccuracy;
  readonly timing: { readonly msPerStep: number; readonly samplesPerSecond: number };
  /** PSIS of settings.diagnosticDraws draws from the final q: k-hat, IW-ELBO, ESS, corrected summaries. */
  readonly diagnostics: FitDiagnostics;
  /**
   * With settings.restarts > 1: every restart's fit, restart 0 first. The rest of the result (elbo, params,
   * lambda, diagnostics, steps' stopReason and accuracy) is the pooled answer: restart bestRestart's.
   */
  readonly restarts?: RestartReport[];
  /** With settings.restarts > 1: the restart the result reports (the best final ELBO; restarts.ts). */
  readonly bestRestart?: number;
  /**
   * With settings.restarts > 1 or settings.pool "resample": how params and histograms (and the engine's
   * drawsWithDensities) pool the restarts: "best", restart bestRestart's q alone; "resample", importance
   * resampling over every restart's draws (pooled). elbo, lambda and diagnostics stay bestRestart's.
   */
  readonly pool?: PoolMethod;
  /** With settings.pool "resample": the pooled k-hat, ESS, each restart's weight (restarts.ts). */
  readonly pooled?: PooledResampling;
}

/** One restart of a fit with settings.restarts > 1. */
export interface RestartReport {
  readonly restart: number;
  /** Its last finite ELBO (the bound: see FitResult.bound) and that estimate's Monte Carlo standard error. */
  readonly elbo: number;
  readonly elboMcse: number | null;
  /** Its ELBO trace, [step, elbo, mcse] per finite step until it stopped (as FitResult.elbo.trace). */
  readonly trace: [number, number, number][];
  /** Steps it took until it stopped (the fit goes on until every restart has stopped). */
  readonly steps: number;
  readonly converged: boolean;
  readonly stopReason: StopReason;
  /** Its q's summary from settings.draws draws: per parameter (constrained) mean and sd. */
  readonly summary: { readonly names: string[]; readonly mean: number[]; readonly sd: number[] };
  /** Its q's marginals on the unconstrained space, from lambda. */
  readonly lambda: { readonly mean: number[]; readonly sd: number[] };
}

/** How close to q's optimum the fit got, as far as it can tell. */
export interface FitAccuracy {
  /** The stopping rule that was in force. */
  readonly rule: FitSettings['stop'] | 'lbfgs';
  /**
   * The estimated optimizer error: how far q's marginals (means in sds, sds relatively) were still moving when
   * it stopped (Adam: between the last two windows' averaged lambda; L-BFGS: its last quasi-Newton step).
   * null when the rule does not estimate it.
   */
  readonly optimizerError: number | null;
  /**
   * L-BFGS on fixed samples: the estimated error those samples leave in q's marginals (a refit from the optimum
   * with a second seed: their difference over sqrt 2). null otherwise.
   */
  readonly sampleError: number | null;
  /** Adam: the learning rate in force from each step on (the --lr auto choice, then each decay). */
  readonly stepSizes: [number, number][];
  /**
   * The marginal sds q started from (on the unconstrained space, centred at 0): 1, or with L-BFGS the first of
   * START_SCALES (src/vi/fit-host.ts) at which the bound was finite.
   */
  readonly startScale: number;
}

/** Draws of q's reported values: row i, parameter j is values[i * stride + j]. */
export interface DrawSet {
  readonly names: string[];
  readonly count: number;
  readonly stride: number;
  readonly values: Float32Array;
}

/**
 * Draws with the log densities Stan's variational CSV carries (src/vi/diagnostics/program.ts densityDraws),
 * one value per draw in each array.
 */
export interface DensityDrawSet extends DrawSet {
  /** log p(X, z) on the unconstrained space, Jacobian included (Stan's log_p__). */
  readonly logP: Float32Array;
  /** Stan's log_g__: -0.5 |eps|^2 for a Gaussian family, else log q(z) (FamilyDescriptor.stanLogG). */
  readonly logG: Float32Array;
  /** log q(z), constants included. */
  readonly logQ: Float32Array;
  /** (logP - centre) - logQ as the GPU computes it (the diagnostic's tail values, centre 0 by default). */
  readonly logRatio: Float32Array;
  /** The reported values at z = T_lambda(0), stride wide: q's mean for a Gaussian family (Stan's mean row). */
  readonly meanRow: Float32Array;
}

export function stopMessage(reason: StopReason, steps: number): string {
  switch (reason) {
    case 'optimum':
      return `converged after ${steps} steps: q's marginals stopped moving (by less than tolSd) and the ELBO is flat`;
    case 'line-search':
      return `stopped after ${steps} evaluations: the line search found no better point (the objective is flat to f32 precision)`;
    case 'relative-tolerance-mean':
      return `converged after ${steps} steps: mean relative ELBO change below tol`;
    case 'relative-tolerance-median':
      return `converged after ${steps} steps: median relative ELBO change below tol`;
    case 'mcse':
      return `converged after ${steps} steps: ELBO change within its Monte Carlo standard error`;
    case 'max-steps':
      return `stopped at the step limit (${steps} steps) before convergence`;
    case 'diverged':
      return `diverged after ${steps} steps: the ELBO or its gradient stopped being finite; lambda is the last finite one`;
    case 'stopped':
      return `stopped by the user after ${steps} steps`;
  }
}

/** A fit that found no usable start: every start scale's draws mostly had a non-finite log density. */
export function noUsableStartMessage(scales: readonly number[]): string {
  return (
    `diverged before its first step: none of ${scales.length} starting q's (sd ${scales.join(', ')}) ` +
    `gave a usable ELBO, more than half of their draws having a non-finite log density or gradient; check that ` +
    `each parameter's declared bounds cover where the model's density is finite (a uniform(a, b) prior needs ` +
    `<lower=a, upper=b>)`
  );
}

export function isConverged(reason: StopReason): boolean {
  return reason !== 'max-steps' && reason !== 'diverged' && reason !== 'stopped' && reason !== 'line-search';
}
