/**
 * The VI engine: fits q(z; lambda) to a model by stochastic ELBO ascent on the GPU.
 *
 * Per optimizer step, two passes: elbo_step (one fused Monte Carlo kernel: RNG -> family -> model ->
 * per-thread sums -> workgroup partials) and elbo_finalize (fixed-order reduction, Adam on lambda in place,
 * metrics into a ring). The step counter lives on the GPU, so many steps are encoded per submit; the
 * metrics ring is copied to a pooled staging buffer after each submit and read while the next submit runs.
 * Imports neither DOM nor Node APIs: the worker, the CLI and the tests all drive this object.
 */
import {
  BufferUsage,
  createBuffer,
  gridStrideWorkgroups,
  readBuffer,
  STORAGE,
  UNIFORM,
} from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { WebGpuError } from '../gpu/errors';
import { bindBuffers, computePipeline } from '../gpu/pipelines';
import { composeProgram, reducePathFor } from '../gpu/shader-library';
import type { StanData } from '../models/data';
import { modelDataBindings, modelProgramParts, uploadModelData, type ModelGpuData } from '../models/gpu-data';
import { vec4Count, type ModelDefinition, type PreparedModel } from '../models/types';
import { ConvergenceMonitor, type StopReason } from './convergence';
import { familyLayout, type FamilyLayout } from './families';
import { resolveSettings, SettingsError, type FitSettings } from './settings';
import { summarizeDraws, type Histogram, type ParamSummary } from './summary';

const STEP_WORKGROUP_SIZE = 64;
/**
 * elbo_finalize runs as one workgroup. On a GPU, 256 threads share the partials. On a CPU adapter its
 * barriers cost more than its loads save: SwiftShader (2 cores) takes 6.6 ms per step for logistic at
 * 2^6 samples with 256 threads and 2.2 ms with 64, and the same 4.5 ms comes off every step.
 */
const GPU_FINALIZE_WORKGROUP_SIZE = 256;
const CPU_FINALIZE_WORKGROUP_SIZE = 64;
/** Upper bound on elbo_step's workgroups: enough threads for any GPU; each thread then loops over samples. */
export const MAX_STEP_WORKGROUPS = 4096;
/**
 * Samples per model call on a CPU adapter, for a model with a batch entry point: each data load then serves
 * this many samples. logistic-N1000-D10 on SwiftShader (2 cores), samples/s by batch 1 / 4 / 8 / 16:
 * at 2^16 2.7e4 / - / 6.5e4 / 8.5e4; at 2^12 3.8e4 / 5.8e4 / 6.3e4 / 7.5e4; at 2^10 3.1e4 / 4.5e4 / 5.2e4 /
 * 6.5e4 (16 there is one workgroup, and still the fastest: more workgroups on the second core gained
 * nothing). 32 was within the noise of 16 but 1-2 s longer to compile. Below 64 * 16 samples the batch is
 * what one workgroup needs to cover them (samples / 64, rounded up), because a thread computes all of its
 * batch even when the samples run out: logistic at 2^8 took 5.7 ms per step at batch 4 and 15.3 ms at 16.
 * A GPU gets 1: its loads are cheap, and it needs every sample on its own thread to fill the machine.
 */
const CPU_MODEL_BATCH = 16;
/** Consecutive non-finite steps after which a run is declared diverged. */
const DIVERGENCE_PATIENCE = 25;
const STAGING_POOL = 3;

/** MODEL_BATCH for a fit (see CPU_MODEL_BATCH). */
export function chooseModelBatch(isCpu: boolean, prepared: PreparedModel, samples: number): number {
  if (!isCpu || !prepared.maxBatch) return 1;
  const coversInOneWorkgroup = Math.ceil(samples / STEP_WORKGROUP_SIZE);
  return Math.max(1, Math.min(CPU_MODEL_BATCH, prepared.maxBatch, coversInOneWorkgroup));
}

/** Workgroups for a grid-stride pass over `samples` items, `modelBatch` per thread slot (elbo_step; draw_reported with 1), up to MAX_STEP_WORKGROUPS. */
function stepWorkgroups(samples: number, modelBatch: number): number {
  return gridStrideWorkgroups(samples, STEP_WORKGROUP_SIZE * modelBatch, MAX_STEP_WORKGROUPS);
}

