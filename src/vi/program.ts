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
  settingsLayout,
  STEP_BINDINGS,
  STEP_METRICS,
} from './layout';
import { familyConstants } from './families/registry';
import type { FitComponents, FitSettings } from './settings';
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

/** elbo_step's workgroups: a thread slot takes max(MODEL_BATCH, OBJECTIVE_GROUP) samples (elbo_step.wgsl). */
function stepWorkgroupsOf(spec: ProgramSpec): number {
  const slotSamples = Math.max(spec.modelBatch, spec.components.objective.group ?? 1);
  return stepWorkgroups(spec.settings.samples, slotSamples, spec.ctx.adapter.isCpu);
}

export class ElboProgram {
  /** Bytes of GPU memory the program allocated: independent of the samples per step. */
  readonly allocatedBytes: number;
  /** Metrics ring entries (the most steps one submit may hold; see submitSize). */
  readonly ring: number;
  readonly lambdaBlocks: number;
  /** The part of the optimizer's state the host reads after every submit, if it reads any. */
  readonly hostView: { readonly buffer: GPUBuffer; readonly offsetBytes: number } | undefined;
  private readonly stepGroups: GPUBindGroup[];
  private readonly finalizeGroup: GPUBindGroup;
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
  ) {
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
    this.finalizeGroup = FINALIZE_BINDINGS.createBindGroup(device, pipelines.finalize, 'elbo finalize', {
      ...buffers,
      optimizer_state: buffers.optimizerState,
    });
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
    const shared: Record<string, WgslConstant> = {
      ...parts.constants,
      ...familyConstants(family, d),
      OBJECTIVE_V4: objective.valueBlocks,
      OBJECTIVE_GROUP: objective.group ?? 1,
      ...objective.constants(settings.estimator),
      REDUCE_V4: 1,
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
      // The unrolled module is created inside an error scope, so that a refusal of it (which make reports
      // as a ShaderCompilationError) is not also left on the device as an uncaptured error that would
      // fail the fit; createShaderModule runs synchronously in make, before the scope is popped.
      device.pushErrorScope('validation');
      const attempt = make(true);
      const scope = device.popErrorScope();
      try {
        const pipeline = await attempt;
        await scope;
        return pipeline;
      } catch (error) {
        await scope;
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

    const lambdaBlocks = family.blocks(d);
    const accBlocks = objective.valueBlocks + lambdaBlocks;
    const settingsBytes = settingsStruct.pack({
      samples: settings.samples,
      partial_count: stepWorkgroupsOf(spec),
      seed: philoxKey(settings.seed),
      clip: settings.clip,
      metrics_ring: submitSize(settings.stepsPerSubmit, settings.evalEvery),
      ...optimizer.settingsValues(settings),
    });
    const buffers: ProgramBuffers = {
      settings: createBuffer(device, { label: 'vi settings', usage: UNIFORM, data: settingsBytes }),
      lambda: createBuffer(device, { label: 'vi lambda', usage: STORAGE, data: family.initial(d) }),
      state: createBuffer(device, { label: 'vi state', usage: STORAGE, size: ENGINE_STATE.size }),
      // Sized for the most workgroups whatever the sample count, so memory does not depend on it.
      partials: createBuffer(device, {
        label: 'vi partials',
        usage: STORAGE,
        size: MAX_STEP_WORKGROUPS * accBlocks * 32,
      }),
      optimizerState: createBuffer(device, {
        label: `vi ${optimizer.name} state`,
        usage: STORAGE,
        size: optimizer.stateBlocks(lambdaBlocks) * 16,
      }),
      metrics: createBuffer(device, {
        label: 'vi metrics ring',
        usage: STORAGE,
        size: submitSize(settings.stepsPerSubmit, settings.evalEvery) * STEP_METRICS.size,
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
    );
  }

  /** Records `count` optimizer steps (a step pass and a finalize pass each) into `encoder`. */
  encodeSteps(encoder: GPUCommandEncoder, count: number): void {
    for (let i = 0; i < count; i++) {
      const pass = encoder.beginComputePass({ label: 'elbo step' });
      pass.setPipeline(this.pipelines.step);
      this.stepGroups.forEach((group, index) => pass.setBindGroup(index, group));
      pass.dispatchWorkgroups(this.workgroups);
      pass.end();
      const finalize = encoder.beginComputePass({ label: 'elbo finalize' });
      finalize.setPipeline(this.pipelines.finalize);
      finalize.setBindGroup(0, this.finalizeGroup);
      finalize.dispatchWorkgroups(1);
      finalize.end();
    }
  }

  /** lambda as the GPU holds it (the family's layout). */
  async readLambda(): Promise<Float32Array> {
    return new Float32Array(await readBuffer(this.spec.ctx.device, this.buffers.lambda));
  }

  /** Replaces lambda (the family's layout, lambdaBlocks vec4s); ordered before the next submit. */
  writeLambda(values: Float32Array): void {
    if (values.length !== this.lambdaBlocks * 4) {
      throw new RangeError(`lambda has ${this.lambdaBlocks * 4} values, got ${values.length}`);
    }
    this.spec.ctx.device.queue.writeBuffer(this.buffers.lambda, 0, values);
  }

  /**
   * Changes one field of the settings uniform (e.g. the optimizer's lr, or the seed) from the next submit on.
   * The field's offset and type come from the settings layout.
   */
  writeSetting(name: string, value: number | readonly number[]): void {
    const field = this.settingsStruct.fields.find((f) => f.name === name);
    if (!field) throw new RangeError(`the settings uniform has no field "${name}"`);
    const lanes = typeof value === 'number' ? [value] : value;
    const bytes = new ArrayBuffer(4 * lanes.length);
    const view = new DataView(bytes);
    lanes.forEach((v, i) =>
      field.type.includes('f32') ? view.setFloat32(4 * i, v, true) : view.setUint32(4 * i, v >>> 0, true),
    );
    this.spec.ctx.device.queue.writeBuffer(this.buffers.settings, field.offset, bytes);
  }

  /** Sets the centre the next steps' sums are taken about (optimizers on fixed samples keep it). */
  writeShift(centre: number): void {
    const field = ENGINE_STATE.fields.find((f) => f.name === 'centre');
    if (!field) throw new Error('EngineState has no centre');
    this.spec.ctx.device.queue.writeBuffer(this.buffers.state, field.offset, Float32Array.of(centre));
  }

  /** Copies the optimizer's reported lambda (e.g. Adam's window mean) into lambda, where draws read it. */
  adoptReportedLambda(): void {
    const offset = this.spec.components.optimizer.reportedLambdaOffset?.(this.lambdaBlocks);
    if (offset === undefined) return;
    const { device } = this.spec.ctx;
    const encoder = device.createCommandEncoder({ label: 'vi adopt reported lambda' });
    encoder.copyBufferToBuffer(
      this.buffers.optimizerState,
      offset * 16,
      this.buffers.lambda,
      0,
      this.lambdaBlocks * 16,
    );
    device.queue.submit([encoder.finish()]);
  }

  /** Back to the start of a fit: the family's initial lambda, zero engine and optimizer state. */
  reset(): void {
    const { device } = this.spec.ctx;
    const { family } = this.spec.components;
    device.queue.writeBuffer(this.buffers.lambda, 0, family.initial(this.spec.prepared.dimension));
    device.queue.writeBuffer(this.buffers.state, 0, new Uint8Array(this.buffers.state.size));
    device.queue.writeBuffer(
      this.buffers.optimizerState,
      0,
      new Uint8Array(this.buffers.optimizerState.size),
    );
  }

  /** Saves lambda, the engine state and the optimizer state on the GPU (one copy; a later backup replaces it). */
  backup(): void {
    const { device } = this.spec.ctx;
    const sources = [this.buffers.lambda, this.buffers.state, this.buffers.optimizerState];
    this.saved ??= sources.map((b) =>
      createBuffer(device, { label: `${b.label} backup`, usage: STORAGE, size: b.size }),
    );
    const encoder = device.createCommandEncoder({ label: 'vi backup' });
    sources.forEach((b, i) => encoder.copyBufferToBuffer(b, 0, this.saved?.[i] as GPUBuffer, 0, b.size));
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
   * `count` draws of q mapped to the reported values: row i, parameter j at [i * stride + j], stride the
   * GPU's padded row (RV vec4s).
   */
  async drawReported(count: number): Promise<{ values: Float32Array; stride: number }> {
    const { device } = this.spec.ctx;
    const rv = vec4Count(this.spec.prepared.paramNames.length);
    const out = createBuffer(device, { label: 'vi draws', usage: STORAGE, size: count * rv * 16 });
    try {
      const encoder = device.createCommandEncoder({ label: 'vi draws' });
      const pass = encoder.beginComputePass({ label: 'draw reported' });
      pass.setPipeline(this.pipelines.draw);
      pass.setBindGroup(
        0,
        DRAW_BINDINGS.createBindGroup(device, this.pipelines.draw, 'draws', {
          draw_params: this.buffers.drawParams,
          lambda: this.buffers.lambda,
          draws: out,
        }),
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
