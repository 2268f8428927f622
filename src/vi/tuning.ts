/**
 * How the engine shapes its GPU work for an adapter: workgroup sizes, how many workgroups, samples per
 * model call. None of this changes which samples a step draws, only the order of the f32 sums.
 */
import { gridStrideWorkgroups } from '../gpu/buffers';
import type { PreparedModel } from '../models/types';

const GPU_STEP_WORKGROUP_SIZE = 64;
/**
 * On a CPU adapter elbo_step runs as CPU_STEP_WORKGROUPS workgroups of CPU_STEP_WORKGROUP_SIZE threads, each
 * thread looping over many samples before the one reduction at its end. Why: SwiftShader runs a workgroup
 * as SIMD groups of 4 invocations, and a workgroup larger than that turns every barrier of the tree
 * reduction into a switch between coroutines; each workgroup also costs a fixed set-up. With the old
 * grid (64 threads, one sample each, a workgroup per 64 samples) normal-mean at 2^14 samples spent
 * 12-18 us of CPU per sample; with 2 workgroups it was 2-4 us, and with 4 threads per workgroup (and the
 * loops unrolled, below) 0.5-1 us (SwiftShader, 2 cores, 1 Dec 2026; BENCHMARKS.md). 16 workgroups keep
 * up to 16 cores busy; on 2 cores they cost no more than 2 within the noise of that machine.
 */
const CPU_STEP_WORKGROUP_SIZE = 4;
const CPU_STEP_WORKGROUPS = 16;

export function stepWorkgroupSize(isCpu: boolean): number {
  return isCpu ? CPU_STEP_WORKGROUP_SIZE : GPU_STEP_WORKGROUP_SIZE;
}

/**
 * The most bytes of arrays one thread's model evaluation may hold on a CPU adapter (PreparedModel.functionBytes).
 * SwiftShader compiles each invocation's function memory onto a fixed stack: a Stan model storing 98880 bytes of
 * locals (three vectors of 1030 Duals) ran, one storing 102720 crashed the process with a segmentation fault, and
 * butterfly's multi_occupancy (141120 bytes) aborted it with "LLVM ERROR: Local variable exceeds stack size
 * limit" (2 Dec 2026). A refusal here is an error message instead of a dead process.
 */
export const CPU_MAX_FUNCTION_BYTES = 96 * 1024;

/** Unroll the loops over compile-time counts (src/gpu/loop-unroll.ts): on a CPU adapter only. */
export function unrollLoopsFor(isCpu: boolean): boolean {
  return isCpu;
}
/**
 * elbo_finalize runs as one workgroup. On a GPU, 256 threads share the partials. On a CPU adapter its
 * barriers cost more than its loads save: SwiftShader (2 cores) took 6.6 ms per step for logistic at
 * 2^6 samples with 256 threads and 2.2 ms with 64; normal-mean at 2^6 took 1.9-2.0 ms per step with 64
 * and 0.2-0.4 ms with 4 (one SIMD group: its barriers cost nothing).
 */
const GPU_FINALIZE_WORKGROUP_SIZE = 256;
const CPU_FINALIZE_WORKGROUP_SIZE = 4;
/** Upper bound on elbo_step's workgroups: enough threads for any GPU; each thread then loops over samples. */
export const MAX_STEP_WORKGROUPS = 4096;
/**
 * Samples per model call on a CPU adapter, for a model with a batch entry point: each data load then serves
 * this many samples. logistic-N1000-D10 on SwiftShader (2 cores), samples/s by batch 1 / 4 / 8 / 16:
 * at 2^16 2.7e4 / - / 6.5e4 / 8.5e4; at 2^12 3.8e4 / 5.8e4 / 6.3e4 / 7.5e4; at 2^10 3.1e4 / 4.5e4 / 5.2e4 /
 * 6.5e4 (measured with the earlier grid of 64-thread workgroups; 32 was within the noise of 16 but 1-2 s
 * longer to compile). Below 64 * 16 samples the batch is what the CPU grid's 64 threads need to cover them
 * (samples / 64, rounded up), because a thread computes all of its batch even when the samples run out:
 * logistic at 2^8 took 5.7 ms per step at batch 4 and 15.3 ms at 16.
 * A GPU gets 1: its loads are cheap, and it needs every sample on its own thread to fill the machine.
 */
const CPU_MODEL_BATCH = 16;

export function finalizeWorkgroupSize(isCpu: boolean): number {
  return isCpu ? CPU_FINALIZE_WORKGROUP_SIZE : GPU_FINALIZE_WORKGROUP_SIZE;
}

/** MODEL_BATCH for a fit (see CPU_MODEL_BATCH). */
export function chooseModelBatch(isCpu: boolean, prepared: PreparedModel, samples: number): number {
  if (!isCpu || !prepared.maxBatch) return 1;
  // Every thread of the grid gets one batch at least (the CPU grid has 16 * 4 = 64 threads).
  const coversInOneWorkgroup = Math.ceil(samples / (CPU_STEP_WORKGROUPS * CPU_STEP_WORKGROUP_SIZE));
  return Math.max(1, Math.min(CPU_MODEL_BATCH, prepared.maxBatch, coversInOneWorkgroup));
}

/** Workgroups for a grid-stride pass over `samples` items, `modelBatch` per thread slot, up to MAX_STEP_WORKGROUPS. */
export function stepWorkgroups(samples: number, modelBatch: number, isCpu: boolean): number {
  const cap = isCpu ? CPU_STEP_WORKGROUPS : MAX_STEP_WORKGROUPS;
  return gridStrideWorkgroups(samples, stepWorkgroupSize(isCpu) * modelBatch, cap);
}