export interface StepMetrics {
  readonly step: number;
  readonly elbo: number;
  readonly mcse: number;
  readonly gradNorm: number;
  /** Steps skipped so far because the ELBO or gradient was not finite. */
  readonly skipped: number;
  readonly applied: boolean;
}

export interface Progress extends StepMetrics {
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
}

export interface FitResult {
  readonly model: string;
  readonly family: FitSettings['family'];
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
  readonly timing: { readonly msPerStep: number; readonly samplesPerSecond: number };
}

/** Draws of q's reported values: row i, parameter j is values[i * stride + j]. */
export interface DrawSet {
  readonly names: string[];
  readonly count: number;
  readonly stride: number;
  readonly values: Float32Array;
}

export interface FitOptions {
  /** After each submit: the latest step with throughput, and every step of the batch (for live charts). */
  readonly onProgress?: (progress: Progress, batch: readonly StepMetrics[]) => void;
  /**
   * Awaited between submits: return a promise that settles on resume to pause the fit (the page's Pause);
   * nothing is lost, the GPU simply gets no new work meanwhile.
   */
  readonly waitWhilePaused?: () => Promise<void> | undefined;
  /**
   * Called when a pause has taken effect: waitWhilePaused returned a promise and every submit that was in
   * flight has been reported through onProgress. `stepsTaken` is the engine's step count at that point.
   */
  readonly onPaused?: (stepsTaken: number) => void;
  /** Checked between submits: an aborted signal ends the fit with stopReason "stopped". */
  readonly signal?: AbortSignal;
}

/** The pause half of FitOptions, as runSteps takes it. */
export type PauseControl = Pick<FitOptions, 'waitWhilePaused' | 'onPaused'>;

/** How the engine runs, not what it computes: a fit's draws and results do not depend on these. */
export interface EngineOptions {
  /**
   * Samples per model call (MODEL_BATCH), 1 .. prepared.maxBatch; default chooseModelBatch's pick. Only the
   * order of the f32 sums depends on it.
   */
  readonly modelBatch?: number;
}

export class ViEngine {
  readonly settings: FitSettings;
  readonly prepared: PreparedModel;
  /** Bytes of GPU memory this engine allocated: independent of the samples per step. */
  readonly allocatedBytes: number;
  private stepsTaken = 0;
  private readonly family: FamilyLayout;
  private readonly ring: number;
  private readonly stagingPool: GPUBuffer[] = [];
  private readonly stepWorkgroups: number;
  /** Samples per model call (MODEL_BATCH in elbo_step). */
  readonly modelBatch: number;

