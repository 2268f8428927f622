/**
 * PSIS from millions of draws without storing them: the largest values of S values that a WGSL program
 * recomputes on demand (`fn tail_value(i: u32) -> f32`, see src/gpu/tail-program.ts), their maximum and
 * the sums the importance weights need, with GPU memory fixed by `maxCount` whatever S is
 * (shaders/psis/tail_select.wgsl). The weighted moments that use the result: src/gpu/tail-moments.ts.
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
  nextStep,
  RADIX_BINS,
  START_STATE,
  TAIL_DIGITS,
  type RadixEdge,
  type RadixSelectState,
} from './radix-select';
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
import { psisSummarySize, type TailSummary } from '../math/psis-tail';

export type { TailPassOptions, TailProgram } from './tail-program';

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
