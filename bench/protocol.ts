/**
 * What the orchestrator (bench/run.ts) and each system's runner exchange: one JSON job on the runner's
 * stdin, one JSON line (a JobResult) on its stdout. The numpy peer (bench/peers/numpy_vi.py) reads and
 * writes the same fields. Every runner is its own process, so its peak RSS is its own.
 */
import { readFileSync } from 'node:fs';
import type { StanData } from '../src/models/data';
import { seededRandom } from '../src/models/synthetic';

/** 'webgpu-vi-stan': webgpu-vi running the workload's Stan twin (test/stan/twins) through compileStan. */
export type SystemName = 'webgpu-vi' | 'webgpu-vi-stan' | 'numpy' | 'webppl' | 'tfjs';
export const SYSTEMS: readonly SystemName[] = ['webgpu-vi', 'webgpu-vi-stan', 'numpy', 'webppl', 'tfjs'];
export type ModelName = 'normal-mean' | 'logistic' | 'hmm' | 'eight-schools' | 'linreg';

export interface Reference {
  /** Posterior means and sds of the reported (constrained) parameters. */
  readonly mean: readonly number[];
  readonly sd: readonly number[];
}

export interface ConvergeJob {
  readonly reference: Reference;
  /** Converged when every reported mean is within tolSd reference sds of the reference mean. */
  readonly tolSd: number;
  /** Steps between checks (the check's own time is counted). */
  readonly checkEvery: number;
  /** Give up after this much optimisation time. */
  readonly maxSeconds: number;
}

export interface Job {
  readonly model: ModelName;
  readonly data: StanData;
  readonly samples: number;
  /** Timed repetitions (the median is reported); a warm-up comes first. */
  readonly reps: number;
  /** Steps per repetition are chosen from the warm-up so that one repetition takes about this long. */
  readonly targetRepMs: number;
  /** Most steps per repetition. */
  readonly maxSteps: number;
  readonly lr: number;
  readonly seed: number;
  /** Samples per chunk (peers that materialise per-sample arrays: bounds their memory); 0 = no chunking. */
  readonly chunk?: number;
  /** Warm up with at most this many samples per step (WebPPL at 2^16 samples: one step is ~10 s). */
  readonly warmupSamples?: number;
  /** webgpu-vi: optimizer steps per GPU submit (default 10, the engine's default). */
  readonly stepsPerSubmit?: number;
  /** tfjs: "webgpu" (Dawn, the same adapter as webgpu-vi) or "cpu" (pure JS). */
  readonly backend?: string;
  /** Instead of throughput: wall time from a fresh start until the means are within tolSd of the reference. */
  readonly converge?: ConvergeJob;
  /** webgpu-vi: run this Stan program (a path in the repository) compiled by compileStan, not the built-in. */
  readonly stanSource?: string;
}

export interface ConvergeResult {
  readonly reached: boolean;
  /** Optimisation wall time (setup and warm-up excluded) until the first check that passed, or until giving up. */
  readonly seconds: number;
  readonly steps: number;
  /** max_j |mean_j - reference_j| / sd_j at the last check. */
  readonly worstSd: number;
}

export interface JobResult {
  readonly system: SystemName;
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
  /** The runner process's peak resident set size. */
  readonly peakMemoryMB: number;
  /** ms per step of each repetition, sorted. */
  readonly times: readonly number[];
  readonly stepsPerRep: number;
  /** Means of the reported parameters under q at the end. */
  readonly mean?: readonly number[];
  /** webgpu-vi: GPU memory the engine allocated (independent of the samples per step). */
  readonly gpuMemoryMB?: number;
  /** webgpu-vi: RSS once the device was acquired, before the engine existed. */
  readonly baselineRssMB?: number;
  /** Which backend / device ran it (tfjs backend, adapter, numpy version ...). */
  readonly backend?: string;
  readonly setupSeconds?: number;
  /** webgpu-vi with stanSource: Stan source to pipelines ready (compileStan, then the engine's set-up). */
  readonly compileSeconds?: number;
  readonly converge?: ConvergeResult;
  readonly note?: string;
}

/**
 * The job on stdin (the orchestrator hands it a file). Read synchronously: an async read of stdin left
 * Dawn's adapter request unresolved in Node 20 (the process exited silently).
 */
export function readJob(): Job {
  return JSON.parse(readFileSync(0, 'utf8')) as Job;
}

/** Writes the result as the last line of stdout and exits (Dawn's threads would otherwise keep Node alive). */
export async function finish(result: JobResult): Promise<never> {
  // A piped stdout is asynchronous: exit only once the line is out.
  await new Promise<void>((resolve) =>
    process.stdout.write(`\n${JSON.stringify(result)}\n`, () => resolve()),
  );
  process.exit(0);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Steps per repetition: enough for targetRepMs at the warm-up's pace, at least 1, at most maxSteps. */
export function stepsPerRep(job: Job, warmupMsPerStep: number, multipleOf = 1): number {
  const steps = Math.round(job.targetRepMs / Math.max(warmupMsPerStep, 1e-3));
  const clamped = Math.max(1, Math.min(job.maxSteps, steps));
  return clamped >= multipleOf ? Math.floor(clamped / multipleOf) * multipleOf : clamped;
}

export function peakRssMB(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS / 1024;
}

/** The worst distance of the means from the reference, in reference sds. */
export function worstSd(mean: readonly number[], reference: Reference): number {
  return reference.mean.reduce(
    (worst, m, j) => Math.max(worst, Math.abs((mean[j] ?? Number.NaN) - m) / (reference.sd[j] as number)),
    0,
  );
}

/**
 * The convergence run: `run(checkEvery)` steps, then a check of the means, until they are within tolSd of
 * the reference or maxSeconds have passed. The checks are inside the measured time.
 */
export async function convergeLoop(
  spec: ConvergeJob,
  run: (steps: number) => Promise<void> | void,
  means: () => Promise<number[]> | number[],
): Promise<ConvergeResult> {
  const start = performance.now();
  let steps = 0;
  for (;;) {
    await run(spec.checkEvery);
    steps += spec.checkEvery;
    const worst = worstSd(await means(), spec.reference);
    const seconds = (performance.now() - start) / 1000;
    if (worst <= spec.tolSd || seconds > spec.maxSeconds) {
      return { reached: worst <= spec.tolSd, seconds, steps, worstSd: worst };
    }
  }
}

const invLogit = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Means of the reported parameters under a mean-field Gaussian q(z) = N(mu, diag(sd^2)) on the unconstrained
 * space. normal-mean, logistic and linreg report z itself (eight-schools is throughput-only in the
 * benchmark: its z is returned as it is); hmm reports (theta1, theta2, mu) through Stan's transforms
 * (see shaders/models/hmm.wgsl), estimated from `draws` draws of q.
 */
export function reportedMeans(
  model: ModelName,
  mu: readonly number[],
  sd: readonly number[],
  draws = 4096,
): number[] {
  if (model !== 'hmm') return [...mu];
  const { normal } = seededRandom(12345);
  const sum = new Array<number>(6).fill(0);
  for (let i = 0; i < draws; i++) {
    const z = mu.map((m, j) => m + (sd[j] as number) * normal());
    const [z0, z1, z2, z3] = z as [number, number, number, number];
    const t1 = invLogit(z0);
    const t2 = invLogit(z1);
    const m1 = Math.exp(z2);
    const values = [t1, 1 - t1, t2, 1 - t2, m1, m1 + Math.exp(z3)];
    values.forEach((v, j) => (sum[j] = (sum[j] as number) + v));
  }
  return sum.map((s) => s / draws);
}
