/**
 * Evaluates a model's WGSL at given latent points: log joint, its gradient and the reported values.
 * Used to check every model against a float64 implementation, and handy for debugging a new model.
 */
import { createBuffer, gridStrideWorkgroups, readBuffer, STORAGE } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { bindBuffers, computePipeline } from '../gpu/pipelines';
import { composeProgram } from '../gpu/shader-library';
import { modelDataBindings, modelProgramParts, uploadModelData } from './gpu-data';
import { vec4Count, type ModelDefinition, type PreparedModel } from './types';

export interface PointEvaluation {
  readonly logJoint: number;
  readonly gradient: Float64Array;
  readonly reported: Float64Array;
}

export async function evaluateModel(
  ctx: GpuContext,
  model: ModelDefinition,
  prepared: PreparedModel,
  points: readonly ArrayLike<number>[],
  /** Points per model call (MODEL_BATCH): 1, or up to prepared.maxBatch for a model with a batch entry point. */
  batch = 1,
  /** Unroll the loops over compile-time counts, as the engine does on a CPU adapter (src/gpu/loop-unroll.ts). */
  unrollLoops = false,
): Promise<PointEvaluation[]> {
  const { device } = ctx;
  const d = prepared.dimension;
  const dv = vec4Count(d);
  const r = prepared.paramNames.length;
  const rv = vec4Count(r);
  const parts = modelProgramParts(model.wgsl, prepared, batch);
  const program = composeProgram({
    modules: ['kernels/model_eval'],
    extraSources: parts.extraSources,
    aliases: parts.aliases,
    unrollLoops,
    constants: { WG_SIZE: 64, ...parts.constants },
  });
  const pipeline = await computePipeline(device, program, 'model_eval', `${model.name} eval`, [
    ['read', 'read_write', 'read_write'],
    modelDataBindings(prepared),
  ]);
  const packed = new Float32Array(points.length * dv * 4);
  points.forEach((z, i) => {
    if (z.length !== d) throw new RangeError(`point ${i} has ${z.length} values, the model has D = ${d}`);
    for (let k = 0; k < d; k++) packed[i * dv * 4 + k] = z[k] as number;
  });
  const data = uploadModelData(device, prepared);
  const input = createBuffer(device, { label: 'eval points', usage: STORAGE, data: packed });
  const out = createBuffer(device, {
    label: 'eval out',
    usage: STORAGE,
    size: points.length * (1 + dv) * 16,
  });
  const reported = createBuffer(device, {
    label: 'eval reported',
    usage: STORAGE,
    size: points.length * rv * 16,
  });
  const encoder = device.createCommandEncoder({ label: `${model.name} eval` });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(device, pipeline, 'eval', [input, out, reported]));
  pass.setBindGroup(1, data.bindGroup(pipeline));
  pass.dispatchWorkgroups(gridStrideWorkgroups(points.length, 64 * batch));
  pass.end();
  device.queue.submit([encoder.finish()]);
  const values = new Float32Array(await readBuffer(device, out));
  const reportedValues = new Float32Array(await readBuffer(device, reported));
  [input, out, reported].forEach((b) => b.destroy());
  data.destroy();
  return points.map((_, i) => {
    const base = i * (1 + dv) * 4;
    return {
      logJoint: values[base] as number,
      gradient: Float64Array.from(values.subarray(base + 4, base + 4 + d)),
      reported: Float64Array.from(reportedValues.subarray(i * rv * 4, i * rv * 4 + r)),
    };
  });
}
