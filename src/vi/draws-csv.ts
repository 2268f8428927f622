/**
 * A fit's draws as CmdStan's variational output (the format: src/vi/stan-csv.ts): what `webgpu-vi fit
 * --draws-csv` and the page's "Draws CSV" write, so cmdstanpy, ArviZ's from_cmdstan and R's rstan,
 * posterior and loo read them as they read Stan's ADVI output.
 *
 * How our settings map onto CmdStan's: algorithm = the family (meanfield or fullrank; another family is
 * written as meanfield, with its own name under webgpu_vi), iter = maxSteps, grad_samples = elbo_samples =
 * samples per step (each step's ELBO comes from the same draws as its gradient), eta = Adam's first learning
 * rate (the --lr auto choice; with decays, the later ones are under webgpu_vi; L-BFGS has none: 1),
 * tol_rel_obj = tol, eval_elbo = evalEvery. Rows: q's mean first (the constrained image of T_lambda(0), as
 * Stan writes the constrained image of q's mean), then the draws with log_p__ (the model's log density on the
 * unconstrained space, Jacobian included) and log_g__ (Stan's -0.5 |eps|^2 for a Gaussian family, log q(z)
 * for any other: FamilyDescriptor.stanLogG).
 */
import { findFamily } from './families/registry';
import type { DensityDrawSet, FitResult } from './result';
import { writeStanVariationalCsv } from './stan-csv';

export interface DrawsCsvOptions {
  /** The data file's name, when the data came from one. */
  readonly dataFile?: string;
}

/** The draws (from engine.drawsWithDensities) of a fit in CmdStan's variational CSV format. */
export function fitDrawsCsv(result: FitResult, draws: DensityDrawSet, options: DrawsCsvOptions = {}): string {
  const { settings, diagnostics } = result;
  const logG = findFamily(result.family)?.stanLogG === 'standard-normal' ? 'standard-normal' : 'log-q';
  const stepSizes = result.accuracy.stepSizes;
  const eta = stepSizes[0]?.[1] ?? (typeof settings.lr === 'number' ? settings.lr : 1);
  return writeStanVariationalCsv({
    names: draws.names,
    mean: draws.meanRow.subarray(0, draws.names.length),
    draws: draws.values,
    stride: draws.stride,
    logP: draws.logP,
    logG: draws.logG,
    adapter: result.adapter,
    settings: {
      model: result.model,
      algorithm: result.family === 'fullrank' ? 'fullrank' : 'meanfield',
      iter: settings.maxSteps,
      gradSamples: settings.samples,
      elboSamples: settings.samples,
      eta,
      tolRelObj: settings.tol,
      evalElbo: settings.evalEvery,
      seed: settings.seed,
      ...(options.dataFile !== undefined ? { dataFile: options.dataFile } : {}),
    },
    extra: {
      family: result.family,
      objective: settings.objective,
      estimator: settings.estimator,
      optimizer: settings.optimizer,
      samples_per_step: settings.samples,
      steps: result.steps,
      stop_reason: result.stopReason,
      elbo: result.elbo.final,
      learning_rates: stepSizes.map(([step, lr]) => `${lr} from step ${step}`).join('; '),
      log_g: logG,
      khat: diagnostics.khat,
      khat_level: diagnostics.level,
      iw_elbo: diagnostics.iwElbo,
      diagnostic_draws: diagnostics.draws,
    },
  });
}
