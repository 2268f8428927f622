/**
 * The fit's diagnostic passes on the GPU: S draws from the final q on a stream no optimizer step uses, their
 * log ratios log p(X, z) - log q(z) recomputed in each pass of the PSIS tail selection (src/gpu/tail-select.ts,
 * shaders/psis/q_log_ratio.wgsl), k-hat and the smoothed weights from psisFromTail, then the PSIS-weighted
 * means and sds of the reported parameters (src/gpu/tail-moments.ts). Nothing per draw is stored: the GPU
 * memory held is the same for S = 10^3 and 2^24. Also the draws with their log densities that the Stan CSV
 * needs (shaders/kernels/draw_densities.wgsl).
 *
 * Every call takes a snapshot of lambda first and runs alone (calls queue up), so a diagnosis made while a
 * fit goes on (the page's live k-hat) sees one q in all of its passes.
 */
import {
  BufferUsage,
  createBuffer,
  gridStrideWorkgroups,
  readBuffer,
  STORAGE,
  UNIFORM,
} from '../../gpu/buffers';
import type { GpuContext } from '../../gpu/device';
import { computePipeline } from '../../gpu/pipelines';
import { composeProgram, reducePathFor, SHADER_LIBRARY } from '../../gpu/shader-library';
import { TailMoments } from '../../gpu/tail-moments';
import { readStaging } from '../../gpu/tail-program';
import { TailSelect, type TailProgram } from '../../gpu/tail-select';
import type { WgslConstant } from '../../gpu/wgsl';
import { modelDataBindings, modelProgramParts, type ModelGpuData } from '../../models/gpu-data';
import { vec4Count, type ModelDefinition, type PreparedModel } from '../../models/types';
import { familyConstants, type FamilyDescriptor } from '../families/registry';
import { philoxKey } from '../program';
import type { DensityDrawSet } from '../result';
import { MAX_DIAGNOSTIC_DRAWS } from '../settings';
import {
  DENSITY_BINDINGS,
  DIAGNOSTIC_PARAMS,
  DIAGNOSTIC_TAIL_BINDINGS,
  diagnosticLayoutModule,
} from './layout';
import { psisFromTail } from './psis';
import { diagnosticsReport, type FitDiagnostics } from './report';

export interface DiagnosticsSpec {
  readonly ctx: GpuContext;
  readonly model: ModelDefinition;
  readonly prepared: PreparedModel;
  readonly family: FamilyDescriptor;
  /** The fit's seed: the draws' Philox key. */
  readonly seed: number;
  /** The fit's lambda buffer (needs COPY_SRC): each call copies it to a snapshot of its own. */
  readonly lambda: GPUBuffer;
  /**
   * Where in it the lambda to diagnose starts, in bytes, asked at each snapshot (with restarts: the reported
   * restart's slot); default 0.
   */
  readonly lambdaOffset?: () => number;
  /** The model's data, already on the GPU (the fit's). */
  readonly modelData: ModelGpuData;
}

export interface DiagnoseOptions {
  /** Also the PSIS-corrected means and sds (one more pass over the draws); default true. */
  readonly moments?: boolean;
  /**
   * Subtracted from every log p before log q is (and added back to the IW-ELBO): only the f32 rounding of
   * the log ratios depends on it. Default: the mean log ratio of a first 1024 draws, which keeps the
   * values near 0, where the radix select needs the fewest passes.
   */
  readonly centre?: number;
}

/** Counter word 3 of each kind of draw (shaders/kernels/q_draw.wgsl). */
export const DRAW_STREAMS = { summary: 1, diagnostic: 2 } as const;

export interface DensityDrawOptions {
  /** Which draws: "summary" (draw_reported's, the default) or "diagnostic" (the PSIS diagnostic's). */
  readonly stream?: keyof typeof DRAW_STREAMS;
  /** Subtracted from log p in logRatio (as the diagnostic does), default 0. */
  readonly centre?: number;
  /**
   * Where in the fit's lambda buffer the q to draw from starts, in bytes (a restart's slot when restarts
   * are pooled); default spec.lambdaOffset().
   */
  readonly lambdaOffset?: number;
}

const WORKGROUP_SIZE = 64;
const MAX_WORKGROUPS = 4096;
/**
 * Draws of the small first pass that finds the centre (the largest log ratio, subtracted so the tail values
 * sit near 0 where the radix select needs the fewest passes and f32 resolves them) and q's mean reported
 * values (subtracted in the moment sums so their f32 squares do not cancel).
 */
const PILOT_DRAWS = 1024;
/**
 * The share of the pilot's draws, those with the largest log ratios, whose |log p| and |log q| give the scale
 * of the tail's f32 rounding: the tail's own draws, not the typical one, which can be far larger (a draw where
 * the model's log density is -1e30 says nothing of the rounding at the top).
 */
