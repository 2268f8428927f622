/**
 * Two views of one step's cost at a given size:
 *   - the full step, as a fit pays it: ViEngine.runSteps (the engine's submits of `stepsPerSubmit` steps, two
 *     in flight, every submit's metrics mapped back to the host); a repetition ends when its last metrics are
 *     on the host;
 *   - the kernel alone, with no host round trip: the same program's passes, K steps recorded into ONE command
 *     buffer (ElboProgram.encodeSteps: the façade takes no encoder), timed on the host from submit to
 *     queue.onSubmittedWorkDone(), and on the GPU by two timestamp queries around them where the device has
 *     `timestamp-query` (src/gpu/device.ts asks for it).
 * The difference between the two is what submits, read-backs and the host cost per step.
 */
import { BufferUsage } from '../../src/gpu/buffers';
import type { GpuContext } from '../../src/gpu/device';
import type { ModelDefinition } from '../../src/models/types';
import { chooseModelBatch, ViEngine } from '../../src/vi/engine';
import { ElboProgram } from '../../src/vi/program';
import { fitComponents, resolveSettings, type FitSettings } from '../../src/vi/settings';
import { median } from '../protocol';
import type { StanData } from '../../src/models/data';

/** Optimizer steps per submit on the full path: the engine's default. */
export const STEPS_PER_SUBMIT = 10;
export const LR = 0.05;
export const SEED = 1;

export interface FullStep {
  readonly msPerStep: number;
  readonly samplesPerSecond: number;
  readonly stepsPerRep: number;
  /** ms per step of each repetition, in the order run. */
  readonly repMs: readonly number[];
  readonly setupSeconds: number;
  readonly modelBatch: number;
  readonly allocatedBytes: number;
  /** The ELBO at the last step (a check that the run did real work). */
  readonly lastElbo: number;
}

export interface KernelOnly {
  readonly steps: number;
  /** Host-timed: submit to onSubmittedWorkDone, per step (median over reps). */
  readonly wallMsPerStep: number;
  /** GPU-timed by timestamp queries, per step (median over reps); null without `timestamp-query`. */
  readonly gpuMsPerStep: number | null;
  readonly samplesPerSecond: number;
  readonly wallMs: readonly number[];
  readonly gpuMs: readonly number[] | null;
}

export function settingsFor(samples: number): Partial<FitSettings> {
  return { samples, lr: LR, seed: SEED, stepsPerSubmit: STEPS_PER_SUBMIT };
}

async function timeRunSteps(engine: ViEngine, steps: number): Promise<{ ms: number; elbo: number }> {
  let elbo = Number.NaN;
  const start = performance.now();
  await engine.runSteps(steps, (batch) => {
    elbo = batch[batch.length - 1]?.elbo ?? elbo;
  });
  return { ms: (performance.now() - start) / steps, elbo };
}

/** Steps for about `targetMs` at `msPerStep`, rounded down to a multiple of `multiple` where that leaves any. */
export function stepsFor(targetMs: number, msPerStep: number, max: number, multiple = 1): number {
  const steps = Math.max(1, Math.min(max, Math.round(targetMs / Math.max(msPerStep, 1e-4))));
  return steps >= multiple ? Math.floor(steps / multiple) * multiple : steps;
}

/**
 * The full step through the public engine: a warm-up (the first dispatches compile and page in), then `reps`
 * repetitions of K steps, K from the warm-up's pace. Stops early (fewer reps) at `deadline` (performance.now()).
 */
export async function measureFullStep(
  ctx: GpuContext,
  model: ModelDefinition,
  data: StanData,
  samples: number,
  plan: { reps: number; targetRepMs: number },
  deadline: number,
): Promise<FullStep> {
  const setupStart = performance.now();
  const engine = await ViEngine.create(ctx, model, data, settingsFor(samples));
  const setupSeconds = (performance.now() - setupStart) / 1000;
  try {
    // The first step pays for first-use work (the driver's compile, page-ins): a second one sets the pace,
    // and a submit's worth when steps are short.
    await timeRunSteps(engine, 1);
    let warm = await timeRunSteps(engine, 1);
    if (warm.ms * STEPS_PER_SUBMIT < plan.targetRepMs) warm = await timeRunSteps(engine, STEPS_PER_SUBMIT);
    const k = stepsFor(plan.targetRepMs, warm.ms, 100_000, STEPS_PER_SUBMIT);
    const repMs: number[] = [];
    let lastElbo = warm.elbo;
    for (let r = 0; r < plan.reps && (r === 0 || performance.now() < deadline); r++) {
      const rep = await timeRunSteps(engine, k);
      repMs.push(rep.ms);
      lastElbo = rep.elbo;
    }
    const msPerStep = median(repMs);
    return {
      msPerStep,
      samplesPerSecond: (samples * 1000) / msPerStep,
      stepsPerRep: k,
      repMs,
      setupSeconds,
      modelBatch: engine.modelBatch,
      allocatedBytes: engine.allocatedBytes,
      lastElbo,
    };
  } finally {
    engine.destroy();
  }
}

