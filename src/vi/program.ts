/**
 * Program assembly: the ELBO kernels composed from the model, family, objective and optimizer, their
 * pipelines, the buffers they share and their bind groups (created once per program, not per submit).
 * It records GPU work; it decides nothing about when to stop.
 */
import { createBuffer, readBuffer, STORAGE, UNIFORM } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import type { StructLayout } from '../gpu/layout';
import { ShaderCompilationError } from '../gpu/errors';
import { computePipeline } from '../gpu/pipelines';
import { composeProgram, reducePathFor } from '../gpu/shader-library';
import type { WgslConstant } from '../gpu/wgsl';
import { modelDataBindings, modelProgramParts, uploadModelData, type ModelGpuData } from '../models/gpu-data';
import { vec4Count, type ModelDefinition, type PreparedModel } from '../models/types';
import {
  DRAW_BINDINGS,
  DRAW_PARAMS,
  ENGINE_STATE,
  FINALIZE_BINDINGS,
  layoutModule,
  restartStride,
  settingsLayout,
  STEP_BINDINGS,
  STEP_METRICS,
} from './layout';
import { familyConstants } from './families/registry';
import { restartStart } from './restarts';
import { SettingsError, type FitComponents, type FitSettings } from './settings';
import {
  finalizeWorkgroupSize,
  MAX_STEP_WORKGROUPS,
  stepWorkgroups,
  stepWorkgroupSize,
  unrollLoopsFor,
} from './tuning';

export interface ProgramSpec {
  readonly ctx: GpuContext;
  readonly model: ModelDefinition;
  readonly prepared: PreparedModel;
  readonly settings: FitSettings;
  readonly components: FitComponents;
  /** Samples per model call (MODEL_BATCH). */
  readonly modelBatch: number;
}

/**
 * Steps per submit: the largest count up to `stepsPerSubmit` that divides `evalEvery`, so that every check of
 * the stopping rules (and every averaging window) ends at a submit, where the host sees the GPU's state.
 */
export function submitSize(stepsPerSubmit: number, evalEvery: number): number {
  for (let n = Math.min(stepsPerSubmit, evalEvery); n > 1; n--) if (evalEvery % n === 0) return n;
  return 1;
}

/** The seed (an integer below 2^53) as Philox's two 32-bit key words, low word first. */
export function philoxKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

interface ProgramBuffers {
  readonly settings: GPUBuffer;
  readonly lambda: GPUBuffer;
  readonly state: GPUBuffer;
  readonly partials: GPUBuffer;
  readonly optimizerState: GPUBuffer;
  readonly metrics: GPUBuffer;
  readonly drawParams: GPUBuffer;
}

/**
 * Bytes of one restart's slot of each per-fit buffer (see RESTART_ALIGN in layout.ts): restart r's part of
 * buffer b starts at r * strides[b].
 */
export interface RestartStrides {
  readonly settings: number;
  readonly lambda: number;
  readonly state: number;
  readonly partials: number;
  readonly optimizerState: number;
  readonly metrics: number;
}

/** elbo_step's workgroups: a thread slot takes max(MODEL_BATCH, OBJECTIVE_GROUP) samples (elbo_step.wgsl). */
function stepWorkgroupsOf(spec: ProgramSpec): number {
  const slotSamples = Math.max(spec.modelBatch, spec.components.objective.group ?? 1);
  return stepWorkgroups(spec.settings.samples, slotSamples, spec.ctx.adapter.isCpu);
}

/** Every restart's starting lambda (restarts.ts) with q's sds `scale`, each at its slot of the lambda buffer. */
function startingLambdas(spec: ProgramSpec, strideBytes: number, scale = 1): Float32Array {
  const { settings, prepared, components } = spec;
  const out = new Float32Array((settings.restarts * strideBytes) / 4);
  for (let r = 0; r < settings.restarts; r++) {
    const start = restartStart(components.family, prepared.dimension, settings.seed, r, scale);
    out.set(start, (r * strideBytes) / 4);
  }
  return out;
}

