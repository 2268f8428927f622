/**
 * Shader modules and compute pipelines, compiled once per device and cached by the composed source.
 * Compiler errors are raised as ShaderCompilationError located in the module files.
 */
import { ShaderCompilationError, WebGpuError } from './errors';
import { shaderFile } from './shader-library';
import { locateLine, type ComposedProgram } from './wgsl';

const moduleCache = new WeakMap<GPUDevice, Map<string, Promise<GPUShaderModule>>>();
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

function cacheFor<T>(cache: WeakMap<GPUDevice, Map<string, T>>, device: GPUDevice): Map<string, T> {
  let perDevice = cache.get(device);
  if (!perDevice) {
    perDevice = new Map();
    cache.set(device, perDevice);
  }
  return perDevice;
}

async function compile(device: GPUDevice, program: ComposedProgram, label: string): Promise<GPUShaderModule> {
  const module = device.createShaderModule({ label, code: program.code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    throw new ShaderCompilationError(
      label,
      errors.map((m) => {
        const where = locateLine(program, m.lineNum);
        return {
          type: m.type,
          file: shaderFile(where.module),
          line: where.line,
          column: m.linePos,
          message: m.message,
        };
      }),
    );
  }
  return module;
}

/** The compiled shader module for a program (compiled once per device). */
export function shaderModule(
  device: GPUDevice,
  program: ComposedProgram,
  label: string,
): Promise<GPUShaderModule> {
  const cache = cacheFor(moduleCache, device);
  let module = cache.get(program.key);
  if (!module) {
    module = compile(device, program, label);
    // A failed compile is not cached: the caller may fix its inputs and try again.
    module.catch(() => cache.delete(program.key));
    cache.set(program.key, module);
  }
  return module;
}

/** A compute pipeline for one entry point of a program, with an automatic bind group layout. */
export function computePipeline(
  device: GPUDevice,
  program: ComposedProgram,
  entryPoint: string,
  label: string = entryPoint,
): Promise<GPUComputePipeline> {
  const cache = cacheFor(pipelineCache, device);
  const key = `${entryPoint}\u0000${program.key}`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    pipeline = shaderModule(device, program, label).then(async (module) => {
      try {
        return await device.createComputePipelineAsync({
          label,
          layout: 'auto',
          compute: { module, entryPoint },
        });
      } catch (error) {
        throw new WebGpuError(
          `could not create pipeline ${label} (${entryPoint}): ${(error as Error).message}`,
        );
      }
    });
    pipeline.catch(() => cache.delete(key));
    cache.set(key, pipeline);
  }
  return pipeline;
}

/** A bind group for group 0 of a pipeline with its buffers bound in binding order. */
export function bindBuffers(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  label: string,
  buffers: readonly (GPUBuffer | { binding: number; buffer: GPUBuffer })[],
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((entry, index) =>
      'binding' in entry
        ? { binding: entry.binding, resource: { buffer: entry.buffer } }
        : { binding: index, resource: { buffer: entry } },
    ),
  });
}
