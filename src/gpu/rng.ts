/**
 * GPU passes over shaders/rng/philox.wgsl: fill buffers with normals or uniforms, and run Philox on a
 * batch of (counter, key) pairs. Each pass records commands into an encoder; it never submits.
 */
import { createBuffer, gridStrideWorkgroups, STORAGE, UniformArena } from './buffers';
import type { GpuContext } from './device';
import { bindBuffers, computePipeline } from './pipelines';
import { composeProgram } from './shader-library';

const WG_SIZE = 256;
/** Workgroups per fill dispatch: enough to keep any GPU busy, each thread then loops. */
const FILL_WORKGROUP_CAP = 4096;

export type FillDistribution = 'normal' | 'uniform';

/** Writes `count` (a multiple of 4) standard normals or (0,1) uniforms into a storage buffer. */
export class RandomFill {
  private readonly params: UniformArena;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly pipeline: GPUComputePipeline,
  ) {
    this.params = new UniformArena(ctx.device, 'rng fill params', 16);
  }

  static async create(ctx: GpuContext, distribution: FillDistribution): Promise<RandomFill> {
    const program = composeProgram({ modules: ['kernels/rng_fill'], constants: { WG_SIZE } });
    const entry = distribution === 'normal' ? 'fill_normals' : 'fill_uniforms';
    return new RandomFill(ctx, await computePipeline(ctx.device, program, entry, `rng ${entry}`));
  }

  /**
   * Records the fill; `key` is the seed as two 32-bit words, `stream` separates independent fills. Each
   * recorded fill has its own parameters, so several may go into one submit.
   */
  encode(
    encoder: GPUCommandEncoder,
    out: GPUBuffer,
    count: number,
    key: readonly [number, number],
    stream = 0,
  ) {
    if (count % 4 !== 0) throw new RangeError(`count must be a multiple of 4, got ${count}`);
    const blocks = count / 4;
    const params = this.params.take(new Uint32Array([blocks, stream, key[0], key[1]]));
    const pass = encoder.beginComputePass({ label: 'rng fill' });
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, bindBuffers(this.ctx.device, this.pipeline, 'rng fill', [params, out]));
    pass.dispatchWorkgroups(gridStrideWorkgroups(blocks, WG_SIZE, FILL_WORKGROUP_CAP));
    pass.end();
  }

  /** Call once the fills recorded so far have run (their parameter buffers are then reused). */
  recycle(): void {
    this.params.recycle();
  }

  destroy(): void {
    this.params.destroy();
  }
}

/** Philox4x32-10 of each (counter, key) pair: `inputs` holds 8 words per pair (counter, key, 2 unused). */
export async function philoxBatch(ctx: GpuContext, inputs: Uint32Array): Promise<GPUBuffer> {
  if (inputs.length % 8 !== 0) throw new RangeError('inputs must hold 8 u32 per pair');
  const pairs = inputs.length / 8;
  const program = composeProgram({ modules: ['kernels/philox_batch'], constants: { WG_SIZE: 64 } });
  const pipeline = await computePipeline(ctx.device, program, 'philox_batch');
  const input = createBuffer(ctx.device, { label: 'philox inputs', usage: STORAGE, data: inputs });
  const words = createBuffer(ctx.device, { label: 'philox words', usage: STORAGE, size: pairs * 16 });
  const encoder = ctx.device.createCommandEncoder({ label: 'philox batch' });
  const pass = encoder.beginComputePass({ label: 'philox batch' });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(ctx.device, pipeline, 'philox batch', [input, words]));
  pass.dispatchWorkgroups(gridStrideWorkgroups(pairs, 64));
  pass.end();
  ctx.device.queue.submit([encoder.finish()]);
  input.destroy();
  return words;
}