export class ElboProgram {
  /**
   * Bytes of GPU memory the program allocated: independent of the samples per step (with restarts > 1 the
   * partials grow with the step's workgroups, up to the same bound times the restarts).
   */
  readonly allocatedBytes: number;
  /** Metrics ring entries (the most steps one submit may hold; see submitSize). */
  readonly ring: number;
  readonly lambdaBlocks: number;
  /** The part of the optimizer's state the host reads after every submit, if it reads any. */
  readonly hostView: { readonly buffer: GPUBuffer; readonly offsetBytes: number } | undefined;
  /** Independent fits advanced together (settings.restarts): one step dispatch covers them all. */
  readonly restarts: number;
  /** Where each restart's part of each buffer starts. */
  readonly strides: RestartStrides;
  /**
   * The restart that readLambda, writeLambda, the draws and the diagnostics see (the engine sets it to the
   * best one when a fit ends); 0 until then.
   */
  reportedRestart = 0;
  private readonly stepGroups: GPUBindGroup[];
  /** One finalize bind group per restart: its slots of every buffer. */
  private readonly finalizeGroups: GPUBindGroup[];
  private readonly workgroups: number;
  /** Copies of lambda, the engine state and the optimizer state (see backup / restore). */
  private saved: GPUBuffer[] | undefined;

  private constructor(
    readonly spec: ProgramSpec,
    readonly settingsStruct: StructLayout,
    private readonly pipelines: {
      readonly step: GPUComputePipeline;
      readonly finalize: GPUComputePipeline;
      readonly draw: GPUComputePipeline;
    },
    readonly buffers: ProgramBuffers,
    readonly modelData: ModelGpuData,
    strides: RestartStrides,
  ) {
    this.strides = strides;
    this.restarts = spec.settings.restarts;
    const { device } = spec.ctx;
    this.ring = submitSize(spec.settings.stepsPerSubmit, spec.settings.evalEvery);
    this.lambdaBlocks = spec.components.family.blocks(spec.prepared.dimension);
    const viewOffset = spec.components.optimizer.hostViewOffset?.(this.lambdaBlocks);
    this.hostView =
      viewOffset === undefined ? undefined : { buffer: buffers.optimizerState, offsetBytes: viewOffset * 16 };
    this.workgroups = stepWorkgroupsOf(spec);
    this.stepGroups = [
      STEP_BINDINGS.createBindGroup(device, pipelines.step, 'elbo step', buffers),
      modelData.bindGroup(pipelines.step),
    ];
    const lambdaBytes = this.lambdaBlocks * 16;
    const stateBytes = spec.components.optimizer.stateBlocks(this.lambdaBlocks) * 16;
    this.finalizeGroups = Array.from({ length: this.restarts }, (_, r) =>
      FINALIZE_BINDINGS.createBindGroup(
        device,
        pipelines.finalize,
        `elbo finalize ${r}`,
        { ...buffers, optimizer_state: buffers.optimizerState },
        {
          settings: { offset: r * strides.settings, size: settingsStruct.size },
          lambda: { offset: r * strides.lambda, size: lambdaBytes },
          state: { offset: r * strides.state, size: ENGINE_STATE.size },
          partials: { offset: r * strides.partials, size: strides.partials },
          optimizer_state: { offset: r * strides.optimizerState, size: stateBytes },
          metrics: { offset: r * strides.metrics, size: this.ring * STEP_METRICS.size },
        },
      ),
    );
    this.allocatedBytes = Object.values(buffers)
      .concat(modelData.buffers)
      .reduce((a, b) => a + b.size, 0);
  }