  private constructor(
    private readonly ctx: GpuContext,
    readonly model: ModelDefinition,
    settings: FitSettings,
    prepared: PreparedModel,
    private readonly gpu: {
      modelBatch: number;
      stepPipeline: GPUComputePipeline;
      finalizePipeline: GPUComputePipeline;
      drawPipeline: GPUComputePipeline;
      modelData: ModelGpuData;
      settings: GPUBuffer;
      lambda: GPUBuffer;
      state: GPUBuffer;
      partials: GPUBuffer;
      adam: GPUBuffer;
      metrics: GPUBuffer;
    },
  ) {
    this.settings = settings;
    this.prepared = prepared;
    this.family = familyLayout(settings.family);
    this.ring = settings.stepsPerSubmit;
    this.modelBatch = gpu.modelBatch;
    this.stepWorkgroups = stepWorkgroups(settings.samples, gpu.modelBatch);
    this.allocatedBytes = [gpu.settings, gpu.lambda, gpu.state, gpu.partials, gpu.adam, gpu.metrics]
      .concat(gpu.modelData.buffers)
      .reduce((a, b) => a + b.size, 0);
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
    const prepared = model.prepare(data);
    const family = familyLayout(settings.family);
    const d = prepared.dimension;
    if (d > family.maxDimension) {
      throw new SettingsError(
        'family',
        `a family that supports D = ${d} (${family.name} supports up to ${family.maxDimension}; use meanfield)`,
        settings.family,
      );
    }
    const { device } = ctx;
    const modelBatch = options.modelBatch ?? chooseModelBatch(ctx.adapter.isCpu, prepared, settings.samples);
    const parts = modelProgramParts(model.wgsl, prepared, modelBatch);
    const common = {
      ...parts.constants,
      REDUCE_V4: 1,
      FAMILY_STL: settings.estimator === 'stl',
    };
    const reducePath = reducePathFor(ctx.features);
    const aliases = { family: family.module, ...parts.aliases };
    const stepProgram = composeProgram({
      modules: ['kernels/elbo_step'],
      extraSources: parts.extraSources,
      aliases,
      reducePath,
      constants: { WG_SIZE: STEP_WORKGROUP_SIZE, ...common },
    });
    const finalizeProgram = composeProgram({
      modules: ['kernels/elbo_finalize'],
      aliases,
      reducePath,
      constants: {
        WG_SIZE: ctx.adapter.isCpu ? CPU_FINALIZE_WORKGROUP_SIZE : GPU_FINALIZE_WORKGROUP_SIZE,
        D: d,
        DV: vec4Count(d),
        REDUCE_V4: 1,
        FAMILY_STL: common.FAMILY_STL,
      },
    });
    const drawProgram = composeProgram({
      modules: ['kernels/draw_reported'],
      extraSources: parts.extraSources,
      aliases,
      constants: { WG_SIZE: STEP_WORKGROUP_SIZE, ...common },
    });
    const [stepPipeline, finalizePipeline, drawPipeline] = await Promise.all([
      computePipeline(device, stepProgram, 'elbo_step', `${model.name} ${family.name} elbo_step`, [
        ['uniform', 'read', 'read', 'read_write'],
        modelDataBindings(prepared),
      ]),
      computePipeline(device, finalizeProgram, 'elbo_finalize', `${family.name} elbo_finalize`, [
        ['uniform', 'read_write', 'read_write', 'read', 'read_write', 'read_write'],
      ]),
      computePipeline(device, drawProgram, 'draw_reported', `${model.name} ${family.name} draws`, [
        ['uniform', 'read', 'read_write'],
        modelDataBindings(prepared),
      ]),
    ]);

    const blocks = family.blocks(d);
    const accBlocks = 1 + blocks;
    const workgroups = stepWorkgroups(settings.samples, modelBatch);
    const seedWords = philoxKey(settings.seed);
    const settingsBytes = new ArrayBuffer(48);
    new Uint32Array(settingsBytes, 0, 4).set([settings.samples, workgroups, ...seedWords]);
    new Float32Array(settingsBytes, 16, 5).set([
      settings.lr,
      settings.beta1,
      settings.beta2,
      settings.epsilon,
      settings.clip,
    ]);
    new Uint32Array(settingsBytes, 36, 1).set([settings.stepsPerSubmit]);

    const gpu = {
      modelBatch,
      stepPipeline,
      finalizePipeline,
      drawPipeline,
      modelData: uploadModelData(device, prepared),
      settings: createBuffer(device, { label: 'vi settings', usage: UNIFORM, data: settingsBytes }),
      lambda: createBuffer(device, { label: 'vi lambda', usage: STORAGE, data: family.initial(d) }),
      state: createBuffer(device, { label: 'vi state', usage: STORAGE, size: 16 }),
      // Sized for the most workgroups whatever the sample count, so memory does not depend on it.
      partials: createBuffer(device, {
        label: 'vi partials',
        usage: STORAGE,
        size: MAX_STEP_WORKGROUPS * accBlocks * 32,
      }),
      adam: createBuffer(device, { label: 'vi adam moments', usage: STORAGE, size: 2 * blocks * 16 }),
      metrics: createBuffer(device, {
        label: 'vi metrics ring',
        usage: STORAGE,
        size: settings.stepsPerSubmit * 32,
      }),
    };
    return new ViEngine(ctx, model, settings, prepared, gpu);
  }

  get steps(): number {
    return this.stepsTaken;
  }

  private stagingBuffer(): GPUBuffer {
    return (
      this.stagingPool.pop() ??
      this.ctx.device.createBuffer({
        label: 'vi metrics staging',
        size: this.ring * 32,
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      })
    );
  }

