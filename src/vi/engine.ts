/**
 * The VI engine: fits q(z; lambda) to a model by stochastic optimisation of a bound (the ELBO) on the GPU.
 *
 * A small façade over the parts that do the work, one job each: program.ts assembles the kernels (model,
 * family, objective, optimizer) with their buffers; stepper.ts schedules steps and reads their metrics
 * back; fit.ts applies the stopping rules; result.ts shapes what a fit returns. Per optimizer step, two
 * passes: elbo_step (one fused Monte Carlo kernel) and elbo_finalize (reduction, the optimizer's update,
 * metrics). Imports neither DOM nor Node APIs: the worker, the CLI and the tests all drive this object.
 */
import type { GpuContext } from '../gpu/device';
import type { StanData } from '../models/data';
import { ModelLimitError, type ModelDefinition, type PreparedModel } from '../models/types';
import { familyNames, findFamily } from './families/registry';
import type { FamilyDescriptor } from './families/types';
import { DiagnosticsProgram, type DiagnoseOptions } from './diagnostics/program';
import type { FitDiagnostics } from './diagnostics/report';
import { runFit, type FitOptions, type RestartOutcome } from './fit';
import {
  bestRestart,
  gatherPooledDraws,
  poolByResampling,
  resampleIndices,
  type PooledResampling,
} from './restarts';
import { runHostFit } from './fit-host';
import { ElboProgram } from './program';
import {
  isConverged,
  stopMessage,
  type DensityDrawSet,
  type DrawSet,
  type FitResult,
  type RestartReport,
} from './result';
import {
  diagnosticDrawsFor,
  fitComponents,
  resolveSettings,
  SettingsError,
  type FitComponents,
  type FitSettings,
} from './settings';
import { StepRunner, type BatchCallback, type PauseControl } from './stepper';
import { summarizeDraws, type ParamSummary } from './summary';
import { chooseModelBatch, CPU_MAX_FUNCTION_BYTES } from './tuning';

export { chooseModelBatch, MAX_STEP_WORKGROUPS } from './tuning';
export type { FitOptions, FitPhase } from './fit';
export type { DensityDrawSet, DrawSet, FitResult, Progress, RestartReport } from './result';
export type { DiagnoseOptions } from './diagnostics/program';
export type { FitDiagnostics } from './diagnostics/report';
export type { PauseControl, StepMetrics } from './stepper';

/** What --family must be for D: the registered families that support it, or that none does yet. */
function familyForDimension(d: number, chosen: FamilyDescriptor): string {
  const fitting = familyNames()
    .filter((name) => (findFamily(name)?.maxDimension ?? 0) >= d)
    .sort();
  const limit = `${chosen.name} supports up to ${chosen.maxDimension}`;
  return fitting.length > 0
    ? `a family that supports D = ${d} (${limit}; use ${fitting.join(' or ')})`
    : `a family that supports D = ${d}, which none does yet (${limit}; the largest is ${Math.max(...familyNames().map((n) => findFamily(n)?.maxDimension ?? 0))})`;
}

/** How the engine runs, not what it computes: a fit's draws and results do not depend on these. */
export interface EngineOptions {
  /**
   * Samples per model call (MODEL_BATCH), 1 .. prepared.maxBatch; default chooseModelBatch's pick. Only the
   * order of the f32 sums depends on it.
   */
  readonly modelBatch?: number;
}

export class ViEngine {
  /** Samples per model call (MODEL_BATCH in elbo_step). */
  readonly modelBatch: number;
  private readonly runner: StepRunner;
  /** The diagnostic passes, built on first use (diagnose, drawsWithDensities, the end of fit). */
  private diagnosticsProgram: Promise<DiagnosticsProgram> | undefined;
  private diagnosticsBytes = 0;
  /**
   * After a fit with pool "resample": every restart's draws and their smoothed log weights, from which
   * drawsWithDensities resamples (held on the host until the next fit or destroy).
   */
  private pool: { sets: DensityDrawSet[]; logWeights: Float64Array } | undefined;

