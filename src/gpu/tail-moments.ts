/**
 * The PSIS-weighted means and sds of the reported values of S draws that a program recomputes on demand
 * (shaders/psis/tail_moments.wgsl): each draw gets its raw importance weight exp(v - max), or in the tail
 * its Pareto-smoothed weight (from psisFromTail on a TailSelect result), found by its index. GPU memory is
 * fixed by maxCount (and rowBytes), whatever S is.
 */
import { BufferUsage, createBuffer, gridStrideWorkgroups, STORAGE, UNIFORM } from './buffers';
import type { GpuContext } from './device';
import { computePipeline, type BindingKind } from './pipelines';
import {
  composeTail,
  packStruct,
  readStaging,
  resolvePassOptions,
  setProgramGroups,
  SUM_PAIR_BYTES,
  type ResolvedPassOptions,
  type TailPassOptions,
  type TailProgram,
} from './tail-program';
import { psisTailLength } from '../math/psis-tail';

/** MomentParams of shaders/psis/tail_moments.wgsl in field order (checked by test/unit/tail-layout.test.ts). */
export const MOMENT_PARAMS_FIELDS = [
  'count',
  'tail_count',
  'max_value',
  'partial_count',
  'batch_first',
  'accumulate',
] as const;
const MOMENT_PARAMS_F32: readonly string[] = ['max_value'];

const MOMENTS_GROUP0: readonly BindingKind[] = [
  'uniform',
  'read',
  'read',
  'read',
  'read_write',
  'read_write',
  'read_write',
  'read_write',
];

/**
 * Reported vec4 blocks one thread sums at a time (MOMENT_CHUNK): 32 blocks make 65 compensated slots, 2 kB of
 * function memory; a model with more reported values takes more chunks, which read the draws' rows from a
 * buffer that a first pass fills for a batch of draws at a time (each draw computed once).
 */
const MAX_MOMENT_CHUNK = 32;
/**
 * Bytes of the rows buffer at most (default; capped by the device's storage binding size): 64 MiB holds
 * 7400 draws of dogs' 2253 reported values, so 10^5 draws take 14 batches.
 */
const DEFAULT_ROW_BYTES = 64 * 2 ** 20;

export interface TailMomentsOptions extends TailPassOptions {
  /** The rows buffer's size at most, in bytes (used when the reported values take more than one chunk). */
  readonly rowBytes?: number;
}
function momentChunk(rv: number): number {
  return Math.min(rv, MAX_MOMENT_CHUNK);
}

/** The tail's smoothed weights as psisFromTail gives them (max, tailIndices, tailRelativeLogWeights). */
export interface TailWeights {
  /** The largest log ratio: body draws get exp(v - max). */
  readonly max: number;
  /** Draw indices of the smoothed tail (any order). */
  readonly indices: Uint32Array;
  /** Their log weights relative to max (<= 0), same order. */
  readonly relativeLogWeights: Float64Array;
}

export interface TailMomentsResult {
  /** The sum of the weights, relative to exp(max). */
  readonly sumWeights: number;
  /** PSIS-weighted mean of each reported value (R of them). */
  readonly mean: Float64Array;
  /** PSIS-weighted sd (population form, as psisCorrectedMoments). */
  readonly sd: Float64Array;
}

/**
 * The weighted-moment pass: recomputes every draw, weighs it by its raw weight exp(v - max) or, in the
 * tail, its Pareto-smoothed weight, and sums w, w (r - c) and w (r - c)^2 for the R reported values the
 * program gives (fn tail_reported). The program's constants must include R and RV.
 */
export class TailMoments {
  readonly allocatedBytes: number;
  readonly reported: number;
  private readonly slots: number;
  /** Reported blocks per chunk (shaders/psis/tail_moments.wgsl, MOMENT_CHUNK), and the chunks. */
  private readonly chunk: number;
  private readonly chunks: number;
  /** Draws per batch: all of maxCount unless rows are used (more than one chunk). */
  private readonly batch: number;
  private readonly maxTail: number;
  private readonly buffers: {
    params: GPUBuffer;
    indices: GPUBuffer;
    weights: GPUBuffer;
    centers: GPUBuffer;
    partials: GPUBuffer;
    totals: GPUBuffer;
    rows: GPUBuffer;
    rowWeights: GPUBuffer;
    staging: GPUBuffer;
  };
  private readonly group0: { moments: GPUBindGroup; partials: GPUBindGroup; rows?: GPUBindGroup };