  static async create(spec: ProgramSpec): Promise<ElboProgram> {
    const { ctx, model, prepared, settings, components, modelBatch } = spec;
    const { family, objective, optimizer } = components;
    const { device } = ctx;
    const d = prepared.dimension;
    const parts = modelProgramParts(model.wgsl, prepared, modelBatch);
    const settingsStruct = settingsLayout(optimizer.settingsFields);
    const lambdaBlocks = family.blocks(d);
    const accBlocks = objective.valueBlocks + lambdaBlocks;
    const restarts = settings.restarts;
    const ring = submitSize(settings.stepsPerSubmit, settings.evalEvery);
    const strides: RestartStrides = {
      settings: restartStride(settingsStruct.size),
      lambda: restartStride(lambdaBlocks * 16),
      state: restartStride(ENGINE_STATE.size),
      // One restart's partials are sized for the most workgroups whatever the sample count, so memory does
      // not depend on it; with several restarts only for this fit's workgroups, so that 16 restarts of a
      // large family stay within a buffer's size limit.
      partials: restartStride(
        (restarts === 1 ? MAX_STEP_WORKGROUPS : stepWorkgroupsOf(spec)) * accBlocks * 32,
      ),
      optimizerState: restartStride(optimizer.stateBlocks(lambdaBlocks) * 16),
      metrics: restartStride(ring * STEP_METRICS.size),
    };
    // The step pass binds every restart's partials (the largest per-fit buffer) at once: refused before any
    // pipeline is compiled.
    const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    if (restarts * strides.partials > limit) {
      const most = Math.max(1, Math.floor(limit / strides.partials));
      throw new SettingsError(
        'restarts',
        `at most ${most} for this model, family and sample count (each restart's partial sums take ` +
          `${(strides.partials / 2 ** 20).toFixed(1)} MiB; the device binds at most ${(limit / 2 ** 20).toFixed(0)} MiB)`,
        restarts,
      );
    }
    const shared: Record<string, WgslConstant> = {
      ...parts.constants,
      ...familyConstants(family, d),
      OBJECTIVE_V4: objective.valueBlocks,
      OBJECTIVE_GROUP: objective.group ?? 1,
      ...objective.constants(settings.estimator),
      REDUCE_V4: 1,
      // elbo_step's restart r reads lambda from block r * RESTART_LAMBDA, its partials from r * RESTART_PARTIALS.
      RESTART_LAMBDA: strides.lambda / 16,
      RESTART_PARTIALS: strides.partials / 32,
      OPTIMIZER_FIXED_SAMPLES: optimizer.fixedSamples,
    };
    const sources = { family: family.wgsl, objective: objective.wgsl, optimizer: optimizer.wgsl };
    const reducePath = reducePathFor(ctx.features);
    const compose = (
      kernel: string,
      bindings: Parameters<typeof layoutModule>[1],
      wgSize: number,
      unrollLoops: boolean,
    ) =>
      composeProgram({
        modules: [kernel],
        extraSources: {
          ...parts.extraSources,
          ...sources,
          'vi/layout': layoutModule(settingsStruct, bindings),
        },
        aliases: parts.aliases,
        reducePath,
        unrollLoops,
        constants: { WG_SIZE: wgSize, ...shared },
      });
    const label = `${model.name} ${family.name} ${objective.name} ${optimizer.name}`;
    // On a CPU adapter every loop over a compile-time count is unrolled (src/gpu/loop-unroll.ts). Unrolled
    // code can fail where the loop compiles (a const index out of bounds in a dead branch): then the loop.
    const unroll = unrollLoopsFor(ctx.adapter.isCpu);
    const build = async (
      kernel: string,
      bindings: Parameters<typeof layoutModule>[1],
      wgSize: number,
      entry: string,
      groups: Parameters<typeof computePipeline>[4],
    ): Promise<GPUComputePipeline> => {
      const make = (unrolled: boolean) =>
        computePipeline(
          device,
          compose(kernel, bindings, wgSize, unrolled),
          entry,
          `${label} ${entry}`,
          groups,
        );
      if (!unroll) return make(false);
      // A refused module is a ShaderCompilationError and leaves no uncaptured error (pipelines.ts).
      try {
        return await make(true);
      } catch (error) {
        if (!(error instanceof ShaderCompilationError)) throw error;
        return make(false);
      }
    };
    const stepWg = stepWorkgroupSize(ctx.adapter.isCpu);
    const [step, finalize, draw] = await Promise.all([
      build('kernels/elbo_step', STEP_BINDINGS, stepWg, 'elbo_step', [
        STEP_BINDINGS.kinds,
        modelDataBindings(prepared),
      ]),
      build(
        'kernels/elbo_finalize',
        FINALIZE_BINDINGS,
        finalizeWorkgroupSize(ctx.adapter.isCpu),
        'elbo_finalize',
        [FINALIZE_BINDINGS.kinds],
      ),
      build('kernels/draw_reported', DRAW_BINDINGS, stepWg, 'draw_reported', [
        DRAW_BINDINGS.kinds,
        modelDataBindings(prepared),
      ]),
    ]);

    const settingsBytes = settingsStruct.pack({
      samples: settings.samples,
      partial_count: stepWorkgroupsOf(spec),
      seed: philoxKey(settings.seed),
      clip: settings.clip,
      metrics_ring: submitSize(settings.stepsPerSubmit, settings.evalEvery),
      ...optimizer.settingsValues(settings),
    });
    // Every restart gets its own copy of the settings (the fit loop changes one restart's lr alone).
    const settingsSlots = new Uint8Array(restarts * strides.settings);
    for (let r = 0; r < restarts; r++) settingsSlots.set(new Uint8Array(settingsBytes), r * strides.settings);
    const buffers: ProgramBuffers = {
      settings: createBuffer(device, { label: 'vi settings', usage: UNIFORM, data: settingsSlots }),
      lambda: createBuffer(device, {
        label: 'vi lambda',
        usage: STORAGE,
        data: startingLambdas(spec, strides.lambda),
      }),
      state: createBuffer(device, { label: 'vi state', usage: STORAGE, size: restarts * strides.state }),
      partials: createBuffer(device, {
        label: 'vi partials',
        usage: STORAGE,
        size: restarts * strides.partials,
      }),
      optimizerState: createBuffer(device, {
        label: `vi ${optimizer.name} state`,
        usage: STORAGE,
        size: restarts * strides.optimizerState,
      }),
      metrics: createBuffer(device, {
        label: 'vi metrics ring',
        usage: STORAGE,
        size: restarts * strides.metrics,
      }),
      drawParams: createBuffer(device, {
        label: 'vi draw params',
        usage: UNIFORM,
        data: DRAW_PARAMS.pack({ key: philoxKey(settings.seed) }),
      }),
    };
    return new ElboProgram(
      spec,
      settingsStruct,
      { step, finalize, draw },
      buffers,
      uploadModelData(device, prepared),
      strides,
    );
  }