  private constructor(
    private readonly ctx: GpuContext,
    readonly model: ModelDefinition,
    readonly settings: FitSettings,
    readonly prepared: PreparedModel,
    readonly components: FitComponents,
    private readonly program: ElboProgram,
  ) {
    this.modelBatch = program.spec.modelBatch;
    this.runner = new StepRunner(ctx, program);
  }

  /** Validates model data and settings (before any GPU work), then builds the pipelines and buffers. */
  static async create(
    ctx: GpuContext,
    model: ModelDefinition,
    data: StanData,
    partialSettings: Partial<FitSettings> = {},
    options: EngineOptions = {},
  ): Promise<ViEngine> {
    const settings = resolveSettings(partialSettings);
    const registered = fitComponents(settings);
    const prepared = model.prepare(data);
    const d = prepared.dimension;
    if (ctx.adapter.isCpu && (prepared.functionBytes ?? 0) > CPU_MAX_FUNCTION_BYTES) {
      throw new ModelLimitError(
        `not supported on a CPU adapter (${ctx.adapter.name}) with this data: one evaluation of "${model.name}" ` +
          `holds ${prepared.functionBytes} bytes of arrays per thread, more than the ${CPU_MAX_FUNCTION_BYTES} it ` +
          `can compile; a GPU adapter has no such limit`,
      );
    }
    // A family shaped by settings (lowrank's rank) is configured once D is known.
    const configured = registered.family.configure?.(settings, d) ?? registered.family;
    if ('setting' in configured) {
      throw new SettingsError(configured.setting, configured.expected, settings[configured.setting]);
    }
    const components = { ...registered, family: configured };
    const family = configured;
    if (d > family.maxDimension)
      throw new SettingsError('family', familyForDimension(d, family), settings.family);
    const chosen = options.modelBatch ?? chooseModelBatch(ctx.adapter.isCpu, prepared, settings.samples);
    // An objective's groups of K consecutive samples are one thread's: its model batches must tile them.
    const group = components.objective.group ?? 1;
    let modelBatch = chosen;
    if (group > 1) {
      modelBatch = Math.min(chosen, group);
      while (group % modelBatch !== 0) modelBatch -= 1;
    }
    const program = await ElboProgram.create({ ctx, model, prepared, settings, components, modelBatch });
    return new ViEngine(ctx, model, settings, prepared, components, program);
  }

  /**
   * Bytes of GPU memory this engine allocated: independent of the samples per step and of the diagnostic
   * draws (the diagnostic passes' buffers count once they are built).
   */
  get allocatedBytes(): number {
    return this.program.allocatedBytes + this.diagnosticsBytes;
  }

  get steps(): number {
    return this.runner.steps;
  }

  /**
   * Runs up to `count` steps without the stopping rules; calls `onBatch` with each submit's metrics in order
   * and the optimizer's host view (L-BFGS: the bound's gradient at lambda) (returning true stops after the
   * submits in flight).
   */
  runSteps(count: number, onBatch?: BatchCallback, pause?: PauseControl): Promise<void> {
    return this.runner.run(count, onBatch, pause);
  }

