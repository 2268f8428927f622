/** A prepared model's data on the GPU, and the program constants every model kernel needs. */
import { createBuffer, STORAGE } from '../gpu/buffers';
import type { BindingKind } from '../gpu/pipelines';
import type { WgslConstant } from '../gpu/wgsl';
import { vec4Count, type PreparedModel } from './types';

export interface ModelGpuData {
  readonly buffers: readonly GPUBuffer[];
  /** The bind group for @group(1) of a pipeline that includes the model. */
  bindGroup(pipeline: GPUComputePipeline): GPUBindGroup;
  destroy(): void;
}

export function uploadModelData(device: GPUDevice, prepared: PreparedModel): ModelGpuData {
  const buffers = prepared.buffers.map(({ label, data }) =>
    createBuffer(device, { label, usage: STORAGE, data }),
  );
  const groups = new WeakMap<GPUComputePipeline, GPUBindGroup>();
  return {
    buffers,
    bindGroup(pipeline) {
      let group = groups.get(pipeline);
      if (!group) {
        group = device.createBindGroup({
          label: 'model data',
          layout: pipeline.getBindGroupLayout(1),
          entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
        });
        groups.set(pipeline, group);
      }
      return group;
    },
    destroy: () => buffers.forEach((b) => b.destroy()),
  };
}

/**
 * The composer options that put a model into a kernel: its source as module "model", "model_batch" bound to
 * the model itself (when it has a batch entry point) or to the one-sample adapter, and its constants with
 * MODEL_BATCH = `batch` samples per model call.
 */
export function modelProgramParts(wgsl: string, prepared: PreparedModel, batch = 1) {
  if (!Number.isInteger(batch) || batch < 1 || batch > (prepared.maxBatch ?? 1)) {
    throw new RangeError(`model batch ${batch}: expected an integer in [1, ${prepared.maxBatch ?? 1}]`);
  }
  return {
    extraSources: { model: wgsl },
    aliases: { model_batch: prepared.maxBatch ? 'model' : 'kernels/model_batch' },
    constants: { ...modelConstants(prepared), MODEL_BATCH: batch },
  };
}

/** The binding kinds of the model's data group (@group(1)): every buffer is read-only storage. */
export function modelDataBindings(prepared: PreparedModel): BindingKind[] {
  return prepared.buffers.map(() => 'read');
}

/** D, DV, R, RV and the model's own constants, for composing any kernel that includes the model. */
export function modelConstants(prepared: PreparedModel): Record<string, WgslConstant> {
  return {
    D: prepared.dimension,
    DV: vec4Count(prepared.dimension),
    R: prepared.paramNames.length,
    RV: vec4Count(prepared.paramNames.length),
    ...prepared.constants,
  };
}
