/**
 * The fit loop's policy: feed each finished step to the stopping rules, count non-finite steps towards
 * divergence, keep the ELBO trace, report progress, honour Stop. The GPU work is the StepRunner's.
 */
import { ConvergenceMonitor, type StopReason } from './convergence';
import type { Progress } from './result';
import type { FitSettings } from './settings';
import type { PauseControl, StepMetrics, StepRunner } from './stepper';

/** Consecutive non-finite steps after which a run is declared diverged. */
const DIVERGENCE_PATIENCE = 25;

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
}

export async function runFit(
  runner: StepRunner,
  settings: FitSettings,
  options: FitOptions,
): Promise<FitOutcome> {
  const monitor = new ConvergenceMonitor(settings.tol, settings.evalEvery);
  const trace: [number, number, number][] = [];
  let stopReason: StopReason | undefined;
  let consecutiveSkipped = 0;
  let final = Number.NaN;
  const start = performance.now();
  let batchStart = start;
  await runner.run(
    settings.maxSteps - runner.steps,
    (metrics) => {
      const now = performance.now();
      const msPerStep = (now - batchStart) / metrics.length;
      batchStart = now;
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
        stopReason = monitor.push(m);
      }
      const last = metrics[metrics.length - 1];
      if (last) {
        options.onProgress?.(
          { ...last, msPerStep, samplesPerSecond: (settings.samples * 1000) / msPerStep },
          metrics,
        );
      }
      if (options.signal?.aborted && !stopReason) stopReason = 'stopped';
      return stopReason !== undefined;
    },
    options,
  );
  return { stopReason: stopReason ?? 'max-steps', trace, final, elapsedMs: performance.now() - start };
}
