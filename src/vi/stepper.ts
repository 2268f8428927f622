/**
 * Step scheduling and readback: encodes up to `ring` steps per submit, keeps two submits in flight, and reads
 * each submit's metrics from a pooled staging buffer while the next one runs. Pausing happens between
 * submits. It knows nothing of stopping rules: its caller decides after each batch.
 */
import { BufferUsage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { WebGpuError } from '../gpu/errors';
import { STEP_METRICS } from './layout';
import type { ElboProgram } from './program';

const STAGING_POOL = 3;

export interface StepMetrics {
  readonly step: number;
  /** The objective's estimate at this step (the ELBO for the KL objective). */
  readonly elbo: number;
  readonly mcse: number;
  readonly gradNorm: number;
  /** Steps skipped so far because the ELBO or gradient was not finite. */
  readonly skipped: number;
  readonly applied: boolean;
  /** The optimizer's step size (Adam: its learning rate). */
  readonly stepSize: number;
  /**
   * This step's samples left out of the estimate because their log density or its gradient was not finite
   * (the KL objective; 0 for the others, which skip such a step).
   */
  readonly dropped: number;
  /**
   * The estimate's parts, so that the host can add them in float64 (see ObjectiveValue in
   * shaders/kernels/elbo_interfaces.wgsl): elbo = shift + relative + closed, where relative is small near the
   * shift and closed is the closed-form part (the entropy). What the host L-BFGS compares, with its own
   * float64 entropy in place of closed: f32 elbo would round away the differences between nearby points.
   */
  readonly parts: { readonly shift: number; readonly relative: number; readonly closed: number };
}

export interface PauseControl {
  /**
   * Awaited between submits: return a promise that settles on resume to pause (the page's Pause); nothing
   * is lost, the GPU simply gets no new work meanwhile.
   */
  readonly waitWhilePaused?: () => Promise<void> | undefined;
  /**
   * Called when a pause has taken effect: waitWhilePaused returned a promise and every submit that was in
   * flight has been reported. `stepsTaken` is the step count at that point.
   */
  readonly onPaused?: (stepsTaken: number) => void;
}

/** One restart's part of a submit: its steps' metrics and its optimizer's host view as of the last one. */
export interface RestartBatch {
  readonly metrics: StepMetrics[];
  readonly view: Float32Array | undefined;
}

/**
 * Called with each submit's metrics, in order, and the optimizer's host view as of its last step (Adam: the
 * running mean of lambda over the current window), both of restart 0; `restarts` holds every restart's
 * (restarts[0] is the same as the first two). Returning true stops after the submits in flight.
 */
export type BatchCallback = (
  metrics: StepMetrics[],
  view: Float32Array | undefined,
  restarts: readonly RestartBatch[],
) => boolean | void;

type SubmitResult = readonly RestartBatch[];

/** Hands a submit's result to the callback; true when it asks to stop. */
function report(done: SubmitResult, onBatch: BatchCallback | undefined): boolean {
  const first = done[0] as RestartBatch;
  return onBatch?.(first.metrics, first.view, done) === true;
}

export class StepRunner {
  private stepsTaken = 0;
  private readonly stagingPool: GPUBuffer[] = [];

  constructor(
    private readonly ctx: GpuContext,
    private readonly program: ElboProgram,
  ) {}

  get steps(): number {
    return this.stepsTaken;
  }

  /**
   * Bytes each submit reads back: every restart's metrics ring, then every restart's optimizer host view
   * (if it has one).
   */
  private get readbackBytes(): number {
    const views = this.program.hostView ? this.program.restarts * this.program.lambdaBlocks * 16 : 0;
    return this.program.buffers.metrics.size + views;
  }

  private stagingBuffer(): GPUBuffer {
    return (
      this.stagingPool.pop() ??
      this.ctx.device.createBuffer({
        label: 'vi metrics staging',
        size: this.readbackBytes,
        usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      })
    );
  }

  /** Sets the step count after the program's state was restored to an earlier step (see ElboProgram.restore). */
  setSteps(steps: number): void {
    this.stepsTaken = steps;
  }

  /**
   * Encodes `count` (<= ring) steps and copies of the metrics ring and of the optimizer's host view;
   * submits; resolves with the steps' metrics and the view as of the last step.
   */
  private submit(count: number): Promise<SubmitResult> {
    const { device } = this.ctx;
    const metrics = this.program.buffers.metrics;
    const hostView = this.program.hostView;
    const encoder = device.createCommandEncoder({ label: `vi ${count} steps` });
    this.program.encodeSteps(encoder, count);
    const staging = this.stagingBuffer();
    encoder.copyBufferToBuffer(metrics, 0, staging, 0, metrics.size);
    const viewBytes = this.program.lambdaBlocks * 16;
    if (hostView) {
      for (let r = 0; r < this.program.restarts; r++) {
        encoder.copyBufferToBuffer(
          hostView.buffer,
          this.program.restartOffset('optimizerState', r) + hostView.offsetBytes,
          staging,
          metrics.size + r * viewBytes,
          viewBytes,
        );
      }
    }
    device.queue.submit([encoder.finish()]);
    const first = this.stepsTaken;
    this.stepsTaken += count;
    return staging.mapAsync(0x0001).then(() => {
      const gpuError = this.ctx.uncapturedError();
      if (gpuError) throw new WebGpuError(`the GPU rejected the fit's work: ${gpuError.message}`);
      const bytes = staging.getMappedRange().slice(0);
      staging.unmap();
      const view = new DataView(bytes, 0, metrics.size);
      if (this.stagingPool.length < STAGING_POOL) this.stagingPool.push(staging);
      else staging.destroy();
      return Array.from({ length: this.program.restarts }, (_, r) => ({
        metrics: this.unpackMetrics(view, this.program.restartOffset('metrics', r), first, count),
        view: hostView ? new Float32Array(bytes, metrics.size + r * viewBytes, viewBytes / 4) : undefined,
      }));
    });
  }

  /** Steps first .. first + count - 1 from one restart's metrics ring, which starts at `base` in `view`. */
  private unpackMetrics(view: DataView, base: number, first: number, count: number): StepMetrics[] {
    const out: StepMetrics[] = [];
    for (let step = first; step < first + count; step++) {
      const entry = STEP_METRICS.unpack(view, base + (step % this.program.ring) * STEP_METRICS.size);
      out.push({
        step: entry.step as number,
        elbo: entry.value as number,
        mcse: entry.mcse as number,
        gradNorm: entry.grad_norm as number,
        skipped: entry.skipped as number,
        applied: entry.applied === 1,
        stepSize: entry.step_size as number,
        dropped: entry.dropped as number,
        parts: {
          shift: entry.shift as number,
          relative: entry.relative_value as number,
          closed: entry.closed_value as number,
        },
      });
    }
    return out;
  }

  /**
   * Runs up to `count` steps, keeping two submits in flight; calls `onBatch` with each batch's metrics in
   * order (returning true stops the run after the submits in flight). `pause.waitWhilePaused`, when given,
   * is asked before each new submit.
   */
  async run(count: number, onBatch?: BatchCallback, pause?: PauseControl): Promise<void> {
    const inFlight: Promise<SubmitResult>[] = [];
    try {
      await this.loop(inFlight, count, onBatch, pause);
    } catch (error) {
      // Let every submit still in flight settle, so none rejects later with nobody listening (e.g. when
      // destroy() unmaps its staging buffer after a device loss).
      await Promise.allSettled(inFlight);
      throw error;
    }
  }

  private async loop(
    inFlight: Promise<SubmitResult>[],
    count: number,
    onBatch?: BatchCallback,
    pause?: PauseControl,
  ): Promise<void> {
    let remaining = count;
    let stop = false;
    while ((remaining > 0 && !stop) || inFlight.length > 0) {
      while (remaining > 0 && !stop && inFlight.length < 2) {
        const paused = pause?.waitWhilePaused?.();
        if (paused) {
          // Drain what is in flight first, so the caller sees every finished step before it waits.
          while (inFlight.length > 0 && !stop) {
            const done = await (inFlight.shift() as Promise<SubmitResult>);
            if (report(done, onBatch)) stop = true;
          }
          if (stop) break;
          pause?.onPaused?.(this.stepsTaken);
          await paused;
        }
        const batch = Math.min(this.program.ring, remaining);
        remaining -= batch;
        inFlight.push(this.submit(batch));
      }
      const next = inFlight.shift();
      if (!next) break; // stopped while draining for a pause: nothing left in flight
      // Awaited outside the optional call: `onBatch?.(await x)` would skip the await without a callback.
      const done = await next;
      if (report(done, onBatch)) stop = true;
    }
  }

  destroy(): void {
    this.stagingPool.forEach((b) => b.destroy());
    this.stagingPool.length = 0;
  }
}