  /**
   * Records `count` optimizer steps into `encoder`: each one step dispatch for every restart (workgroup_id.y
   * is the restart) and a finalize pass with one single-workgroup dispatch per restart, on its own slots.
   */
  encodeSteps(encoder: GPUCommandEncoder, count: number): void {
    for (let i = 0; i < count; i++) {
      const pass = encoder.beginComputePass({ label: 'elbo step' });
      pass.setPipeline(this.pipelines.step);
      this.stepGroups.forEach((group, index) => pass.setBindGroup(index, group));
      pass.dispatchWorkgroups(this.workgroups, this.restarts);
      pass.end();
      const finalize = encoder.beginComputePass({ label: 'elbo finalize' });
      finalize.setPipeline(this.pipelines.finalize);
      for (const group of this.finalizeGroups) {
        finalize.setBindGroup(0, group);
        finalize.dispatchWorkgroups(1);
      }
      finalize.end();
    }
  }

  /** lambda of a restart (default the reported one) as the GPU holds it (the family's layout). */
  async readLambda(restart = this.reportedRestart): Promise<Float32Array> {
    const bytes = await readBuffer(
      this.spec.ctx.device,
      this.buffers.lambda,
      this.lambdaBlocks * 16,
      this.restartOffset('lambda', restart),
    );
    return new Float32Array(bytes);
  }

  /**
   * Replaces a restart's lambda (default the reported one; the family's layout, lambdaBlocks vec4s); ordered
   * before the next submit.
   */
  writeLambda(values: Float32Array, restart = this.reportedRestart): void {
    if (values.length !== this.lambdaBlocks * 4) {
      throw new RangeError(`lambda has ${this.lambdaBlocks * 4} values, got ${values.length}`);
    }
    this.spec.ctx.device.queue.writeBuffer(
      this.buffers.lambda,
      this.restartOffset('lambda', restart),
      values,
    );
  }

  /** Byte offset of restart `restart`'s slot of a buffer. */
  restartOffset(buffer: keyof RestartStrides, restart: number): number {
    if (!Number.isInteger(restart) || restart < 0 || restart >= this.restarts) {
      throw new RangeError(`restart ${restart}: this program has restarts 0 to ${this.restarts - 1}`);
    }
    return restart * this.strides[buffer];
  }

  /**
   * Changes one field of the settings uniform (e.g. the optimizer's lr, or the seed) from the next submit on,
   * for one restart or (by default) all of them. The field's offset and type come from the settings layout.
   */
  writeSetting(name: string, value: number | readonly number[], restart?: number): void {
    const field = this.settingsStruct.fields.find((f) => f.name === name);
    if (!field) throw new RangeError(`the settings uniform has no field "${name}"`);
    const lanes = typeof value === 'number' ? [value] : value;
    const bytes = new ArrayBuffer(4 * lanes.length);
    const view = new DataView(bytes);
    lanes.forEach((v, i) =>
      field.type.includes('f32') ? view.setFloat32(4 * i, v, true) : view.setUint32(4 * i, v >>> 0, true),
    );
    const targets = restart === undefined ? [...Array(this.restarts).keys()] : [restart];
    for (const r of targets) {
      this.spec.ctx.device.queue.writeBuffer(
        this.buffers.settings,
        this.restartOffset('settings', r) + field.offset,
        bytes,
      );
    }
  }

  /** Sets the centre the next steps' sums are taken about (optimizers on fixed samples keep it). */
  writeShift(centre: number): void {
    const field = ENGINE_STATE.fields.find((f) => f.name === 'centre');
    if (!field) throw new Error('EngineState has no centre');
    this.spec.ctx.device.queue.writeBuffer(this.buffers.state, field.offset, Float32Array.of(centre));
  }