  /** Encodes `count` (<= stepsPerSubmit) steps and a copy of the metrics ring; submits; resolves with their metrics. */
  private submitSteps(count: number): Promise<StepMetrics[]> {
    const { device } = this.ctx;
    const { gpu } = this;
    const encoder = device.createCommandEncoder({ label: `vi ${count} steps` });
    const stepGroup = bindBuffers(device, gpu.stepPipeline, 'elbo_step', [
      gpu.settings,
      gpu.lambda,
      gpu.state,
      gpu.partials,
    ]);
    const finalizeGroup = bindBuffers(device, gpu.finalizePipeline, 'elbo_finalize', [
      gpu.settings,
      gpu.lambda,
      gpu.state,
      gpu.partials,
      gpu.adam,
      gpu.metrics,
    ]);
    const modelGroup = gpu.modelData.bindGroup(gpu.stepPipeline);
    for (let i = 0; i < count; i++) {
      const pass = encoder.beginComputePass({ label: 'elbo step' });
      pass.setPipeline(gpu.stepPipeline);
      pass.setBindGroup(0, stepGroup);
      pass.setBindGroup(1, modelGroup);
      pass.dispatchWorkgroups(this.stepWorkgroups);
      pass.end();
      const finalize = encoder.beginComputePass({ label: 'elbo finalize' });
      finalize.setPipeline(gpu.finalizePipeline);
      finalize.setBindGroup(0, finalizeGroup);
      finalize.dispatchWorkgroups(1);
      finalize.end();
    }
    const staging = this.stagingBuffer();
    encoder.copyBufferToBuffer(gpu.metrics, 0, staging, 0, this.ring * 32);
    device.queue.submit([encoder.finish()]);
    const first = this.stepsTaken;
    this.stepsTaken += count;
    return staging.mapAsync(0x0001).then(() => {
      const gpuError = this.ctx.uncapturedError();
      if (gpuError) throw new WebGpuError(`the GPU rejected the fit's work: ${gpuError.message}`);
      const values = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      if (this.stagingPool.length < STAGING_POOL) this.stagingPool.push(staging);
      else staging.destroy();
      const out: StepMetrics[] = [];
      for (let step = first; step < first + count; step++) {
        const o = (step % this.ring) * 8;
        out.push({
          step,
          elbo: values[o + 1] as number,
          mcse: values[o + 2] as number,
          gradNorm: values[o + 3] as number,
          skipped: values[o + 4] as number,
          applied: values[o + 5] === 1,
        });
      }
      return out;
    });
  }

  /**
   * Runs up to `count` steps, keeping two submits in flight; calls `onBatch` with each batch's metrics in
   * order (returning true stops the run after the submits in flight). `pause.waitWhilePaused`, when given,
   * is asked before each new submit (see FitOptions).
   */
  async runSteps(
    count: number,
    onBatch?: (metrics: StepMetrics[]) => boolean | void,
    pause?: PauseControl,
  ): Promise<void> {
    const inFlight: Promise<StepMetrics[]>[] = [];
    try {
      await this.stepLoop(inFlight, count, onBatch, pause);
    } catch (error) {
      // Let every submit still in flight settle, so none rejects later with nobody listening (e.g. when
      // destroy() unmaps its staging buffer after a device loss).
      await Promise.allSettled(inFlight);
      throw error;
    }
  }

  private async stepLoop(
    inFlight: Promise<StepMetrics[]>[],
    count: number,
    onBatch?: (metrics: StepMetrics[]) => boolean | void,
    pause?: PauseControl,
  ): Promise<void> {
    let remaining = count;
    let stop = false;
    while ((remaining > 0 && !stop) || inFlight.length > 0) {
      while (remaining > 0 && !stop && inFlight.length < 2) {
        const paused = pause?.waitWhilePaused?.();
        if (paused) {
          // Drain what is in flight first, so the caller sees every finished step before it waits.
          while (inFlight.length > 0 && !stop) {
            const metrics = await (inFlight.shift() as Promise<StepMetrics[]>);
            if (onBatch?.(metrics) === true) stop = true;
          }
          if (stop) break;
          pause?.onPaused?.(this.stepsTaken);
          await paused;
        }
        const batch = Math.min(this.ring, remaining);
        remaining -= batch;
        inFlight.push(this.submitSteps(batch));
      }
      // Awaited outside the optional call: `onBatch?.(await x)` would skip the await without a callback.
      const metrics = await (inFlight.shift() as Promise<StepMetrics[]>);
      if (onBatch?.(metrics) === true) stop = true;
    }
  }

