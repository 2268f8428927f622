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
/**
 * The sds q starts from, in turn, while the bound at the start is not finite. A log density that grows fast
 * away from z = 0 overflows f32 in some of N(0, I)'s draws where float64 would not (arma11's moving-average
 * recursion compounds |theta| > 1 over its 200 steps), and then every step is skipped. L-BFGS (fit-host.ts)
 * tries them on its fixed draws; Adam on one probe step.
 */
export const START_SCALES = [1, 0.5, 0.25, 0.1, 0.03, 0.01] as const;
/** "optimum": the learning rate is halved on each plateau, down to this fraction of where it started. */
const MIN_LR_FRACTION = 1 / 1024;

export interface FitOptions extends PauseControl {
  /** After each submit: the latest step with throughput, and every step of the batch (for live charts). */
  readonly onProgress?: (progress: Progress, batch: readonly StepMetrics[]) => void;
  /** Checked between submits: an aborted signal ends the fit with stopReason "stopped". */
  readonly signal?: AbortSignal;
  /**
   * When the optimizer has stopped and a pass over many draws of q begins: "summary" (the reported
   * summary's draws) and "diagnostics" (PSIS k-hat and the corrected moments), each with its draws. On a CPU
   * adapter a large model's diagnosis can take a minute, with no step progress meanwhile.
   */
  readonly onPhase?: (phase: FitPhase) => void;
}

export interface FitPhase {
  readonly phase: 'summary' | 'diagnostics';
  readonly draws: number;
}

/** How one restart's fit went (a fit without restarts has one). */
export interface RestartOutcome {
  readonly stopReason: StopReason;
  readonly trace: [number, number, number][];
  /** The last finite ELBO. */
  readonly final: number;
  /** Its Monte Carlo standard error (NaN where the optimizer does not estimate it per step). */
  readonly finalMcse: number;
  /** Steps it took until it stopped (the others may have gone on). */
  readonly steps: number;
  readonly accuracy: FitAccuracy;
  /** Said instead of the stop reason's usual message, where the fit knows more (no usable start). */
  readonly message?: string;
}

export interface FitOutcome {
  /** Every restart's outcome, restart 0 first. */
  readonly restarts: readonly RestartOutcome[];
  readonly elapsedMs: number;
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
 * Trying stops at the first candidate worse than a better one before it. Each restart chooses its own rate
 * (the restarts run every trial together; a restart that has stopped trying ignores the later ones).
 * Returns each restart's chosen rate and the kept trial's finite steps.
 */
async function chooseLearningRate(
  parts: FitParts,
  options: FitOptions,
): Promise<{ lr: number; points: ElboPoint[] }[]> {
  const { program, runner, settings } = parts;
  const restarts = program.restarts;
  const report = progressReporter(settings, options, 'adapting');
  // One window per trial, so that windows (and Adam's averaging) stay aligned with submits afterwards.
  const trialSteps = Math.min(settings.evalEvery, settings.maxSteps);
  const best: ({ lr: number; score: number; points: ElboPoint[] } | undefined)[] = Array.from(
    { length: restarts },
    () => undefined,
  );
  const trying = best.map(() => true);
  for (const lr of ADAM_LR_CANDIDATES) {
    if (options.signal?.aborted) break;
    if (!trying.includes(true)) break;
    program.reset();
    runner.setSteps(0);
    program.writeSetting('lr', lr);
    const points: ElboPoint[][] = best.map(() => []);
    const skipped = best.map(() => false);
    await runner.run(
      trialSteps,
      (metrics, _view, all) => {
        report(metrics);
        all.forEach((batch, r) => {
          for (const m of batch.metrics) {
            if (m.applied && Number.isFinite(m.elbo)) points[r]?.push(m);
            else skipped[r] = true;
          }
        });
        return options.signal?.aborted === true;
      },
      options,
    );
    const improved: number[] = [];
    for (let r = 0; r < restarts; r++) {
      if (!trying[r]) continue;
      const tail = (points[r] as ElboPoint[]).slice(-10);
      const score = skipped[r] || tail.length === 0 ? Number.NEGATIVE_INFINITY : windowStats(tail).mean;
      const before = best[r];
      if (!before || score > before.score) {
        best[r] = { lr, score, points: points[r] as ElboPoint[] };
        improved.push(r);
      } else if (before.score > Number.NEGATIVE_INFINITY) {
        trying[r] = false;
      }
    }
    if (improved.length > 0) program.backup(improved);
  }
  const fallback = ADAM_LR_CANDIDATES[ADAM_LR_CANDIDATES.length - 1] as number;
  const chosen = best.map((b) => b ?? { lr: fallback, points: [] });
  program.restore();
  runner.setSteps(trialSteps);
  chosen.forEach((c, r) => program.writeSetting('lr', c.lr, r));
  return chosen.map((c) => ({ lr: c.lr, points: c.points }));
}

/**
 * One restart's side of the fit loop: its ELBO trace, its stopping rule, its learning rate and its
 * divergence count. A restart that has stopped takes no more steps into account, and with several restarts
 * its learning rate is set to 0, so that its lambda stays where it stopped while the others go on.
 */
class RestartTrack {
  readonly trace: [number, number, number][] = [];
  readonly stepSizes: [number, number][] = [];
  private readonly minLr: number;
  private readonly optimum: OptimumRule | undefined;
  private readonly monitor: ConvergenceMonitor | undefined;
  private windowPoints: ElboPoint[] = [];
  stopReason: StopReason | undefined;
  optimizerError: number | null = null;
  private consecutiveSkipped = 0;
  final: number;
  finalMcse = Number.NaN;
  stoppedAt: number | undefined;