  private constructor(
    private readonly ctx: GpuContext,
    private readonly program: TailProgram,
    private readonly options: ResolvedPassOptions,
    reported: number,
    private readonly momentsPipeline: GPUComputePipeline,
    private readonly partialsPipeline: GPUComputePipeline,
    private readonly rowsPipeline: GPUComputePipeline | undefined,
    batch: number,
  ) {
    const { device } = ctx;
    const label = `${program.label} tail moments`;
    this.reported = reported;
    const rv = Math.ceil(reported / 4);
    this.slots = 1 + 2 * rv;
    this.chunk = momentChunk(rv);
    this.chunks = Math.ceil(rv / this.chunk);
    this.batch = batch;
    this.maxTail = psisTailLength(options.maxCount);
    this.buffers = {
      params: createBuffer(device, {
        label: `${label} params`,
        usage: UNIFORM,
        size: MOMENT_PARAMS_FIELDS.length * 4,
      }),
      indices: createBuffer(device, { label: `${label} indices`, usage: STORAGE, size: this.maxTail * 4 }),
      weights: createBuffer(device, { label: `${label} weights`, usage: STORAGE, size: this.maxTail * 4 }),
      centers: createBuffer(device, { label: `${label} centers`, usage: STORAGE, size: rv * 16 }),
      partials: createBuffer(device, {
        label: `${label} partials`,
        usage: STORAGE,
        size: options.maxWorkgroups * this.chunks * (1 + 2 * this.chunk) * SUM_PAIR_BYTES,
      }),
      totals: createBuffer(device, {
        label: `${label} totals`,
        usage: STORAGE,
        size: this.slots * SUM_PAIR_BYTES,
      }),
      rows: createBuffer(device, {
        label: `${label} rows`,
        usage: STORAGE,
        size: rowsPipeline ? batch * rv * 16 : 16,
      }),
      rowWeights: createBuffer(device, {
        label: `${label} row weights`,
        usage: STORAGE,
        size: rowsPipeline ? batch * 4 : 16,
      }),
      staging: device.createBuffer({
        label: `${label} staging`,
        size: this.slots * SUM_PAIR_BYTES,
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      }),
    };
    this.allocatedBytes = Object.values(this.buffers).reduce((sum, b) => sum + b.size, 0);
    const entries = [
      this.buffers.params,
      this.buffers.indices,
      this.buffers.weights,
      this.buffers.centers,
      this.buffers.partials,
      this.buffers.totals,
      this.buffers.rows,
      this.buffers.rowWeights,
    ].map((buffer, binding) => ({ binding, resource: { buffer } }));
    this.group0 = {
      moments: device.createBindGroup({
        label: `${label} group 0`,
        layout: momentsPipeline.getBindGroupLayout(0),
        entries,
      }),
      partials: device.createBindGroup({
        label: `${label} partials group 0`,
        layout: partialsPipeline.getBindGroupLayout(0),
        entries,
      }),
      ...(rowsPipeline
        ? {
            rows: device.createBindGroup({
              label: `${label} rows group 0`,
              layout: rowsPipeline.getBindGroupLayout(0),
              entries,
            }),
          }
        : {}),
    };
  }

