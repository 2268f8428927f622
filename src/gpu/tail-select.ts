/**
 * PSIS from millions of draws without storing them: the largest values of S values that a WGSL program
 * recomputes on demand (`fn tail_value(i: u32) -> f32`), their maximum and the sums the importance
 * weights need, with GPU memory fixed by `maxCount` whatever S is (shaders/psis/tail_select.wgsl); and the
 * PSIS-weighted means and sds of the draws' reported values (shaders/psis/tail_moments.wgsl).
 *
 * A program is handed in the way a model is put into the engine's kernels (src/models/gpu-data.ts): its
 * WGSL as a module, the modules and aliases it needs, its constants, and its bind groups at @group(1) and
 * up. The engine's program regenerates draw i from the counter-based RNG and returns log p - log q.
 *
 * The selection is an exact radix select (src/gpu/radix-select.ts): a first pass over the values computes
 * their maximum, counts the invalid (NaN, +inf) and -inf ones and histograms the top digit of their order
 * keys; one more histogram pass narrows the bin that holds the (M + 1)-th largest (rarely more: ties go on
 * to the draw index); a compaction pass copies the few values at or above that edge and sums exp(v - max)
 * and its square over the others. The host sorts the candidates: the result is a TailSummary that
 * psisFromTail (src/vi/diagnostics/psis.ts) takes as it is.
 */
import { BufferUsage, createBuffer, gridStrideWorkgroups, STORAGE, UNIFORM } from './buffers';
import type { GpuContext } from './device';
import { WebGpuError } from './errors';
import { computePipeline, type BindingKind } from './pipelines';
import {
  f32FromOrderKey,
  f32OrderKey,
  MAX_SELECT_COUNT,
  nextStep,
  RADIX_BINS,
  START_STATE,
  TAIL_DIGITS,
  type RadixEdge,
  type RadixSelectState,
} from './radix-select';
import { composeProgram, reducePathFor, type ReducePath } from './shader-library';
import type { WgslConstant } from './wgsl';
import { psisSummarySize, psisTailLength, type TailSummary } from '../vi/diagnostics/psis';

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

export interface TailSelectOptions extends TailPassOptions {
  /**
   * Candidate buffer entries; default 2 (M + 1) + 2048 for maxCount. At least M + 1: smaller capacities
   * only cost more passes over the values.
   */
  readonly capacity?: number;
}