  /** Fits until a stopping rule, the step limit or the signal; then summarises q. */
  async fit(options: FitOptions = {}): Promise<FitResult> {
    const { settings } = this;
    const parts = { runner: this.runner, program: this.program, settings, components: this.components };
    const outcome =
      this.components.optimizer.driver === 'host'
        ? await runHostFit(parts, options)
        : await runFit(parts, options);
    const best = bestRestart(
      outcome.restarts.map((r) => ({ final: r.final, diverged: r.stopReason === 'diverged' })),
    );
    // Draws, readLambda and the diagnostics see the pooled answer from here on.
    this.program.reportedRestart = best;
    const chosen = outcome.restarts[best] as RestartOutcome;
    this.pool = undefined;
    // Pooling by resampling takes every restart's summary draws with their log ratios (the same draws
    // the restart reports summarise).
    const sets = settings.pool === 'resample' ? await this.restartDraws(outcome.restarts.length) : undefined;
    const restarts = settings.restarts > 1 ? await this.restartReports(outcome.restarts, sets) : undefined;
    let pooled: PooledResampling | undefined;
    let summary: ParamSummary | undefined;
    if (sets) {
      const pooling = poolByResampling(
        sets.map((set) => set.logRatio),
        settings.draws,
        settings.seed,
      );
      pooled = pooling.report;
      if (pooling.indices) {
        this.pool = { sets, logWeights: pooling.logWeights };
        const meanRow = (sets[best] as DensityDrawSet).meanRow;
        const draws = gatherPooledDraws(sets, pooling.indices, meanRow);
        summary = summarizeDraws(draws.values, draws.count, draws.stride, draws.names);
      }
    }
    // Without a finite log ratio to weigh by, the pooled summary is the best restart's.
    if (!summary) {
      options.onPhase?.({ phase: 'summary', draws: settings.draws });
      summary = await this.summarize();
    }
    const lambda = await this.readLambda();
    const marginals = this.components.family.marginals(lambda, this.prepared.dimension);
    const diagnosticDraws = diagnosticDrawsFor(settings.diagnosticDraws, this.ctx.adapter.isCpu);
    options.onPhase?.({ phase: 'diagnostics', draws: diagnosticDraws });
    const diagnostics = await this.diagnose(diagnosticDraws);
    const { histograms, ...params } = summary;
    const msPerStep = outcome.elapsedMs / Math.max(1, this.steps);
    return {
      model: this.model.name,
      family: settings.family,
      bound: this.components.objective.boundName,
      seed: settings.seed,
      adapter: this.ctx.adapter.name,
      settings,
      steps: this.steps,
      converged: isConverged(chosen.stopReason),
      stopReason: chosen.stopReason,
      // With restarts, the steps the reported restart took (steps below: every step the fit ran).
      message:
        chosen.message ?? stopMessage(chosen.stopReason, settings.restarts > 1 ? chosen.steps : this.steps),
      elbo: { trace: chosen.trace, final: chosen.final },
      params,
      histograms,
      lambda: { ...marginals, raw: Array.from(lambda) },
      accuracy: chosen.accuracy,
      timing: { msPerStep, samplesPerSecond: (settings.samples * 1000) / msPerStep },
      diagnostics,
      ...(restarts ? { restarts, bestRestart: best } : {}),
      ...(restarts || pooled ? { pool: settings.pool } : {}),
      ...(pooled ? { pooled } : {}),
    };
  }

  /** settings.draws draws of each restart's q (the summary stream) with their log densities. */
  private async restartDraws(count: number): Promise<DensityDrawSet[]> {
    const diagnostics = await this.diagnostics();
    const sets: DensityDrawSet[] = [];
    for (let restart = 0; restart < count; restart++) {
      const lambdaOffset = this.program.restartOffset('lambda', restart);
      sets.push(await diagnostics.densityDraws(this.settings.draws, { lambdaOffset }));
    }
    return sets;
  }

  /**
   * Each restart's report: its ELBO, how it stopped, its q's summary (settings.draws draws: `sets[k]` where
   * they were drawn already) and marginals.
   */
  private async restartReports(
    outcomes: readonly RestartOutcome[],
    sets?: readonly DensityDrawSet[],
  ): Promise<RestartReport[]> {
    const reports: RestartReport[] = [];
    for (const [restart, o] of outcomes.entries()) {
      const { values, stride } =
        sets?.[restart] ?? (await this.program.drawReported(this.settings.draws, restart));
      const names = [...this.prepared.paramNames];
      const s = summarizeDraws(values, this.settings.draws, stride, names);
      const lambda = await this.program.readLambda(restart);
      const { mean, sd } = this.components.family.marginals(lambda, this.prepared.dimension);
      reports.push({
        restart,
        elbo: o.final,
        elboMcse: Number.isFinite(o.finalMcse) ? o.finalMcse : null,
        trace: o.trace,
        steps: o.steps,
        converged: isConverged(o.stopReason),
        stopReason: o.stopReason,
        summary: { names, mean: s.mean, sd: s.sd },
        lambda: { mean, sd },
      });
    }
    return reports;
  }

