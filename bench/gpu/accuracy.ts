/**
 * How fast the engine gets close to the posterior on this adapter:
 *   - time to tolerance: the main benchmark's protocol (BENCHMARKS.md, "Wall time to 0.1 sd") at the GPU
 *     bench's size and tolerance: a fresh engine (pipelines already compiled), Adam at lr 0.05, a check every
 *     10 steps (counted) of every reported posterior mean against the reference, until all are within tolSd
 *     reference sds or the cap;
 *   - the product's own path: engine.fit() with the default settings (lr auto, the "optimum" stopping rule),
 *     its wall time and how far its reported means and sds are from the reference.
 * The checks read lambda and compute the reported means under the mean-field q in closed form (or by
 * quadrature), so no Monte Carlo error enters the distance.
 */
import type { GpuContext } from '../../src/gpu/device';
import { getModel } from '../../src/models/registry';
import { ViEngine } from '../../src/vi/engine';
import { MEANFIELD } from '../../src/vi/families/meanfield';
import { convergeLoop, worstSd } from '../protocol';
import { settingsFor } from './measure';
import type { GpuWorkload } from './plan';

const CHECK_EVERY = 10;

/** E[f(m + s e)], e ~ N(0, 1), by the trapezoid rule on [-10, 10] (exponentially accurate for smooth f). */
export function gaussianExpectation(f: (x: number) => number, m: number, s: number, points = 401): number {
  const h = 20 / (points - 1);
  let sum = 0;
  for (let i = 0; i < points; i++) {
    const e = -10 + i * h;
    sum += f(m + s * e) * Math.exp(-0.5 * e * e);
  }
  return (sum * h) / Math.sqrt(2 * Math.PI);
}

const invLogit = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** E[exp(z)] for z ~ N(m, s^2). */
const lognormalMean = (m: number, s: number): number => Math.exp(m + 0.5 * s * s);

/**
 * Means of the reported (constrained) parameters when q is the mean-field Gaussian N(mu, diag(sd^2)) on the
 * unconstrained space, in the model's paramNames order (see each model's WGSL header for its transforms).
 */
export function reportedMeans(
  model: GpuWorkload['model'],
  mu: readonly number[],
  sd: readonly number[],
): number[] {
  const m = (j: number): number => mu[j] as number;
  const s = (j: number): number => sd[j] as number;
  switch (model) {
    case 'normal-mean':
    case 'logistic':
      return [...mu];
    case 'hmm': {
      // theta1 = (inv_logit(z0), inv_logit(-z0)), theta2 likewise from z1, mu = (e^z2, e^z2 + e^z3).
      const t1 = gaussianExpectation(invLogit, m(0), s(0));
      const t2 = gaussianExpectation(invLogit, m(1), s(1));
      const mu1 = lognormalMean(m(2), s(2));
      return [t1, 1 - t1, t2, 1 - t2, mu1, mu1 + lognormalMean(m(3), s(3))];
    }
    case 'eight-schools': {
      // theta_j = mu + tau theta_trans_j with tau = e^z[J+1]: independent factors under the mean-field q.
      const j = mu.length - 2;
      const tau = lognormalMean(m(j + 1), s(j + 1));
      return [...Array.from({ length: j }, (_, k) => m(j) + tau * m(k)), m(j), tau];
    }
  }
}

async function meansOf(engine: ViEngine, workload: GpuWorkload): Promise<number[]> {
  const { mean, sd } = MEANFIELD.marginals(await engine.readLambda(), engine.prepared.dimension);
  return reportedMeans(workload.model, mean, sd);
}

export interface ToleranceResult {
  readonly samples: number;
  readonly tolSd: number;
  readonly reached: boolean;
  readonly seconds: number;
  readonly steps: number;
  /** max_j |mean_j - reference_j| / reference sd_j at the last check. */
  readonly worstSd: number;
}

export async function timeToTolerance(
  ctx: GpuContext,
  workload: GpuWorkload,
  samples: number,
  tolSd: number,
  maxSeconds: number,
): Promise<ToleranceResult> {
  const model = getModel(workload.model);
  // Compile (and run once) first, so the timed engine starts from lambda = 0 with warm pipelines.
  const warm = await ViEngine.create(ctx, model, workload.data, settingsFor(samples));
  await warm.runSteps(1);
  warm.destroy();
  const engine = await ViEngine.create(ctx, model, workload.data, settingsFor(samples));
  try {
    const result = await convergeLoop(
      { reference: workload.reference, tolSd, checkEvery: CHECK_EVERY, maxSeconds },
      (steps) => engine.runSteps(steps),
      () => meansOf(engine, workload),
    );
    return { samples, tolSd, ...result };
  } finally {
    engine.destroy();
  }
}

export interface DefaultFitResult {
  readonly samples: number;
  readonly seconds: number;
  readonly steps: number;
  readonly stopReason: string;
  readonly lr: number | 'auto';
  readonly samplesPerSecond: number;
  readonly worstMeanSd: number;
  /** max_j |log(sd_j / reference sd_j)|: how far q's sds are off, as a log ratio. */
  readonly worstLogSdRatio: number;
}

/** engine.fit() with the defaults (apart from samples, maxSteps and draws), aborted at maxSeconds. */
export async function defaultFit(
  ctx: GpuContext,
  workload: GpuWorkload,
  samples: number,
  maxSteps: number,
  draws: number,
  maxSeconds: number,
): Promise<DefaultFitResult> {
  const model = getModel(workload.model);
  const engine = await ViEngine.create(ctx, model, workload.data, { samples, maxSteps, draws });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), maxSeconds * 1000);
  try {
    const start = performance.now();
    const result = await engine.fit({ signal: abort.signal });
    const seconds = (performance.now() - start) / 1000;
    const ref = workload.reference;
    return {
      samples,
      seconds,
      steps: result.steps,
      stopReason: result.stopReason,
      lr: result.settings.lr,
      samplesPerSecond: result.timing.samplesPerSecond,
      worstMeanSd: worstSd(result.params.mean, ref),
      worstLogSdRatio: ref.sd.reduce(
        (worst, r, j) => Math.max(worst, Math.abs(Math.log((result.params.sd[j] ?? Number.NaN) / r))),
        0,
      ),
    };
  } finally {
    clearTimeout(timer);
    engine.destroy();
  }
}