const PILOT_TAIL_SHARE = 0.1;

interface DensityReadback {
  readonly values: Float32Array;
  readonly densities: Float32Array;
}

export class DiagnosticsProgram {
  /** Bytes of every GPU buffer held (the same whatever the number of diagnostic draws). */
  readonly allocatedBytes: number;
  private readonly rv: number;
  private readonly key: [number, number];
  private readonly buffers: {
    readonly params: GPUBuffer;
    readonly lambda: GPUBuffer;
    readonly pilotDraws: GPUBuffer;
    readonly pilotDensities: GPUBuffer;
    readonly pilotStaging: GPUBuffer;
  };
  private readonly pilotGroup: GPUBindGroup;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly spec: DiagnosticsSpec,
    private readonly densityPipeline: GPUComputePipeline,
    private readonly select: TailSelect,
    private readonly moments: TailMoments,
    buffers: DiagnosticsProgram['buffers'],
  ) {
    this.rv = vec4Count(spec.prepared.paramNames.length);
    this.key = philoxKey(spec.seed);
    this.buffers = buffers;
    this.pilotGroup = this.densityGroup(buffers.pilotDraws, buffers.pilotDensities, 'diagnostic pilot');
    this.allocatedBytes =
      Object.values(buffers).reduce((sum, b) => sum + b.size, 0) +
      select.allocatedBytes +
      moments.allocatedBytes;
  }

  static async create(spec: DiagnosticsSpec): Promise<DiagnosticsProgram> {
    const { ctx, model, prepared, family } = spec;
    const { device } = ctx;
    const d = prepared.dimension;
    const parts = modelProgramParts(model.wgsl, prepared, 1);
    const constants: Record<string, WgslConstant> = {
      ...parts.constants,
      ...familyConstants(family, d),
      Q_LOG_G_STANDARD_NORMAL: family.stanLogG === 'standard-normal',
    };
    const sources = { ...parts.extraSources, family: family.wgsl };
    const label = `${model.name} ${family.name} diagnostic`;
    const rv = vec4Count(prepared.paramNames.length);
    const lambdaBytes = family.blocks(d) * 16;
    const buffers = {
      params: createBuffer(device, {
        label: `${label} params`,
        usage: UNIFORM,
        size: DIAGNOSTIC_PARAMS.size,
      }),
      lambda: createBuffer(device, { label: `${label} lambda snapshot`, usage: STORAGE, size: lambdaBytes }),
      pilotDraws: createBuffer(device, {
        label: `${label} pilot draws`,
        usage: STORAGE,
        size: PILOT_DRAWS * rv * 16,
      }),
      pilotDensities: createBuffer(device, {
        label: `${label} pilot densities`,
        usage: STORAGE,
        size: PILOT_DRAWS * 16,
      }),
      pilotStaging: device.createBuffer({
        label: `${label} pilot staging`,
        size: PILOT_DRAWS * (rv + 1) * 16,
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      }),
    };
    const tailGroups = new WeakMap<GPUComputePipeline, GPUBindGroup>();
    const program: TailProgram = {
      label,
      source: SHADER_LIBRARY['psis/q_log_ratio'] as string,
      extraSources: { ...sources, 'vi/diagnostic_layout': diagnosticLayoutModule(DIAGNOSTIC_TAIL_BINDINGS) },
      aliases: parts.aliases,
      constants,
      groups: [modelDataBindings(prepared), DIAGNOSTIC_TAIL_BINDINGS.kinds],
      bindGroups(pipeline) {
        let group = tailGroups.get(pipeline);
        if (!group) {
          group = DIAGNOSTIC_TAIL_BINDINGS.createBindGroup(device, pipeline, `${label} tail group`, {
            diag_params: buffers.params,
            diag_lambda: buffers.lambda,
          });
          tailGroups.set(pipeline, group);
        }
        return [spec.modelData.bindGroup(pipeline), group];
      },
    };
    const densityCode = composeProgram({
      modules: ['kernels/draw_densities'],
      extraSources: { ...sources, 'vi/diagnostic_layout': diagnosticLayoutModule(DENSITY_BINDINGS) },
      aliases: parts.aliases,
      reducePath: reducePathFor(ctx.features),
      constants: { WG_SIZE: WORKGROUP_SIZE, ...constants },
    });
    try {
      const options = { maxCount: MAX_DIAGNOSTIC_DRAWS };
      const [densityPipeline, select, moments] = await Promise.all([
        computePipeline(device, densityCode, 'draw_densities', `${label} draw_densities`, [
          DENSITY_BINDINGS.kinds,
          modelDataBindings(prepared),
        ]),
        TailSelect.create(ctx, program, options),
        TailMoments.create(ctx, program, options),
      ]);
      return new DiagnosticsProgram(spec, densityPipeline, select, moments, buffers);
    } catch (error) {
      Object.values(buffers).forEach((b) => b.destroy());
      throw error;
    }
  }

  /**
   * PSIS of `draws` draws from q (the diagnostic stream): k-hat with its reading, the IW-ELBO, the smoothed
   * weights' ESS and (unless options.moments is false) the PSIS-corrected means and sds.
   */
  diagnose(draws: number, options: DiagnoseOptions = {}): Promise<FitDiagnostics> {
    if (!Number.isInteger(draws) || draws < 1000 || draws > MAX_DIAGNOSTIC_DRAWS) {
      throw new RangeError(
        `diagnostic draws: expected an integer in [1000, ${MAX_DIAGNOSTIC_DRAWS}], got ${draws}`,
      );
    }
    return this.exclusive(async () => {
      const start = performance.now();
      const pilot = await this.pilot();
      const centre = options.centre === undefined ? pilot.centre : Math.fround(options.centre);
      this.writeParams({ stream: DRAW_STREAMS.diagnostic, centre, count: 0 });
      const selection = await this.select.run(draws);
      const tail = psisFromTail(selection);
      let moments: { mean: Float64Array; sd: Float64Array } | undefined;
      if (options.moments !== false) {
        const r = this.spec.prepared.paramNames.length;
        moments = Number.isFinite(tail.max)
          ? await this.moments.run(
              draws,
              {
                max: tail.max,
                indices: tail.tailIndices ?? new Uint32Array(0),
                relativeLogWeights: tail.tailRelativeLogWeights,
              },
              pilot.centers,
            )
          : { mean: new Float64Array(r).fill(NaN), sd: new Float64Array(r).fill(NaN) };
      }
      const timing = {
        passes: selection.passes + (options.moments !== false ? 1 : 0),
        ms: performance.now() - start,
      };
      return diagnosticsReport(tail, centre, moments, timing, pilot.magnitude);
    });
  }

  /**
   * `count` draws with their log densities (see DensityDrawSet), and q's mean row. The "summary" stream gives
   * the same draws as the engine's draws(count).
   */
  densityDraws(count: number, options: DensityDrawOptions = {}): Promise<DensityDrawSet> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_DIAGNOSTIC_DRAWS) {
      throw new RangeError(`draws: expected an integer in [1, ${MAX_DIAGNOSTIC_DRAWS}], got ${count}`);
    }
    const stream = DRAW_STREAMS[options.stream ?? 'summary'];
    const centre = Math.fround(options.centre ?? 0);
    return this.exclusive(async () => {
      const { device } = this.spec.ctx;
      // T_lambda(0) first, into the pilot buffers (one row).
      this.writeParams({ stream, centre, count: 1, zeroNoise: true });
      const meanRow = (await this.readPilot(1, true, options.lambdaOffset)).values.slice(0, this.rv * 4);
      const draws = createBuffer(device, {
        label: 'diagnostic draws',
        usage: STORAGE,
        size: count * this.rv * 16,
      });
      const densities = createBuffer(device, {
        label: 'diagnostic densities',
        usage: STORAGE,
        size: count * 16,
      });
      try {
        this.writeParams({ stream, centre, count });
        const encoder = device.createCommandEncoder({ label: 'diagnostic density draws' });
        this.encodeDensities(encoder, this.densityGroup(draws, densities, 'diagnostic density draws'), count);
        device.queue.submit([encoder.finish()]);
        const [values, packed] = await Promise.all([
          readBuffer(device, draws),
          readBuffer(device, densities),
        ]);
        const lanes = new Float32Array(packed);
        const lane = (l: number) =>
          Float32Array.from({ length: count }, (_, i) => lanes[4 * i + l] as number);
        return {
          names: [...this.spec.prepared.paramNames],
          count,
          stride: this.rv * 4,
          values: new Float32Array(values),
          logP: lane(0),
          logG: lane(1),
          logQ: lane(2),
          logRatio: lane(3),
          meanRow,
        };
      } finally {
        draws.destroy();
        densities.destroy();
      }
    });
  }

  destroy(): void {
    Object.values(this.buffers).forEach((b) => b.destroy());
    this.select.destroy();
    this.moments.destroy();
  }

  /** Runs `task` after every call queued before it has settled. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private writeParams(p: { stream: number; centre: number; count: number; zeroNoise?: boolean }): void {
    const bytes = DIAGNOSTIC_PARAMS.pack({
      key: this.key,
      stream: p.stream,
      zero_noise: p.zeroNoise ? 1 : 0,
      centre: p.centre,
      count: p.count,
    });
    this.spec.ctx.device.queue.writeBuffer(this.buffers.params, 0, bytes);
  }

  private densityGroup(draws: GPUBuffer, densities: GPUBuffer, label: string): GPUBindGroup {
    return DENSITY_BINDINGS.createBindGroup(this.spec.ctx.device, this.densityPipeline, label, {
      diag_params: this.buffers.params,
      diag_lambda: this.buffers.lambda,
      draws,
      densities,
    });
  }

  private encodeDensities(encoder: GPUCommandEncoder, group: GPUBindGroup, count: number): void {
    const pass = encoder.beginComputePass({ label: 'draw_densities' });
    pass.setPipeline(this.densityPipeline);
    pass.setBindGroup(0, group);
    pass.setBindGroup(1, this.spec.modelData.bindGroup(this.densityPipeline));
    pass.dispatchWorkgroups(gridStrideWorkgroups(count, WORKGROUP_SIZE, MAX_WORKGROUPS));
    pass.end();
  }

  /**
   * Draws `count` <= PILOT_DRAWS rows into the pilot buffers with the params written last and reads them
   * back; with `snapshot`, copies the fit's lambda first (the snapshot every later pass of the call uses),
   * from `lambdaOffset` (default spec.lambdaOffset()).
   */
  private async readPilot(count: number, snapshot: boolean, lambdaOffset?: number): Promise<DensityReadback> {
    const { device } = this.spec.ctx;
    const { buffers } = this;
    const encoder = device.createCommandEncoder({ label: 'diagnostic pilot' });
    if (snapshot) {
      const offset = lambdaOffset ?? this.spec.lambdaOffset?.() ?? 0;
      encoder.copyBufferToBuffer(this.spec.lambda, offset, buffers.lambda, 0, buffers.lambda.size);
    }
    this.encodeDensities(encoder, this.pilotGroup, count);
    const drawBytes = count * this.rv * 16;
    encoder.copyBufferToBuffer(buffers.pilotDraws, 0, buffers.pilotStaging, 0, drawBytes);
    encoder.copyBufferToBuffer(buffers.pilotDensities, 0, buffers.pilotStaging, drawBytes, count * 16);
    device.queue.submit([encoder.finish()]);
    const bytes = await readStaging(buffers.pilotStaging, drawBytes + count * 16);
    return {
      values: new Float32Array(bytes, 0, count * this.rv * 4),
      densities: new Float32Array(bytes, drawBytes, count * 4),
    };
  }

  /**
   * The snapshot, then PILOT_DRAWS diagnostic draws: their largest finite log ratio (the centre, as f32: the
   * value the kernels subtract and the host adds back; not their mean, which one draw at log p = -1e30 drags so
   * far down that every other ratio less it rounds to the same f32), their mean reported values (the moment
   * pass's centres) and the mean of max(|log p|, |log q|) over the draws with the largest ratios (the scale of
   * the tail's f32 rounding, PILOT_TAIL_SHARE).
   */
  private async pilot(): Promise<{ centre: number; centers: Float64Array; magnitude: number }> {
    this.writeParams({ stream: DRAW_STREAMS.diagnostic, centre: 0, count: PILOT_DRAWS });
    const { values, densities } = await this.readPilot(PILOT_DRAWS, true);
    const finite: { ratio: number; magnitude: number }[] = [];
    for (let i = 0; i < PILOT_DRAWS; i++) {
      const ratio = densities[4 * i + 3] as number;
      if (Number.isFinite(ratio)) {
        const magnitude = Math.max(
          Math.abs(densities[4 * i] as number),
          Math.abs(densities[4 * i + 2] as number),
        );
        finite.push({ ratio, magnitude });
      }
    }
    finite.sort((a, b) => b.ratio - a.ratio);
    const top = finite.slice(0, Math.max(1, Math.ceil(PILOT_TAIL_SHARE * finite.length)));
    const tailMagnitude = top.reduce((sum, d) => sum + d.magnitude, 0) / top.length;
    const r = this.spec.prepared.paramNames.length;
    const stride = this.rv * 4;
    const centers = new Float64Array(r);
    for (let j = 0; j < r; j++) {
      let s = 0;
      let n = 0;
      for (let i = 0; i < PILOT_DRAWS; i++) {
        const v = values[i * stride + j] as number;
        if (Number.isFinite(v)) {
          s += v;
          n++;
        }
      }
      centers[j] = n > 0 ? s / n : 0;
    }
    return {
      centre: finite.length > 0 ? Math.fround(finite[0]?.ratio as number) : 0,
      centers,
      magnitude: Math.max(1, finite.length > 0 ? tailMagnitude : 0),
    };
  }
}