  constructor(
    private readonly parts: FitParts,
    private readonly restart: number,
    private lr: number,
    trial: readonly ElboPoint[],
    private readonly startScale: number,
  ) {
    const { settings } = parts;
    for (const p of trial) this.trace.push([p.step, p.elbo, p.mcse]);
    const last = trial[trial.length - 1];
    this.final = last ? last.elbo : Number.NaN;
    if (last) this.finalMcse = last.mcse;
    this.stepSizes.push([0, lr]);
    this.minLr = lr * MIN_LR_FRACTION;
    this.optimum = settings.stop === 'optimum' ? new OptimumRule(settings.tolSd) : undefined;
    this.monitor = this.optimum
      ? undefined
      : new ConvergenceMonitor(settings.tol, settings.evalEvery, [settings.stop as 'stan' | 'mcse']);
  }

  /** Takes one submit's steps of this restart, with its optimizer's host view as of the last one. */
  take(metrics: readonly StepMetrics[], view: Float32Array | undefined): void {
    if (this.stopReason) return;
    const { settings, program, runner, components } = this.parts;
    /** The step after the one a rule stopped at. */
    let stepsAtStop: number | undefined;
    for (const m of metrics) {
      if (this.stopReason) break;
      stepsAtStop = m.step + 1;
      if (!m.applied) {
        this.consecutiveSkipped++;
        if (this.consecutiveSkipped >= DIVERGENCE_PATIENCE) this.stopReason = 'diverged';
        continue;
      }
      this.consecutiveSkipped = 0;
      this.final = m.elbo;
      this.finalMcse = m.mcse;
      this.trace.push([m.step, m.elbo, m.mcse]);
      if (this.monitor) this.stopReason = this.monitor.push(m);
      else this.windowPoints.push(m);
    }
    const last = metrics[metrics.length - 1];
    // Windows end at submits (program.ring divides evalEvery), where `view` is the window's averaged lambda.
    if (
      this.optimum &&
      !this.stopReason &&
      last &&
      (last.step + 1) % settings.evalEvery === 0 &&
      view &&
      this.windowPoints.length > 0
    ) {
      const marginals = components.family.marginals(view, program.spec.prepared.dimension);
      const decision = this.optimum.push({ elbo: windowStats(this.windowPoints), ...marginals });
      this.windowPoints = [];
      if (Number.isFinite(decision.movement)) this.optimizerError = decision.movement;
      if (decision.stop) this.stopReason = 'optimum';
      else if (decision.decay && this.lr > this.minLr) {
        this.lr = Math.max(this.minLr, this.lr / 2);
        program.writeSetting('lr', this.lr, this.restart);
        // The moments start afresh with it (see shaders/optimizers/adam.wgsl).
        program.writeSetting('restart_step', runner.steps, this.restart);
        // The next submit is the first to see it (one more may already be on the GPU with the old rate).
        this.stepSizes.push([runner.steps, this.lr]);
      }
    }
    if (this.stopReason && stepsAtStop !== undefined) this.stop(stepsAtStop);
  }