  static async create(
    ctx: GpuContext,
    program: TailProgram,
    options: TailMomentsOptions = {},
  ): Promise<TailMoments> {
    const resolved = resolvePassOptions(ctx, program, options);
    const R = program.constants?.R;
    const RV = program.constants?.RV;
    const r = typeof R === 'object' ? R.value : R;
    const rv = typeof RV === 'object' ? RV.value : RV;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || rv !== Math.ceil(r / 4)) {
      throw new RangeError(
        `${program.label}: the program's constants must set R (reported values, >= 1) and RV = ceil(R / 4), got R = ${String(r)}, RV = ${String(rv)}`,
      );
    }
    const chunk = momentChunk(rv);
    const rows = rv > chunk;
    const rowBytes = Math.min(
      options.rowBytes ?? DEFAULT_ROW_BYTES,
      ctx.device.limits.maxStorageBufferBindingSize,
    );
    if (!Number.isInteger(rowBytes) || rowBytes < rv * 16) {
      throw new RangeError(`rowBytes: expected an integer >= ${rv * 16} (one draw's row), got ${rowBytes}`);
    }
    const batch = rows ? Math.min(resolved.maxCount, Math.floor(rowBytes / (rv * 16))) : resolved.maxCount;
    const code = composeTail('psis/tail_moments', program, resolved, {
      MOMENT_CHUNK: chunk,
      MOMENT_CHUNKS: Math.ceil(rv / chunk),
      REDUCE_V4: 1 + 2 * chunk,
      MOMENT_ROWS: rows,
    });
    const [moments, partials, rowsPipeline] = await Promise.all([
      computePipeline(ctx.device, code, 'tail_moments', `${program.label} tail_moments`, [
        MOMENTS_GROUP0,
        ...program.groups,
      ]),
      computePipeline(ctx.device, code, 'tail_moments_partials', `${program.label} tail_moments_partials`, [
        MOMENTS_GROUP0,
      ]),
      rows
        ? computePipeline(ctx.device, code, 'tail_moments_rows', `${program.label} tail_moments_rows`, [
            MOMENTS_GROUP0,
            ...program.groups,
          ])
        : undefined,
    ]);
    return new TailMoments(ctx, program, resolved, r, moments, partials, rowsPipeline, batch);
  }

  /**
   * PSIS-weighted means and sds of the reported values of draws 0 .. count-1. `centers` (one per reported
   * value; default 0) is subtracted before squaring: pass q's means so the f32 sums do not cancel.
   */
  async run(count: number, weights: TailWeights, centers?: ArrayLike<number>): Promise<TailMomentsResult> {
    const { device } = this.ctx;
    const { buffers, reported } = this;
    if (!Number.isInteger(count) || count < 1 || count > this.options.maxCount) {
      throw new RangeError(
        `count: expected an integer in [1, ${this.options.maxCount}] (maxCount), got ${count}`,
      );
    }
    const tail = weights.indices.length;
    if (tail > this.maxTail || weights.relativeLogWeights.length !== tail) {
      throw new RangeError(
        `weights: expected at most ${this.maxTail} tail indices with one log weight each, got ${tail} and ${weights.relativeLogWeights.length}`,
      );
    }
    if (!Number.isFinite(weights.max)) {
      throw new RangeError(`weights.max: expected the finite largest log ratio, got ${weights.max}`);
    }
    if (centers && centers.length !== reported) {
      throw new RangeError(
        `centers: expected ${reported} values (one per reported value), got ${centers.length}`,
      );
    }
    const order = Array.from({ length: tail }, (_, k) => k).sort(
      (a, b) => (weights.indices[a] as number) - (weights.indices[b] as number),
    );
    const rv = Math.ceil(reported / 4);
    const centerValues = new Float32Array(rv * 4);
    for (let j = 0; j < reported; j++) centerValues[j] = centers ? (centers[j] as number) : 0;
    if (tail > 0) {
      device.queue.writeBuffer(
        buffers.indices,
        0,
        Uint32Array.from(order, (k) => weights.indices[k] as number),
      );
      device.queue.writeBuffer(
        buffers.weights,
        0,
        Float32Array.from(order, (k) => Math.exp(weights.relativeLogWeights[k] as number)),
      );
    }
    device.queue.writeBuffer(buffers.centers, 0, centerValues);
    // Every batch dispatches the same workgroups, so that each adds into the same partials.
    const workgroups = gridStrideWorkgroups(
      Math.min(count, this.batch),
      this.options.workgroupSize,
      this.options.maxWorkgroups,
    );
    for (let first = 0; first < count; first += this.batch) {
      const params = packStruct(
        MOMENT_PARAMS_FIELDS,
        {
          count: Math.min(this.batch, count - first),
          tail_count: tail,
          max_value: weights.max,
          partial_count: workgroups,
          batch_first: first,
          accumulate: first > 0 ? 1 : 0,
        },
        MOMENT_PARAMS_F32,
      );
      // One submit per batch: the queue writes its params after the previous batch's passes ran.
      device.queue.writeBuffer(buffers.params, 0, params);
      const encoder = device.createCommandEncoder({ label: `${this.program.label} tail moments` });
      if (this.rowsPipeline && this.group0.rows) {
        this.programPass(encoder, 'tail_moments_rows', this.rowsPipeline, this.group0.rows, workgroups, 1);
      }
      this.programPass(
        encoder,
        'tail_moments',
        this.momentsPipeline,
        this.group0.moments,
        workgroups,
        this.chunks,
      );
      device.queue.submit([encoder.finish()]);
    }
    const encoder = device.createCommandEncoder({ label: `${this.program.label} tail moments totals` });
    const second = encoder.beginComputePass({ label: `${this.program.label} tail_moments_partials` });
    second.setPipeline(this.partialsPipeline);
    second.setBindGroup(0, this.group0.partials);
    second.dispatchWorkgroups(this.chunks);
    second.end();
    encoder.copyBufferToBuffer(buffers.totals, 0, buffers.staging, 0, this.slots * SUM_PAIR_BYTES);
    device.queue.submit([encoder.finish()]);
    const totals = new Float32Array(await readStaging(buffers.staging, this.slots * SUM_PAIR_BYTES));
    // SumPair slot s: hi = totals[8 s .. 8 s + 3], lo = totals[8 s + 4 .. 8 s + 7].
    const lane = (slot: number, l: number) =>
      (totals[8 * slot + l] as number) + (totals[8 * slot + 4 + l] as number);
    const sumWeights = lane(0, 0);
    const mean = new Float64Array(reported);
    const sd = new Float64Array(reported);
    for (let j = 0; j < reported; j++) {
      const slot = Math.floor(j / 4);
      const l = j % 4;
      const first = lane(1 + slot, l) / sumWeights;
      const second = lane(1 + rv + slot, l) / sumWeights;
      mean[j] = centerValues[j]! + first;
      sd[j] = Math.sqrt(Math.max(second - first * first, 0));
    }
    return { sumWeights, mean, sd };
  }

  /** One pass of a kernel that runs the program (its bind groups at @group(1) and up). */
  private programPass(
    encoder: GPUCommandEncoder,
    entry: string,
    pipeline: GPUComputePipeline,
    group0: GPUBindGroup,
    x: number,
    y: number,
  ): void {
    const pass = encoder.beginComputePass({ label: `${this.program.label} ${entry}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group0);
    setProgramGroups(pass, this.program, pipeline);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
  }
}