  /**
   * PSIS of `draws` draws from q as it is now (src/vi/diagnostics): k-hat, the IW-ELBO, the weights' ESS and
   * PSIS-corrected summaries. May be called while a fit runs (it sees a snapshot of lambda).
   */
  async diagnose(
    draws: number = diagnosticDrawsFor(this.settings.diagnosticDraws, this.ctx.adapter.isCpu),
    options: DiagnoseOptions = {},
  ): Promise<FitDiagnostics> {
    return (await this.diagnostics()).diagnose(draws, options);
  }

  /**
   * The first `count` draws of draws(count), with their log p, Stan's log_g and q's mean row (Stan CSV).
   * After a fit with pool "resample": `count` draws resampled from the pool instead (the first
   * settings.draws of them are the ones the result's summary holds), q's mean row the reported restart's.
   */
  async drawsWithDensities(count: number): Promise<DensityDrawSet> {
    const { pool } = this;
    if (pool) {
      const indices = resampleIndices(pool.logWeights, count, this.settings.seed);
      const meanRow = (pool.sets[this.program.reportedRestart] as DensityDrawSet).meanRow;
      return gatherPooledDraws(pool.sets, indices, meanRow);
    }
    return (await this.diagnostics()).densityDraws(count);
  }

  private diagnostics(): Promise<DiagnosticsProgram> {
    this.diagnosticsProgram ??= DiagnosticsProgram.create({
      ctx: this.ctx,
      model: this.model,
      prepared: this.prepared,
      family: this.components.family,
      seed: this.settings.seed,
      lambda: this.program.buffers.lambda,
      lambdaOffset: () => this.program.restartOffset('lambda', this.program.reportedRestart),
      modelData: this.program.modelData,
    }).then(
      (program) => {
        this.diagnosticsBytes = program.allocatedBytes;
        return program;
      },
      (error: unknown) => {
        this.diagnosticsProgram = undefined;
        throw error;
      },
    );
    return this.diagnosticsProgram;
  }

  /**
   * lambda as the GPU holds it (see the family's layout): of restart `restart`, by default the reported one
   * (restart 0 until a fit with restarts has ended, then the best).
   */
  readLambda(restart?: number): Promise<Float32Array> {
    return this.program.readLambda(restart);
  }

  /**
   * Replaces lambda (the family's layout, as readLambda gives it), e.g. to evaluate the objective at a chosen
   * point; ordered before the next step. The optimizer's state is left as it is. `restart` as in readLambda.
   */
  writeLambda(lambda: Float32Array, restart?: number): void {
    this.program.writeLambda(lambda, restart);
  }

  /**
   * Draws from q on the GPU, mapped to the reported (constrained) values: `count` rows of `stride` f32 in
   * `values` (the GPU's padded layout), column j < names.length being parameter j.
   */
  async draws(count: number): Promise<DrawSet> {
    const { values, stride } = await this.program.drawReported(count);
    return { names: [...this.prepared.paramNames], count, stride, values };
  }

  /** Draws from q (see draws), summarised on the host: moments, quantiles, histograms. */
  async summarize(count = this.settings.draws): Promise<ParamSummary> {
    const set = await this.draws(count);
    return summarizeDraws(set.values, set.count, set.stride, set.names);
  }

  destroy(): void {
    this.pool = undefined;
    void this.diagnosticsProgram?.then(
      (program) => program.destroy(),
      () => undefined,
    );
    this.program.destroy();
    this.runner.destroy();
  }
}
