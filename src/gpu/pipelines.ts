/**
 * Shader modules and compute pipelines, compiled once per device and cached by the composed source.
 * Compiler errors are raised as ShaderCompilationError located in the module files.
 */
import { ShaderCompilationError, WebGpuError } from './errors';
import { shaderFile } from './shader-library';
import { locateLine, sourceOf, type ComposedProgram } from './wgsl';

const moduleCache = new WeakMap<GPUDevice, Map<string, Promise<GPUShaderModule>>>();
const layoutCache = new WeakMap<GPUDevice, Map<string, GPUPipelineLayout>>();
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
  // In an error scope: a refused module is reported once, below, located in its module file, and is not left
  // on the device as an uncaptured error (which Dawn prints raw and which would fail the fit).
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code: program.code });
  const scope = device.popErrorScope();
  const info = await module.getCompilationInfo();
  await scope;
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    throw new ShaderCompilationError(
      label,
      errors.map((m) => {
        const where = locateLine(program, m.lineNum);
        const source = sourceOf(program, m.lineNum);
        return {
          ...(source ? { source } : {}),
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

/** How a binding is declared in WGSL: var<uniform>, var<storage, read>, var<storage, read_write>. */
export type BindingKind = 'uniform' | 'read' | 'read_write';

const BUFFER_TYPE: Record<BindingKind, GPUBufferBindingType> = {
  uniform: 'uniform',
  read: 'read-only-storage',
  read_write: 'storage',
};

/**
 * An explicit pipeline layout, one list of binding kinds per bind group (cached per device). Needed where
 * a kernel may not use every binding of a group: 'auto' layouts drop unused bindings, so a model whose
 * model_constrain never reads its data would get an empty group 1.
 */
export function pipelineLayout(
  device: GPUDevice,
  groups: readonly (readonly BindingKind[])[],
): GPUPipelineLayout {
  const cache = cacheFor(layoutCache, device);
  const signature = groups.map((g) => g.join(',')).join('|');
  let layout = cache.get(signature);
  if (!layout) {
    layout = device.createPipelineLayout({
      label: `layout ${signature}`,
      bindGroupLayouts: groups.map((kinds, group) =>
        device.createBindGroupLayout({
          label: `group ${group}: ${kinds.join(',')}`,
          entries: kinds.map((kind, binding) => ({
            binding,
            visibility: 0x4, // GPUShaderStage.COMPUTE
            buffer: { type: BUFFER_TYPE[kind] },
          })),
        }),
      ),
    });
    cache.set(signature, layout);
  }
  return layout;
}

/**
 * A compute pipeline for one entry point of a program: with an automatic bind group layout, or with the
 * explicit one given as binding kinds per group.
 */
export function computePipeline(
  device: GPUDevice,
  program: ComposedProgram,
  entryPoint: string,
  label: string = entryPoint,
  groups?: readonly (readonly BindingKind[])[],
): Promise<GPUComputePipeline> {
  const cache = cacheFor(pipelineCache, device);
  const layoutKey = groups ? groups.map((g) => g.join(',')).join('|') : 'auto';
  const key = `${entryPoint}\u0000${layoutKey}\u0000${program.key}`;
  let pipeline = cache.get(key);
  if (!pipeline) {
    const layout = groups ? pipelineLayout(device, groups) : 'auto';
    pipeline = shaderModule(device, program, label).then(async (module) => {
      try {
        return await device.createComputePipelineAsync({
          label,
          layout,
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
