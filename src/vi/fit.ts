/**
 * The fit loop's policy for an optimizer the GPU runs (Adam): pick the learning rate (--lr auto: a short trial
 * of candidates), feed each finished step to the stopping rule, lower the learning rate when the ELBO levels
 * off (the "optimum" rule), count non-finite steps towards divergence, keep the ELBO trace, report progress,
 * honour Stop. The GPU work is the StepRunner's; the program's buffers are reset, saved and restored here.
 */
import { ConvergenceMonitor, OptimumRule, windowStats, type ElboPoint, type StopReason } from './convergence';
import type { ElboProgram } from './program';
import type { FitAccuracy, Progress } from './result';
import type { FitComponents, FitSettings } from './settings';
import type { BatchCallback, PauseControl, StepMetrics, StepRunner } from './stepper';
import { ADAM_LR_CANDIDATES } from './optimizers/adam';

/** Consecutive non-finite steps after which a run is declared diverged. */
const DIVERGENCE_PATIENCE = 25;
/** "optimum": the learning rate is halved on each plateau, down to this fraction of where it started. */
const MIN_LR_FRACTION = 1 / 1024;

export interface FitOptions extends PauseControl {
  /** After each submit: the latest step with throughput, and every step of the batch (for live charts). */
  readonly onProgress?: (progress: Progress, batch: readonly StepMetrics[]) => void;
  /** Checked between submits: an aborted signal ends the fit with stopReason "stopped". */
  readonly signal?: AbortSignal;
}

export interface FitOutcome {
  readonly stopReason: StopReason;
  readonly trace: [number, number, number][];
  /** The last finite ELBO. */
  readonly final: number;
  readonly elapsedMs: number;
  readonly accuracy: FitAccuracy;
}

export interface FitParts {
  readonly runner: StepRunner;
  readonly program: ElboProgram;
  readonly settings: FitSettings;
  readonly components: FitComponents;
}

/** Wraps a batch callback with throughput for onProgress. */
function progressReporter(settings: FitSettings, options: FitOptions, phase: Progress['phase']) {
  let batchStart = performance.now();
  return (metrics: readonly StepMetrics[]): void => {
    const now = performance.now();
    const msPerStep = (now - batchStart) / metrics.length;
    batchStart = now;
    const last = metrics[metrics.length - 1];
    if (last) {
      options.onProgress?.(
        { ...last, phase, msPerStep, samplesPerSecond: (settings.samples * 1000) / msPerStep },
        metrics,
      );
    }
  };
}

/**
 * --lr auto, as Stan's ADVI adapts eta: from the start, one window of steps at each candidate (largest first); the
 * candidate whose last steps' mean ELBO is best is kept, with its state, and the fit goes on from there.
 * Trying stops at the first candidate worse than a better one before it. Returns the chosen rate and the
 * kept trial's finite steps.
 */
async function chooseLearningRate(
  parts: FitParts,
  options: FitOptions,
): Promise<{ lr: number; points: ElboPoint[] }> {
  const { program, runner, settings } = parts;
  const report = progressReporter(settings, options, 'adapting');
  // One window per trial, so that windows (and Adam's averaging) stay aligned with submits afterwards.
  const trialSteps = Math.min(settings.evalEvery, settings.maxSteps);
  let best: { lr: number; score: number; points: ElboPoint[] } | undefined;
  for (const lr of ADAM_LR_CANDIDATES) {
    if (options.signal?.aborted) break;
    program.reset();
    runner.setSteps(0);
    program.writeSetting('lr', lr);
    const points: ElboPoint[] = [];
    let skipped = false;
    await runner.run(
      trialSteps,
      (metrics) => {
        report(metrics);
        for (const m of metrics) {
          if (m.applied && Number.isFinite(m.elbo)) points.push(m);
          else skipped = true;
        }
        return options.signal?.aborted === true;
      },
      options,
    );
    const tail = points.slice(-10);
    const score = skipped || tail.length === 0 ? Number.NEGATIVE_INFINITY : windowStats(tail).mean;
    if (!best || score > best.score) {
      best = { lr, score, points };
      program.backup();
    } else if (best.score > Number.NEGATIVE_INFINITY) {
      break;
    }
  }
  const chosen = best ?? { lr: ADAM_LR_CANDIDATES[ADAM_LR_CANDIDATES.length - 1] as number, points: [] };
  program.restore();
  runner.setSteps(trialSteps);
  program.writeSetting('lr', chosen.lr);
  return { lr: chosen.lr, points: chosen.points };
}

