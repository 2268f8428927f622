/**
 * How the engine shapes its GPU work for an adapter: workgroup sizes, how many workgroups, samples per
 * model call. None of this changes which samples a step draws, only the order of the f32 sums.
 */
import { gridStrideWorkgroups } from '../gpu/buffers';
import type { PreparedModel } from '../models/types';

export const STEP_WORKGROUP_SIZE = 64;
/**
 * elbo_finalize runs as one workgroup. On a GPU, 256 threads share the partials. On a CPU adapter its
 * barriers cost more than its loads save: SwiftShader (2 cores) takes 6.6 ms per step for logistic at
 * 2^6 samples with 256 threads and 2.2 ms with 64, and the same 4.5 ms comes off every step.
 */
const GPU_FINALIZE_WORKGROUP_SIZE = 256;
const CPU_FINALIZE_WORKGROUP_SIZE = 64;
/** Upper bound on elbo_step's workgroups: enough threads for any GPU; each thread then loops over samples. */
export const MAX_STEP_WORKGROUPS = 4096;
/**
 * Samples per model call on a CPU adapter, for a model with a batch entry point: each data load then serves
 * this many samples. logistic-N1000-D10 on SwiftShader (2 cores), samples/s by batch 1 / 4 / 8 / 16:
 * at 2^16 2.7e4 / - / 6.5e4 / 8.5e4; at 2^12 3.8e4 / 5.8e4 / 6.3e4 / 7.5e4; at 2^10 3.1e4 / 4.5e4 / 5.2e4 /
 * 6.5e4 (16 there is one workgroup, and still the fastest: more workgroups on the second core gained
 * nothing). 32 was within the noise of 16 but 1-2 s longer to compile. Below 64 * 16 samples the batch is
 * what one workgroup needs to cover them (samples / 64, rounded up), because a thread computes all of its
 * batch even when the samples run out: logistic at 2^8 took 5.7 ms per step at batch 4 and 15.3 ms at 16.
 * A GPU gets 1: its loads are cheap, and it needs every sample on its own thread to fill the machine.
 */
const CPU_MODEL_BATCH = 16;

export function finalizeWorkgroupSize(isCpu: boolean): number {
  return isCpu ? CPU_FINALIZE_WORKGROUP_SIZE : GPU_FINALIZE_WORKGROUP_SIZE;
}

/** MODEL_BATCH for a fit (see CPU_MODEL_BATCH). */
export function chooseModelBatch(isCpu: boolean, prepared: PreparedModel, samples: number): number {
  if (!isCpu || !prepared.maxBatch) return 1;
  const coversInOneWorkgroup = Math.ceil(samples / STEP_WORKGROUP_SIZE);
  return Math.max(1, Math.min(CPU_MODEL_BATCH, prepared.maxBatch, coversInOneWorkgroup));
}

/** Workgroups for a grid-stride pass over `samples` items, `modelBatch` per thread slot, up to MAX_STEP_WORKGROUPS. */
export function stepWorkgroups(samples: number, modelBatch: number): number {
  return gridStrideWorkgroups(samples, STEP_WORKGROUP_SIZE * modelBatch, MAX_STEP_WORKGROUPS);
}
