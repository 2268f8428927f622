/**
 * Column sums of a row-major f32 matrix on the GPU (shaders/kernels/reduce_sum.wgsl): a grid-stride pass
 * to per-workgroup partials, then one workgroup that sums the partials in a fixed order. Same inputs and
 * device give bitwise-identical sums.
 */
import { createBuffer, gridStrideWorkgroups, STORAGE, UniformArena } from './buffers';
import type { GpuContext } from './device';
import { bindBuffers, computePipeline } from './pipelines';
import { composeProgram, reducePathFor, type ReducePath } from './shader-library';

export interface ColumnSumOptions {
  /** Columns reduced at once (K); 1 to 256. */
  readonly columns: number;
  readonly workgroupSize?: number;
  /** Upper bound on first-pass workgroups (each thread then loops over rows). */
  readonly maxWorkgroups?: number;
  /** Force a reduction path; the default uses subgroups where the device has them. */
  readonly path?: ReducePath;
}

export class ColumnSum {
  readonly path: ReducePath;
  private readonly slots: number;
  private readonly params: UniformArena;
  private readonly partials: GPUBuffer;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly options: Required<ColumnSumOptions>,
    private readonly rowsPipeline: GPUComputePipeline,
    private readonly partialsPipeline: GPUComputePipeline,
  ) {
    this.path = options.path;
    this.slots = Math.ceil(options.columns / 4);
    this.params = new UniformArena(ctx.device, 'column sum params', 8);
    this.partials = createBuffer(ctx.device, {
      label: 'column sum partials',
      usage: STORAGE,
      size: options.maxWorkgroups * this.slots * 32, // one SumPair (2 vec4) per slot
    });
  }

  static async create(ctx: GpuContext, options: ColumnSumOptions): Promise<ColumnSum> {
    const { columns } = options;
    if (!Number.isInteger(columns) || columns < 1 || columns > 256) {
      throw new RangeError(`columns must be an integer in [1, 256], got ${columns}`);
    }
    const resolved: Required<ColumnSumOptions> = {
      columns,
      workgroupSize: options.workgroupSize ?? 256,
      maxWorkgroups: options.maxWorkgroups ?? 1024,
      path: options.path ?? reducePathFor(ctx.features),
    };
    if (resolved.path === 'subgroups' && !ctx.features.subgroups) {
      throw new Error('the subgroup reduction path needs a device with the subgroups feature');
    }
    const program = composeProgram({
      modules: ['kernels/reduce_sum'],
      constants: { WG_SIZE: resolved.workgroupSize, REDUCE_K: columns, REDUCE_V4: Math.ceil(columns / 4) },
      reducePath: resolved.path,
    });
    const [rows, partials] = await Promise.all([
      computePipeline(ctx.device, program, 'reduce_rows', `column sum rows (${resolved.path})`),
      computePipeline(ctx.device, program, 'reduce_partials', `column sum partials (${resolved.path})`),
    ]);
    return new ColumnSum(ctx, resolved, rows, partials);
  }

  /** Bytes of the totals buffer: ceil(K / 4) vec4s; column k is element k of it as f32. */
  get totalsBytes(): number {
    return this.slots * 16;
  }

  /**
   * Records both passes; `values` holds rows * K f32, `totals` receives K sums (padded to a vec4). Each
   * recorded sum has its own parameters, so several may go into one submit (the passes run in order, so
   * they can share the partials buffer).
   */
  encode(encoder: GPUCommandEncoder, values: GPUBuffer, rows: number, totals: GPUBuffer): void {
    const { device } = this.ctx;
    const workgroups = gridStrideWorkgroups(rows, this.options.workgroupSize, this.options.maxWorkgroups);
    const params = this.params.take(new Uint32Array([rows, workgroups]));
    const { partials } = this;
    const first = encoder.beginComputePass({ label: 'column sum rows' });
    first.setPipeline(this.rowsPipeline);
    first.setBindGroup(
      0,
      bindBuffers(device, this.rowsPipeline, 'column sum rows', [params, values, partials]),
    );
    first.dispatchWorkgroups(workgroups);
    first.end();
    const second = encoder.beginComputePass({ label: 'column sum partials' });
    second.setPipeline(this.partialsPipeline);
    second.setBindGroup(
      0,
      bindBuffers(device, this.partialsPipeline, 'column sum partials', [
        params,
        { binding: 2, buffer: partials },
        { binding: 3, buffer: totals },
      ]),
    );
    second.dispatchWorkgroups(1);
    second.end();
  }

  /** Call once the sums recorded so far have run (their parameter buffers are then reused). */
  recycle(): void {
    this.params.recycle();
  }

  destroy(): void {
    this.params.destroy();
    this.partials.destroy();
  }
}