export async function runFit(parts: FitParts, options: FitOptions): Promise<FitOutcome> {
  const { runner, program, settings, components } = parts;
  const start = performance.now();
  const trace: [number, number, number][] = [];
  const stepSizes: [number, number][] = [];
  let lr: number;
  if (settings.lr === 'auto') {
    const chosen = await chooseLearningRate(parts, options);
    lr = chosen.lr;
    for (const p of chosen.points) trace.push([p.step, p.elbo, p.mcse]);
  } else {
    lr = settings.lr;
  }
  stepSizes.push([0, lr]);
  const minLr = lr * MIN_LR_FRACTION;
  const dimension = program.spec.prepared.dimension;
  const optimum = settings.stop === 'optimum' ? new OptimumRule(settings.tolSd) : undefined;
  const monitor = optimum
    ? undefined
    : new ConvergenceMonitor(settings.tol, settings.evalEvery, [settings.stop as 'stan' | 'mcse']);
  let windowPoints: ElboPoint[] = [];
  let stopReason: StopReason | undefined;
  let optimizerError: number | null = null;
  let consecutiveSkipped = 0;
  let final = trace.length ? (trace[trace.length - 1]?.[1] as number) : Number.NaN;
  const report = progressReporter(settings, options, 'fitting');

  const onBatch: BatchCallback = (metrics, view) => {
    report(metrics);
    for (const m of metrics) {
      if (stopReason) break;
      if (!m.applied) {
        consecutiveSkipped++;
        if (consecutiveSkipped >= DIVERGENCE_PATIENCE) stopReason = 'diverged';
        continue;
      }
      consecutiveSkipped = 0;
      final = m.elbo;
      trace.push([m.step, m.elbo, m.mcse]);
      if (monitor) stopReason = monitor.push(m);
      else windowPoints.push(m);
    }
    const last = metrics[metrics.length - 1];
    // Windows end at submits (program.ring divides evalEvery), where `view` is the window's averaged lambda.
    if (
      optimum &&
      !stopReason &&
      last &&
      (last.step + 1) % settings.evalEvery === 0 &&
      view &&
      windowPoints.length > 0
    ) {
      const marginals = components.family.marginals(view, dimension);
      const decision = optimum.push({ elbo: windowStats(windowPoints), ...marginals });
      windowPoints = [];
      if (Number.isFinite(decision.movement)) optimizerError = decision.movement;
      if (decision.stop) stopReason = 'optimum';
      else if (decision.decay && lr > minLr) {
        lr = Math.max(minLr, lr / 2);
        program.writeSetting('lr', lr);
        // The moments start afresh with it (see shaders/optimizers/adam.wgsl).
        program.writeSetting('restart_step', runner.steps);
        // The next submit is the first to see it (one more may already be on the GPU with the old rate).
        stepSizes.push([runner.steps, lr]);
      }
    }
    if (options.signal?.aborted && !stopReason) stopReason = 'stopped';
    return stopReason !== undefined;
  };
  if (!options.signal?.aborted) await runner.run(settings.maxSteps - runner.steps, onBatch, options);
  program.adoptReportedLambda();
  return {
    stopReason: stopReason ?? (options.signal?.aborted ? 'stopped' : 'max-steps'),
    trace,
    final,
    elapsedMs: performance.now() - start,
    accuracy: {
      rule: settings.stop,
      optimizerError: settings.stop === 'optimum' ? optimizerError : null,
      sampleError: null,
      stepSizes,
    },
  };
}
