/**
 * Program assembly: the ELBO kernels composed from the model, family, objective and optimizer, their
 * pipelines, the buffers they share and their bind groups (created once per program, not per submit).
 * It records GPU work; it decides nothing about when to stop.
 */
import { createBuffer, readBuffer, STORAGE, UNIFORM } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import type { StructLayout } from '../gpu/layout';
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
import { finalizeWorkgroupSize, MAX_STEP_WORKGROUPS, STEP_WORKGROUP_SIZE, stepWorkgroups } from './tuning';

export interface ProgramSpec {
  readonly ctx: GpuContext;
  readonly model: ModelDefinition;
  readonly prepared: PreparedModel;
  readonly settings: FitSettings;
  readonly components: FitComponents;
  /** Samples per model call (MODEL_BATCH). */
  readonly modelBatch: number;
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

export class ElboProgram {
  /** Bytes of GPU memory the program allocated: independent of the samples per step. */
  readonly allocatedBytes: number;
  /** Metrics ring entries (the most steps one submit may hold). */
  readonly ring: number;
  readonly lambdaBlocks: number;
  private readonly stepGroups: GPUBindGroup[];
  private readonly finalizeGroup: GPUBindGroup;
  private readonly workgroups: number;

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
    this.ring = spec.settings.stepsPerSubmit;
    this.lambdaBlocks = spec.components.family.blocks(spec.prepared.dimension);
    this.workgroups = stepWorkgroups(spec.settings.samples, spec.modelBatch);
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
      ...objective.constants(settings.estimator),
      REDUCE_V4: 1,
      OPTIMIZER_FIXED_SAMPLES: optimizer.fixedSamples,
    };
    const sources = { family: family.wgsl, objective: objective.wgsl, optimizer: optimizer.wgsl };
    const reducePath = reducePathFor(ctx.features);
    const compose = (kernel: string, bindings: Parameters<typeof layoutModule>[1], wgSize: number) =>
      composeProgram({
        modules: [kernel],
        extraSources: {
          ...parts.extraSources,
          ...sources,
          'vi/layout': layoutModule(settingsStruct, bindings),
        },
        aliases: parts.aliases,
        reducePath,
        constants: { WG_SIZE: wgSize, ...shared },
      });
    const label = `${model.name} ${family.name} ${objective.name} ${optimizer.name}`;
    const [step, finalize, draw] = await Promise.all([
      computePipeline(
        device,
        compose('kernels/elbo_step', STEP_BINDINGS, STEP_WORKGROUP_SIZE),
        'elbo_step',
        `${label} elbo_step`,
        [STEP_BINDINGS.kinds, modelDataBindings(prepared)],
      ),
      computePipeline(
        device,
        compose('kernels/elbo_finalize', FINALIZE_BINDINGS, finalizeWorkgroupSize(ctx.adapter.isCpu)),
        'elbo_finalize',
        `${label} elbo_finalize`,
        [FINALIZE_BINDINGS.kinds],
      ),
      computePipeline(
        device,
        compose('kernels/draw_reported', DRAW_BINDINGS, STEP_WORKGROUP_SIZE),
        'draw_reported',
        `${label} draws`,
        [DRAW_BINDINGS.kinds, modelDataBindings(prepared)],
      ),
    ]);

    const lambdaBlocks = family.blocks(d);
    const accBlocks = objective.valueBlocks + lambdaBlocks;
    const settingsBytes = settingsStruct.pack({
      samples: settings.samples,
      partial_count: stepWorkgroups(settings.samples, modelBatch),
      seed: philoxKey(settings.seed),
      clip: settings.clip,
      metrics_ring: settings.stepsPerSubmit,
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
        size: settings.stepsPerSubmit * STEP_METRICS.size,
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
      pass.dispatchWorkgroups(stepWorkgroups(count, 1));
      pass.end();
      device.queue.submit([encoder.finish()]);
      return { values: new Float32Array(await readBuffer(device, out)), stride: rv * 4 };
    } finally {
      out.destroy();
    }
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
    this.modelData.destroy();
  }
}