  /** Ends this restart at `steps` (its later steps are not its fit's). */
  stop(steps: number): void {
    this.stoppedAt = steps;
    // Alone, the fit stops with it; among restarts, it must stay put while the others go on.
    if (this.parts.program.restarts > 1) this.parts.program.writeSetting('lr', 0, this.restart);
  }

  outcome(aborted: boolean, steps: number): RestartOutcome {
    const { settings } = this.parts;
    return {
      stopReason: this.stopReason ?? (aborted ? 'stopped' : 'max-steps'),
      trace: this.trace,
      final: this.final,
      finalMcse: this.finalMcse,
      steps: this.stoppedAt ?? steps,
      accuracy: {
        rule: settings.stop,
        optimizerError: settings.stop === 'optimum' ? this.optimizerError : null,
        sampleError: null,
        stepSizes: this.stepSizes,
        startScale: this.startScale,
      },
    };
  }
}

/**
 * Adam's start: one probe step from lambda as it is (the family's start, or what engine.writeLambda put there);
 * when no restart's step is finite, one from each narrower START_SCALES in turn until one is. Then back to
 * where the fit starts: the state before the probe when it was finite (the fit is the one it was without the
 * probe), else step 0 at the scale found. Either way the fit is reproducible from its seed.
 */
async function chooseStartScale(parts: FitParts, options: FitOptions): Promise<number> {
  const { program, runner } = parts;
  const steps = runner.steps;
  program.backup();
  let chosen: number = START_SCALES[0];
  for (const scale of START_SCALES) {
    if (options.signal?.aborted) break;
    chosen = scale;
    if (scale !== START_SCALES[0]) {
      program.startScale = scale;
      program.reset();
    }
    runner.setSteps(scale === START_SCALES[0] ? steps : 0);
    let finite = true;
    // No pause control: the probe is not one of the fit's steps (a pause asked now holds at its first).
    await runner.run(1, (_metrics, _view, all) => {
      finite = all.some((batch) => batch.metrics.every((m) => m.applied && Number.isFinite(m.elbo)));
    });
    if (finite) break;
  }
  if (chosen === START_SCALES[0]) {
    program.restore();
    runner.setSteps(steps);
  } else {
    program.reset();
    runner.setSteps(0);
  }
  return chosen;
}

export async function runFit(parts: FitParts, options: FitOptions): Promise<FitOutcome> {
  const { runner, program, settings } = parts;
  const start = performance.now();
  const restarts = program.restarts;
  const startScale = await chooseStartScale(parts, options);
  const starts =
    settings.lr === 'auto'
      ? await chooseLearningRate(parts, options)
      : Array.from({ length: restarts }, () => ({ lr: settings.lr as number, points: [] }));
  const tracks = starts.map((s, r) => new RestartTrack(parts, r, s.lr, s.points, startScale));
  const report = progressReporter(settings, options, 'fitting');

  const onBatch: BatchCallback = (metrics, _view, all) => {
    report(metrics);
    all.forEach((batch, r) => tracks[r]?.take(batch.metrics, batch.view));
    if (options.signal?.aborted) {
      for (const t of tracks) if (!t.stopReason) t.stopReason = 'stopped';
    }
    return tracks.every((t) => t.stopReason !== undefined);
  };
  if (!options.signal?.aborted) await runner.run(settings.maxSteps - runner.steps, onBatch, options);
  program.adoptReportedLambda();
  const aborted = options.signal?.aborted === true;
  return {
    restarts: tracks.map((t) => t.outcome(aborted, runner.steps)),
    elapsedMs: performance.now() - start,
  };
}