class TimestampPair {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly read: GPUBuffer;

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2, label: 'gpu bench timestamps' });
    this.resolve = device.createBuffer({
      size: 16,
      usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC,
      label: 'gpu bench timestamps resolve',
    });
    this.read = device.createBuffer({
      size: 16,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      label: 'gpu bench timestamps read',
    });
  }

  /**
   * An empty pass whose end writes timestamp `index`, so the pair brackets the passes recorded between them
   * (timestampWrites belong to passes; WebGPU has no timestamp between passes). On Vulkan a timestamp waits
   * for the earlier commands up to its pipeline stage; which stage Dawn uses is not checked here, so the
   * host's submit-to-done time is recorded beside it as the cross-check (GPU time <= wall time).
   */
  mark(encoder: GPUCommandEncoder, index: 0 | 1): void {
    encoder
      .beginComputePass({
        label: `timestamp ${index}`,
        timestampWrites: { querySet: this.querySet, endOfPassWriteIndex: index },
      })
      .end();
  }

  copyOut(encoder: GPUCommandEncoder): void {
    encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, this.read, 0, 16);
  }

  /** Nanoseconds between the two marks (after the submit that holds copyOut). */
  async elapsedNs(): Promise<number> {
    await this.read.mapAsync(0x0001);
    const [begin, end] = new BigUint64Array(this.read.getMappedRange().slice(0));
    this.read.unmap();
    return Number((end as bigint) - (begin as bigint));
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.read.destroy();
  }
}

/**
 * The kernel alone: K steps in one command buffer, `reps` times (after one short warm-up submit). K comes from
 * the full step's pace (`fullMsPerStep`), so a submit lasts about `targetMs`, at most `maxSteps`.
 */
export async function measureKernelOnly(
  ctx: GpuContext,
  model: ModelDefinition,
  data: StanData,
  samples: number,
  fullMsPerStep: number,
  plan: { targetKernelMs: number; maxKernelSteps: number; kernelReps: number },
  deadline: number,
): Promise<KernelOnly> {
  const { device } = ctx;
  const settings = resolveSettings(settingsFor(samples));
  const prepared = model.prepare(data);
  const program = await ElboProgram.create({
    ctx,
    model,
    prepared,
    settings,
    components: fitComponents(settings),
    modelBatch: chooseModelBatch(ctx.adapter.isCpu, prepared, samples),
  });
  const stamps = ctx.features.timestampQuery ? new TimestampPair(device) : undefined;
  const submit = async (steps: number): Promise<{ wallMs: number; gpuMs: number | null }> => {
    const encoder = device.createCommandEncoder({ label: `gpu bench ${steps} steps` });
    stamps?.mark(encoder, 0);
    program.encodeSteps(encoder, steps);
    if (stamps) {
      stamps.mark(encoder, 1);
      stamps.copyOut(encoder);
    }
    const commands = encoder.finish();
    const start = performance.now();
    device.queue.submit([commands]);
    await device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - start;
    const gpuMs = stamps ? (await stamps.elapsedNs()) / 1e6 : null;
    return { wallMs, gpuMs };
  };
  try {
    await submit(1);
    const steps = stepsFor(plan.targetKernelMs, fullMsPerStep, plan.maxKernelSteps);
    const wallMs: number[] = [];
    const gpuMs: number[] = [];
    for (let r = 0; r < plan.kernelReps && (r === 0 || performance.now() < deadline); r++) {
      const t = await submit(steps);
      wallMs.push(t.wallMs / steps);
      if (t.gpuMs !== null) gpuMs.push(t.gpuMs / steps);
    }
    const gpuError = ctx.uncapturedError();
    if (gpuError) throw new Error(`the GPU rejected the kernel-only submits: ${gpuError.message}`);
    const wallMsPerStep = median(wallMs);
    const gpuMsPerStep = gpuMs.length > 0 ? median(gpuMs) : null;
    return {
      steps,
      wallMsPerStep,
      gpuMsPerStep,
      samplesPerSecond: (samples * 1000) / (gpuMsPerStep ?? wallMsPerStep),
      wallMs,
      gpuMs: gpuMs.length > 0 ? gpuMs : null,
    };
  } finally {
    stamps?.destroy();
    program.destroy();
  }
}
