/**
 * What the PSIS tail passes (src/gpu/tail-select.ts, src/gpu/tail-moments.ts) share: the program a caller
 * hands in to define the values, the options and the small helpers both passes use.
 *
 * A program is handed in the way a model is put into the engine's kernels (src/models/gpu-data.ts): its
 * WGSL as module "tail_program", the modules and aliases it needs, its constants, and its bind groups at
 * @group(1) and up (the tail kernels own @group(0)). The engine's program regenerates draw i from the
 * counter-based RNG and returns log p - log q (see the contract in shaders/psis/tail_select.wgsl).
 */
import type { GpuContext } from './device';
import type { BindingKind } from './pipelines';
import { MAX_SELECT_COUNT } from './radix-select';
import { composeProgram, reducePathFor, type ReducePath } from './shader-library';
import type { WgslConstant } from './wgsl';

/** What a program supplies to the tail passes (see the header of shaders/psis/tail_select.wgsl). */
export interface TailProgram {
  /** For GPU object labels and errors. */
  readonly label: string;
  /**
   * WGSL of module "tail_program": fn tail_setup(), fn tail_value(i: u32) -> f32, and for TailMoments
   * fn tail_reported(i: u32, out: ptr<function, array<vec4<f32>, RV>>). It may `// requires:` library
   * modules and the modules in extraSources.
   */
  readonly source: string;
  readonly extraSources?: Readonly<Record<string, string>>;
  readonly aliases?: Readonly<Record<string, string>>;
  readonly constants?: Readonly<Record<string, WgslConstant>>;
  /** The binding kinds of the program's bind groups: groups[0] is @group(1), groups[1] is @group(2), ... */
  readonly groups: readonly (readonly BindingKind[])[];
  /** The program's bind groups for a pipeline built with those layouts, in group order from @group(1). */
  bindGroups(pipeline: GPUComputePipeline): readonly GPUBindGroup[];
}

export interface TailPassOptions {
  /** The largest S the instance serves, at most 2^24: its buffers are sized for it, not for each S. */
  readonly maxCount?: number;
  readonly workgroupSize?: number;
  /** Workgroups per pass at most (each thread loops over the values); default 32 on a CPU adapter, else 1024. */
  readonly maxWorkgroups?: number;
  /** Force a reduction path; the default uses subgroups where the device has them. */
  readonly path?: ReducePath;
}

const DEFAULT_MAX_COUNT = MAX_SELECT_COUNT;
const DEFAULT_WORKGROUP_SIZE = 128;
/**
 * Workgroups per pass at most. Each workgroup zeroes and merges a 2048-bin histogram: nothing on a GPU,
 * but on a CPU adapter (SwiftShader, 2 cores) a pass over 10^6 values took 1.0-2.8 s with 1024 workgroups
 * and 0.1-0.2 s with 32 (grid-stride loops make any count correct).
 */
const GPU_MAX_WORKGROUPS = 1024;
const CPU_MAX_WORKGROUPS = 32;
/** Bytes of one SumPair (two vec4<f32>). */
export const SUM_PAIR_BYTES = 32;
/** Constants the tail kernels define themselves. */
const RESERVED_CONSTANTS = ['WG_SIZE', 'REDUCE_V4', 'TAIL_BINS'];
const MAP_READ = 0x0001;

/** A struct of 4-byte fields as bytes: u32 fields, or f32 for those named in `floats`. */
export function packStruct<F extends string>(
  fields: readonly F[],
  values: Partial<Record<F, number>>,
  floats: readonly string[] = [],
): ArrayBuffer {
  const bytes = new ArrayBuffer(fields.length * 4);
  const view = new DataView(bytes);
  fields.forEach((field, k) => {
    const value = values[field] ?? 0;
    if (floats.includes(field)) view.setFloat32(4 * k, value, true);
    else view.setUint32(4 * k, value >>> 0, true);
  });
  return bytes;
}

export interface ResolvedPassOptions {
  readonly maxCount: number;
  readonly workgroupSize: number;
  readonly maxWorkgroups: number;
  readonly path: ReducePath;
}

/** The options with their defaults, checked; also checks the program's bind groups and constants. */
export function resolvePassOptions(ctx: GpuContext, program: TailProgram, options: TailPassOptions) {
  const resolved: ResolvedPassOptions = {
    maxCount: options.maxCount ?? DEFAULT_MAX_COUNT,
    workgroupSize: options.workgroupSize ?? DEFAULT_WORKGROUP_SIZE,
    maxWorkgroups: options.maxWorkgroups ?? (ctx.adapter.isCpu ? CPU_MAX_WORKGROUPS : GPU_MAX_WORKGROUPS),
    path: options.path ?? reducePathFor(ctx.features),
  };
  const { maxCount, workgroupSize, maxWorkgroups } = resolved;
  if (!Number.isInteger(maxCount) || maxCount < 1 || maxCount > MAX_SELECT_COUNT) {
    throw new RangeError(`maxCount: expected an integer in [1, 2^24], got ${maxCount}`);
  }
  if (!Number.isInteger(workgroupSize) || workgroupSize < 32 || (workgroupSize & (workgroupSize - 1)) !== 0) {
    throw new RangeError(`workgroupSize: expected a power of two >= 32, got ${workgroupSize}`);
  }
  if (!Number.isInteger(maxWorkgroups) || maxWorkgroups < 1 || maxWorkgroups > 65535) {
    throw new RangeError(`maxWorkgroups: expected an integer in [1, 65535], got ${maxWorkgroups}`);
  }
  if (resolved.path === 'subgroups' && !ctx.features.subgroups) {
    throw new Error('the subgroup reduction path needs a device with the subgroups feature');
  }
  if (program.groups.length > 3) {
    throw new RangeError(
      `${program.label}: at most 3 bind groups (@group(1..3)), got ${program.groups.length}`,
    );
  }
  for (const name of RESERVED_CONSTANTS) {
    if (program.constants && name in program.constants) {
      throw new RangeError(`${program.label}: constant ${name} is set by the tail kernels, not the program`);
    }
  }
  return resolved;
}

/** One of the tail kernels composed with the program (module "tail_program") and the pass's constants. */
export function composeTail(
  kernel: 'psis/tail_select' | 'psis/tail_moments',
  program: TailProgram,
  options: ResolvedPassOptions,
  constants: Readonly<Record<string, WgslConstant>>,
) {
  return composeProgram({
    modules: [kernel],
    extraSources: { ...program.extraSources, tail_program: program.source },
    ...(program.aliases ? { aliases: program.aliases } : {}),
    reducePath: options.path,
    constants: { ...program.constants, WG_SIZE: options.workgroupSize, ...constants },
  });
}

/** Reads the first `size` bytes of a MAP_READ buffer (once the queue has written them), then unmaps it. */
export async function readStaging(staging: GPUBuffer, size: number): Promise<ArrayBuffer> {
  await staging.mapAsync(MAP_READ, 0, size);
  try {
    return staging.getMappedRange(0, size).slice(0);
  } finally {
    staging.unmap();
  }
}

/** Binds the program's groups at @group(1) and up. */
export function setProgramGroups(
  pass: GPUComputePassEncoder,
  program: TailProgram,
  pipeline: GPUComputePipeline,
): void {
  program.bindGroups(pipeline).forEach((group, n) => pass.setBindGroup(n + 1, group));
}