/** The result of a selection: a TailSummary (for psisFromTail) and what else the passes learnt. */
export interface TailSelection extends TailSummary {
  /** S. */
  readonly count: number;
  /** The largest finite value (-Infinity when there is none). */
  readonly max: number;
  /** log of the sum of exp(v) over every value (weight-0 draws add nothing). */
  readonly logSumExp: number;
  /** The min(M + 1, S) largest values (or `need`), ascending by (value, index): loo's stable order. */
  readonly largest: Float64Array;
  readonly indices: Uint32Array;
  readonly restSumExp: number;
  readonly restSumExp2: number;
  /** NaN or +inf values (ranked as -inf, weight 0). */
  readonly invalidDraws: number;
  /** -inf values. */
  readonly negInfDraws: number;
  /** Passes over the S values (each recomputes them all): histograms plus the compaction. */
  readonly passes: number;
  /** Wall-clock milliseconds of each pass, submit to read-back (for benchmarks). */
  readonly passMs: readonly number[];
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
const SUM_PAIR_BYTES = 32;
/** Constants the tail kernels define themselves. */
const RESERVED_CONSTANTS = ['WG_SIZE', 'REDUCE_V4', 'TAIL_BINS'];
const MAP_READ = 0x0001;

/**
 * The uniform and state structs of the WGSL, declared once here in field order (every field 4 bytes; the
 * f32 ones named): test/unit/tail-layout.test.ts checks them against the WGSL source.
 */
export const TAIL_PARAMS_FIELDS = [
  'count',
  'mode',
  'first_pass',
  'capacity',
  'prefix_value',
  'prefix_value_mask',
  'prefix_index',
  'prefix_index_mask',
  'digit_source',
  'digit_shift',
  'digit_mask',
  'partial_count',
  'edge_value',
  'edge_index',
  'pad0',
  'pad1',
] as const;
export const TAIL_STATE_FIELDS = ['max_key', 'invalid', 'neg_inf', 'candidates'] as const;
export const MOMENT_PARAMS_FIELDS = ['count', 'tail_count', 'max_value', 'partial_count'] as const;
const MOMENT_PARAMS_F32: readonly string[] = ['max_value'];

/** A struct of 4-byte fields as bytes: u32 fields, or f32 for those named in `floats`. */
function packStruct<F extends string>(
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

const STATE_CANDIDATES = TAIL_STATE_FIELDS.indexOf('candidates');
const STATE_BYTES = TAIL_STATE_FIELDS.length * 4;

const SELECT_GROUP0: readonly BindingKind[] = [
  'uniform',
  'read_write',
  'read_write',
  'read_write',
  'read_write',
  'read_write',
];
const MOMENTS_GROUP0: readonly BindingKind[] = [
  'uniform',
  'read',
  'read',
  'read',
  'read_write',
  'read_write',
];

interface ResolvedPassOptions {
  readonly maxCount: number;
  readonly workgroupSize: number;
  readonly maxWorkgroups: number;
  readonly path: ReducePath;
}

function resolvePassOptions(ctx: GpuContext, program: TailProgram, options: TailPassOptions) {
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

function composeTail(
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
async function readStaging(staging: GPUBuffer, size: number): Promise<ArrayBuffer> {
  await staging.mapAsync(MAP_READ, 0, size);
  try {
    return staging.getMappedRange(0, size).slice(0);
  } finally {
    staging.unmap();
  }
}

function setProgramGroups(
  pass: GPUComputePassEncoder,
  program: TailProgram,
  pipeline: GPUComputePipeline,
): void {
  program.bindGroups(pipeline).forEach((group, n) => pass.setBindGroup(n + 1, group));
}

/** The tail selection: see the module comment. One instance per program; buffers fixed at creation. */
export class TailSelect {
  /** Bytes of every GPU buffer the instance holds (the same for every S up to maxCount). */
  readonly allocatedBytes: number;
  readonly capacity: number;
  readonly maxCount: number;
  private readonly buffers: {
    params: GPUBuffer;
    state: GPUBuffer;
    histogram: GPUBuffer;
    candidates: GPUBuffer;
    partials: GPUBuffer;
    totals: GPUBuffer;
    staging: GPUBuffer;
  };
  private readonly group0: { select: GPUBindGroup; partials: GPUBindGroup };

  private constructor(
    private readonly ctx: GpuContext,
    private readonly program: TailProgram,
    private readonly options: ResolvedPassOptions,
    capacity: number,
    private readonly selectPipeline: GPUComputePipeline,
    private readonly partialsPipeline: GPUComputePipeline,
  ) {
    const { device } = ctx;
    const label = `${program.label} tail select`;
    this.capacity = capacity;
    this.maxCount = options.maxCount;
    const histogramBytes = RADIX_BINS * 4;
    this.buffers = {
      params: createBuffer(device, {
        label: `${label} params`,
        usage: UNIFORM,
        size: TAIL_PARAMS_FIELDS.length * 4,
      }),
      state: createBuffer(device, {
        label: `${label} state`,
        usage: STORAGE,
        size: TAIL_STATE_FIELDS.length * 4,
      }),
      histogram: createBuffer(device, { label: `${label} histogram`, usage: STORAGE, size: histogramBytes }),
      candidates: createBuffer(device, { label: `${label} candidates`, usage: STORAGE, size: capacity * 8 }),
      partials: createBuffer(device, {
        label: `${label} partials`,
        usage: STORAGE,
        size: options.maxWorkgroups * SUM_PAIR_BYTES,
      }),
      totals: createBuffer(device, { label: `${label} totals`, usage: STORAGE, size: SUM_PAIR_BYTES }),
      staging: device.createBuffer({
        label: `${label} staging`,
        size: Math.max(histogramBytes + STATE_BYTES, STATE_BYTES + SUM_PAIR_BYTES + capacity * 8),
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      }),
    };
    this.allocatedBytes = Object.values(this.buffers).reduce((sum, b) => sum + b.size, 0);
    const entries = [
      this.buffers.params,
      this.buffers.state,
      this.buffers.histogram,
      this.buffers.candidates,
      this.buffers.partials,
      this.buffers.totals,
    ].map((buffer, binding) => ({ binding, resource: { buffer } }));
    this.group0 = {
      select: device.createBindGroup({
        label: `${label} group 0`,
        layout: selectPipeline.getBindGroupLayout(0),
        entries,
      }),
      partials: device.createBindGroup({
        label: `${label} partials group 0`,
        layout: partialsPipeline.getBindGroupLayout(0),
        entries,
      }),
    };
  }

  static async create(
    ctx: GpuContext,
    program: TailProgram,
    options: TailSelectOptions = {},
  ): Promise<TailSelect> {
    const resolved = resolvePassOptions(ctx, program, options);
    const need = psisSummarySize(resolved.maxCount);
    const capacity = options.capacity ?? 2 * need + RADIX_BINS;
    if (!Number.isInteger(capacity) || capacity < need) {
      throw new RangeError(`capacity: expected an integer >= ${need} (M + 1 for maxCount), got ${capacity}`);
    }
    const code = composeTail('psis/tail_select', program, resolved, { REDUCE_V4: 1, TAIL_BINS: RADIX_BINS });
    const [select, partials] = await Promise.all([
      computePipeline(ctx.device, code, 'tail_select', `${program.label} tail_select`, [
        SELECT_GROUP0,
        ...program.groups,
      ]),
      computePipeline(ctx.device, code, 'tail_sum_partials', `${program.label} tail_sum_partials`, [
        SELECT_GROUP0,
      ]),
    ]);
    return new TailSelect(ctx, program, resolved, capacity, select, partials);
  }

  private writeParams(fields: {
    count: number;
    mode: 0 | 1;
    firstPass?: boolean;
    state?: RadixSelectState;
    edge?: RadixEdge;
    partialCount?: number;
  }): void {
    const state = fields.state ?? START_STATE;
    const digit = TAIL_DIGITS[state.level] ?? TAIL_DIGITS[0]!;
    const words = packStruct(TAIL_PARAMS_FIELDS, {
      count: fields.count,
      mode: fields.mode,
      first_pass: fields.firstPass ? 1 : 0,
      capacity: this.capacity,
      prefix_value: state.prefix.value,
      prefix_value_mask: state.prefix.valueMask,
      prefix_index: state.prefix.index,
      prefix_index_mask: state.prefix.indexMask,
      digit_source: digit.source === 'index' ? 1 : 0,
      digit_shift: digit.shift,
      digit_mask: (1 << digit.bits) - 1,
      partial_count: fields.partialCount ?? 0,
      edge_value: fields.edge?.value ?? 0,
      edge_index: fields.edge?.index ?? 0,
    });
    this.ctx.device.queue.writeBuffer(this.buffers.params, 0, words);
  }

  private dispatchSelect(encoder: GPUCommandEncoder, workgroups: number): void {
    const pass = encoder.beginComputePass({ label: `${this.program.label} tail_select` });
    pass.setPipeline(this.selectPipeline);
    pass.setBindGroup(0, this.group0.select);
    setProgramGroups(pass, this.program, this.selectPipeline);
    pass.dispatchWorkgroups(workgroups);
    pass.end();
  }

  /** One histogram pass; resolves with the histogram and the state words (max key, invalid, -inf, count). */
  private async histogramPass(
    count: number,
    workgroups: number,
    state: RadixSelectState,
    firstPass: boolean,
  ): Promise<{ histogram: Uint32Array; state: Uint32Array }> {
    const { device } = this.ctx;
    const { buffers } = this;
    this.writeParams({ count, mode: 0, firstPass, state });
    const encoder = device.createCommandEncoder({ label: `${this.program.label} tail histogram` });
    encoder.clearBuffer(buffers.histogram);
    if (firstPass) encoder.clearBuffer(buffers.state);
    this.dispatchSelect(encoder, workgroups);
    encoder.copyBufferToBuffer(buffers.histogram, 0, buffers.staging, 0, RADIX_BINS * 4);
    encoder.copyBufferToBuffer(buffers.state, 0, buffers.staging, RADIX_BINS * 4, STATE_BYTES);
    device.queue.submit([encoder.finish()]);
    const bytes = await readStaging(buffers.staging, RADIX_BINS * 4 + STATE_BYTES);
    return {
      histogram: new Uint32Array(bytes, 0, RADIX_BINS),
      state: new Uint32Array(bytes, RADIX_BINS * 4, TAIL_STATE_FIELDS.length),
    };
  }

  /** The compaction pass and the sum of the partials; resolves with the candidates and the rest sums. */
  private async compactPass(
    count: number,
    workgroups: number,
    edge: RadixEdge,
    expected: number,
  ): Promise<{ candidates: Uint32Array; restSumExp: number; restSumExp2: number }> {
    const { device } = this.ctx;
    const { buffers } = this;
    this.writeParams({ count, mode: 1, edge, partialCount: workgroups });
    const encoder = device.createCommandEncoder({ label: `${this.program.label} tail compaction` });
    encoder.clearBuffer(buffers.state, 4 * STATE_CANDIDATES, 4); // the candidate counter; max_key stays
    this.dispatchSelect(encoder, workgroups);
    const second = encoder.beginComputePass({ label: `${this.program.label} tail_sum_partials` });
    second.setPipeline(this.partialsPipeline);
    second.setBindGroup(0, this.group0.partials);
    second.dispatchWorkgroups(1);
    second.end();
    encoder.copyBufferToBuffer(buffers.state, 0, buffers.staging, 0, STATE_BYTES);
    encoder.copyBufferToBuffer(buffers.totals, 0, buffers.staging, STATE_BYTES, SUM_PAIR_BYTES);
    const candidateBytes = Math.min(expected, this.capacity) * 8;
    if (candidateBytes > 0) {
      encoder.copyBufferToBuffer(
        buffers.candidates,
        0,
        buffers.staging,
        STATE_BYTES + SUM_PAIR_BYTES,
        candidateBytes,
      );
    }
    device.queue.submit([encoder.finish()]);
    const bytes = await readStaging(buffers.staging, STATE_BYTES + SUM_PAIR_BYTES + candidateBytes);
    const found = new Uint32Array(bytes, 0, TAIL_STATE_FIELDS.length)[STATE_CANDIDATES] as number;
    if (found !== expected) {
      throw new WebGpuError(
        `${this.program.label}: the compaction found ${found} values at or above the edge where the ` +
          `histograms counted ${expected}: tail_value must return the same bits for the same i in every pass`,
      );
    }
    const totals = new Float32Array(bytes, STATE_BYTES, 8);
    return {
      candidates: new Uint32Array(bytes, STATE_BYTES + SUM_PAIR_BYTES, 2 * expected),
      restSumExp: (totals[0] as number) + (totals[4] as number),
      restSumExp2: (totals[1] as number) + (totals[5] as number),
    };
  }

  /**
   * Selects the `need` largest of the program's values 0 .. count-1 (default min(M + 1, S), what PSIS
   * needs). Allocates no GPU memory; several submits, one read-back each.
   */
  async run(count: number, need: number = psisSummarySize(count)): Promise<TailSelection> {
    if (!Number.isInteger(count) || count < 1 || count > this.maxCount) {
      throw new RangeError(`count: expected an integer in [1, ${this.maxCount}] (maxCount), got ${count}`);
    }
    if (!Number.isInteger(need) || need < 1 || need > Math.min(count, this.capacity)) {
      throw new RangeError(
        `need: expected an integer in [1, ${Math.min(count, this.capacity)}] (count, capacity), got ${need}`,
      );
    }
    const workgroups = gridStrideWorkgroups(count, this.options.workgroupSize, this.options.maxWorkgroups);
    const passMs: number[] = [];
    let clock = performance.now();
    const lap = () => {
      const now = performance.now();
      passMs.push(now - clock);
      clock = now;
    };
    let state = START_STATE;
    const first = await this.histogramPass(count, workgroups, state, true);
    lap();
    const stateWord = (field: (typeof TAIL_STATE_FIELDS)[number]) =>
      first.state[TAIL_STATE_FIELDS.indexOf(field)] as number;
    const maxKey = stateWord('max_key');
    const invalidDraws = stateWord('invalid');
    const negInfDraws = stateWord('neg_inf');
    let passes = 1;
    // No finite value: every value ranks as -inf, and the stable order puts the largest indices last.
    if (maxKey === 0) {
      return {
        count,
        max: -Infinity,
        logSumExp: -Infinity,
        largest: new Float64Array(need).fill(-Infinity),
        indices: Uint32Array.from({ length: need }, (_, k) => count - need + k),
        restSumExp: 0,
        restSumExp2: 0,
        invalidDraws,
        negInfDraws,
        passes,
        passMs,
      };
    }
    let histogram = first.histogram;
    for (;;) {
      const step = nextStep(state, histogram, need, this.capacity);
      if (step.kind === 'compact') {
        const compacted = await this.compactPass(count, workgroups, step.edge, step.expected);
        lap();
        passes++;
        return this.finish(count, need, maxKey, compacted, { invalidDraws, negInfDraws, passes, passMs });
      }
      state = step.state;
      histogram = (await this.histogramPass(count, workgroups, state, false)).histogram;
      lap();
      passes++;
    }
  }

  /** Sorts the candidates, keeps the `need` largest and adds the others to the rest sums (float64). */
  private finish(
    count: number,
    need: number,
    maxKey: number,
    compacted: { candidates: Uint32Array; restSumExp: number; restSumExp2: number },
    counts: { invalidDraws: number; negInfDraws: number; passes: number; passMs: readonly number[] },
  ): TailSelection {
    const { candidates } = compacted;
    const found = candidates.length / 2;
    const keys = new Uint32Array(found);
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    const value = new Float64Array(found);
    for (let c = 0; c < found; c++) {
      bits[0] = candidates[2 * c] as number;
      keys[c] = f32OrderKey(bits[0]);
      value[c] = asFloat[0] as number;
    }
    const order = Array.from({ length: found }, (_, c) => c).sort(
      (a, b) =>
        (keys[a] as number) - (keys[b] as number) ||
        (candidates[2 * a + 1] as number) - (candidates[2 * b + 1] as number),
    );
    bits[0] = f32FromOrderKey(maxKey);
    const max = asFloat[0] as number;
    let restSumExp = compacted.restSumExp;
    let restSumExp2 = compacted.restSumExp2;
    for (const c of order.slice(0, found - need)) {
      const e = Math.exp((value[c] as number) - max);
      restSumExp += e;
      restSumExp2 += e * e;
    }
    const kept = order.slice(found - need);
    const largest = Float64Array.from(kept, (c) => value[c] as number);
    const indices = Uint32Array.from(kept, (c) => candidates[2 * c + 1] as number);
    let sum = restSumExp;
    for (const v of largest) sum += Math.exp(v - max);
    return {
      count,
      max,
      logSumExp: max + Math.log(sum),
      largest,
      indices,
      restSumExp,
      restSumExp2,
      ...counts,
    };
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
  }
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
  private readonly maxTail: number;
  private readonly buffers: {
    params: GPUBuffer;
    indices: GPUBuffer;
    weights: GPUBuffer;
    centers: GPUBuffer;
    partials: GPUBuffer;
    totals: GPUBuffer;
    staging: GPUBuffer;
  };
  private readonly group0: { moments: GPUBindGroup; partials: GPUBindGroup };

  private constructor(
    private readonly ctx: GpuContext,
    private readonly program: TailProgram,
    private readonly options: ResolvedPassOptions,
    reported: number,
    private readonly momentsPipeline: GPUComputePipeline,
    private readonly partialsPipeline: GPUComputePipeline,
  ) {
    const { device } = ctx;
    const label = `${program.label} tail moments`;
    this.reported = reported;
    const rv = Math.ceil(reported / 4);
    this.slots = 1 + 2 * rv;
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
        size: options.maxWorkgroups * this.slots * SUM_PAIR_BYTES,
      }),
      totals: createBuffer(device, {
        label: `${label} totals`,
        usage: STORAGE,
        size: this.slots * SUM_PAIR_BYTES,
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
    };
  }

  static async create(
    ctx: GpuContext,
    program: TailProgram,
    options: TailPassOptions = {},
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
    const code = composeTail('psis/tail_moments', program, resolved, { REDUCE_V4: 1 + 2 * rv });
    const [moments, partials] = await Promise.all([
      computePipeline(ctx.device, code, 'tail_moments', `${program.label} tail_moments`, [
        MOMENTS_GROUP0,
        ...program.groups,
      ]),
      computePipeline(ctx.device, code, 'tail_moments_partials', `${program.label} tail_moments_partials`, [
        MOMENTS_GROUP0,
      ]),
    ]);
    return new TailMoments(ctx, program, resolved, r, moments, partials);
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
    const workgroups = gridStrideWorkgroups(count, this.options.workgroupSize, this.options.maxWorkgroups);
    const params = packStruct(
      MOMENT_PARAMS_FIELDS,
      { count, tail_count: tail, max_value: weights.max, partial_count: workgroups },
      MOMENT_PARAMS_F32,
    );
    device.queue.writeBuffer(buffers.params, 0, params);

    const encoder = device.createCommandEncoder({ label: `${this.program.label} tail moments` });
    const pass = encoder.beginComputePass({ label: `${this.program.label} tail_moments` });
    pass.setPipeline(this.momentsPipeline);
    pass.setBindGroup(0, this.group0.moments);
    setProgramGroups(pass, this.program, this.momentsPipeline);
    pass.dispatchWorkgroups(workgroups);
    pass.end();
    const second = encoder.beginComputePass({ label: `${this.program.label} tail_moments_partials` });
    second.setPipeline(this.partialsPipeline);
    second.setBindGroup(0, this.group0.partials);
    second.dispatchWorkgroups(1);
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

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
  }
}