  /**
   * Copies every restart's reported lambda (e.g. Adam's window mean) into its lambda, where draws read it.
   */
  adoptReportedLambda(): void {
    const offset = this.spec.components.optimizer.reportedLambdaOffset?.(this.lambdaBlocks);
    if (offset === undefined) return;
    const { device } = this.spec.ctx;
    const encoder = device.createCommandEncoder({ label: 'vi adopt reported lambda' });
    for (let r = 0; r < this.restarts; r++) {
      encoder.copyBufferToBuffer(
        this.buffers.optimizerState,
        this.restartOffset('optimizerState', r) + offset * 16,
        this.buffers.lambda,
        this.restartOffset('lambda', r),
        this.lambdaBlocks * 16,
      );
    }
    device.queue.submit([encoder.finish()]);
  }

  /** The marginal sds q starts from at reset (1 unless the fit narrowed it: fit.ts, START_SCALES). */
  startScale = 1;

  /** Back to the start of a fit: every restart's starting lambda, zero engine and optimizer state. */
  reset(): void {
    const { device } = this.spec.ctx;
    const lambda = startingLambdas(this.spec, this.strides.lambda, this.startScale);
    device.queue.writeBuffer(this.buffers.lambda, 0, lambda);
    device.queue.writeBuffer(this.buffers.state, 0, new Uint8Array(this.buffers.state.size));
    device.queue.writeBuffer(
      this.buffers.optimizerState,
      0,
      new Uint8Array(this.buffers.optimizerState.size),
    );
  }

  /**
   * Saves lambda, the engine state and the optimizer state on the GPU, of the given restarts (default all;
   * one copy per restart: a later backup of a restart replaces its earlier one).
   */
  backup(restarts: readonly number[] = [...Array(this.restarts).keys()]): void {
    const { device } = this.spec.ctx;
    const sources = [
      { buffer: this.buffers.lambda, stride: 'lambda' as const },
      { buffer: this.buffers.state, stride: 'state' as const },
      { buffer: this.buffers.optimizerState, stride: 'optimizerState' as const },
    ];
    const saved = (this.saved ??= sources.map(({ buffer }) =>
      createBuffer(device, { label: `${buffer.label} backup`, usage: STORAGE, size: buffer.size }),
    ));
    const encoder = device.createCommandEncoder({ label: 'vi backup' });
    sources.forEach(({ buffer, stride }, i) => {
      for (const r of restarts) {
        const offset = this.restartOffset(stride, r);
        encoder.copyBufferToBuffer(buffer, offset, saved[i] as GPUBuffer, offset, this.strides[stride]);
      }
    });
    device.queue.submit([encoder.finish()]);
  }

  /** Restores what backup saved. */
  restore(): void {
    if (!this.saved) throw new Error('restore() before backup()');
    const { device } = this.spec.ctx;
    const targets = [this.buffers.lambda, this.buffers.state, this.buffers.optimizerState];
    const encoder = device.createCommandEncoder({ label: 'vi restore' });
    targets.forEach((b, i) => encoder.copyBufferToBuffer(this.saved?.[i] as GPUBuffer, 0, b, 0, b.size));
    device.queue.submit([encoder.finish()]);
  }

  /**
   * `count` draws of q (of a restart, default the reported one) mapped to the reported values: row i,
   * parameter j at [i * stride + j], stride the GPU's padded row (RV vec4s).
   */
  async drawReported(
    count: number,
    restart = this.reportedRestart,
  ): Promise<{ values: Float32Array; stride: number }> {
    const { device } = this.spec.ctx;
    const rv = vec4Count(this.spec.prepared.paramNames.length);
    const out = createBuffer(device, { label: 'vi draws', usage: STORAGE, size: count * rv * 16 });
    try {
      const encoder = device.createCommandEncoder({ label: 'vi draws' });
      const pass = encoder.beginComputePass({ label: 'draw reported' });
      pass.setPipeline(this.pipelines.draw);
      pass.setBindGroup(
        0,
        DRAW_BINDINGS.createBindGroup(
          device,
          this.pipelines.draw,
          'draws',
          { draw_params: this.buffers.drawParams, lambda: this.buffers.lambda, draws: out },
          { lambda: { offset: this.restartOffset('lambda', restart), size: this.lambdaBlocks * 16 } },
        ),
      );
      pass.setBindGroup(1, this.modelData.bindGroup(this.pipelines.draw));
      pass.dispatchWorkgroups(stepWorkgroups(count, 1, this.spec.ctx.adapter.isCpu));
      pass.end();
      device.queue.submit([encoder.finish()]);
      return { values: new Float32Array(await readBuffer(device, out)), stride: rv * 4 };
    } finally {
      out.destroy();
    }
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
    this.saved?.forEach((b) => b.destroy());
    this.modelData.destroy();
  }
}