  /** Fits until a stopping rule, the step limit or the signal; then summarises q. */
  async fit(options: FitOptions = {}): Promise<FitResult> {
    const { settings } = this;
    const monitor = new ConvergenceMonitor(settings.tol, settings.evalEvery);
    const trace: [number, number, number][] = [];
    let stopReason: StopReason | undefined;
    let consecutiveSkipped = 0;
    let lastFinite = Number.NaN;
    const start = performance.now();
    let batchStart = start;
    await this.runSteps(
      settings.maxSteps - this.stepsTaken,
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
          lastFinite = m.elbo;
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
    const elapsed = performance.now() - start;
    stopReason ??= 'max-steps';
    const summary = await this.summarize();
    const lambda = await this.readLambda();
    const marginals = this.family.marginals(lambda, this.prepared.dimension);
    const { histograms, ...params } = summary;
    const msPerStep = elapsed / Math.max(1, this.stepsTaken);
    return {
      model: this.model.name,
      family: settings.family,
      seed: settings.seed,
      adapter: this.ctx.adapter.name,
      settings,
      steps: this.stepsTaken,
      converged: stopReason !== 'max-steps' && stopReason !== 'diverged' && stopReason !== 'stopped',
      stopReason,
      message: stopMessage(stopReason, this.stepsTaken),
      elbo: { trace, final: lastFinite },
      params,
      histograms,
      lambda: { ...marginals, raw: Array.from(lambda) },
      timing: { msPerStep, samplesPerSecond: (settings.samples * 1000) / msPerStep },
    };
  }

  /** lambda as the GPU holds it (see the family's layout). */
  async readLambda(): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.ctx.device, this.gpu.lambda));
  }

  /**
   * Draws from q on the GPU, mapped to the reported (constrained) values: `count` rows of `stride` f32 in
   * `values` (the GPU's padded layout), column j < names.length being parameter j.
   */
  async draws(count: number): Promise<DrawSet> {
    const { device } = this.ctx;
    const { gpu, prepared } = this;
    const rv = vec4Count(prepared.paramNames.length);
    const out = createBuffer(device, { label: 'vi draws', usage: STORAGE, size: count * rv * 16 });
    const params = createBuffer(device, {
      label: 'vi draw params',
      usage: UNIFORM,
      data: Uint32Array.from(philoxKey(this.settings.seed)),
    });
    try {
      const encoder = device.createCommandEncoder({ label: 'vi draws' });
      const pass = encoder.beginComputePass({ label: 'draw reported' });
      pass.setPipeline(gpu.drawPipeline);
      pass.setBindGroup(0, bindBuffers(device, gpu.drawPipeline, 'draws', [params, gpu.lambda, out]));
      pass.setBindGroup(1, gpu.modelData.bindGroup(gpu.drawPipeline));
      pass.dispatchWorkgroups(stepWorkgroups(count, 1));
      pass.end();
      device.queue.submit([encoder.finish()]);
      const values = new Float32Array(await readBuffer(device, out));
      return { names: [...prepared.paramNames], count, stride: rv * 4, values };
    } finally {
      out.destroy();
      params.destroy();
    }
  }

  /** Draws from q (see draws), summarised on the host: moments, quantiles, histograms. */
  async summarize(count = this.settings.draws): Promise<ParamSummary> {
    const set = await this.draws(count);
    return summarizeDraws(set.values, set.count, set.stride, set.names);
  }

  destroy(): void {
    const { gpu } = this;
    [gpu.settings, gpu.lambda, gpu.state, gpu.partials, gpu.adam, gpu.metrics].forEach((b) => b.destroy());
    gpu.modelData.destroy();
    this.stagingPool.forEach((b) => b.destroy());
    this.stagingPool.length = 0;
  }
}

/** The seed (an integer below 2^53) as Philox's two 32-bit key words, low word first. */
function philoxKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

function stopMessage(reason: StopReason, steps: number): string {
  switch (reason) {
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
