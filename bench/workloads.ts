/**
 * The benchmark's workloads, systems and sizes: what `npm run bench` runs (--full, the default) and what
 * `npm run bench -- --quick` runs (under 10 minutes on a 2-core machine with SwiftShader).
 */
import { eightSchools } from '../src/models/eight-schools';
import { hmm } from '../src/models/hmm';
import { linreg } from '../src/models/linreg';
import { syntheticLogisticData } from '../src/models/logistic';
import { normalMean } from '../src/models/normal-mean';
import type { StanData } from '../src/models/data';
import type { ModelName, SystemName } from './protocol';

export type WorkloadName = 'normal-mean' | 'logistic-N1000-D10' | 'hmm' | 'eight-schools' | 'linreg';

export interface Workload {
  readonly name: WorkloadName;
  readonly model: ModelName;
  readonly title: string;
  readonly data: StanData;
  /** Where the reference posterior for the convergence figure comes from (none: throughput only). */
  readonly referenceSource?: string;
  /**
   * Floating-point operations of one sample's log joint and gradient, counted by hand from the model's
   * WGSL (a multiply-add is 2, an exp, log or division 1; padding lanes not counted): the arithmetic rate
   * samples/s x flopsPerSample compares models of very different sizes.
   */
  readonly flopsPerSample: number;
  /** Its Stan twin (test/stan/twins), for the webgpu-vi-stan series. */
  readonly stanTwin?: string;
}

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'normal-mean',
    model: 'normal-mean',
    stanTwin: 'test/stan/twins/normal_mean.stan',
    title: 'normal-mean (D = 1, N = 20)',
    data: normalMean.defaultData(),
    referenceSource: 'exact conjugate posterior (normalMean.prepare(data).exact)',
    // prior and likelihood deviations, their squares and the gradient from sufficient statistics.
    flopsPerSample: 15,
  },
  {
    name: 'logistic-N1000-D10',
    model: 'logistic',
    stanTwin: 'test/stan/twins/logistic.stan',
    title: 'logistic-N1000-D10 (synthetic, seed 1)',
    data: syntheticLogisticData(1000, 10, 1),
    referenceSource:
      'bench/reference/logistic_posterior.py: Laplace approximation + importance sampling (float64)',
    // per observation: x'beta (20), the log-likelihood terms (~8 with an exp and a log), X'w (20).
    flopsPerSample: 1000 * 48,
  },
  {
    name: 'hmm',
    model: 'hmm',
    stanTwin: 'test/stan/twins/hmm.stan',
    title: 'hmm (posteriordb hmm_example, N = 100, D = 4)',
    data: hmm.defaultData(),
    referenceSource: "posteriordb's reference draws (hmm.prepare(data).reference)",
    // per time step of the forward algorithm with its 4 tangents: ~64 (2 exp, a log, a division).
    flopsPerSample: 100 * 64,
  },
  {
    name: 'eight-schools',
    model: 'eight-schools',
    stanTwin: 'test/stan/twins/eight_schools.stan',
    title: 'eight-schools (noncentred, J = 8, D = 10)',
    data: eightSchools.defaultData(),
    // per school: theta = mu + tau eta, its residual, square and gradient (~10); the tau prior (~12).
    flopsPerSample: 8 * 10 + 12,
  },
  {
    name: 'linreg',
    model: 'linreg',
    stanTwin: 'test/stan/twins/linreg.stan',
    title: 'linreg (hidden data, N = 160, D = 5)',
    data: linreg.defaultData(),
    // per row: x'beta (10), the residual and its square (3), X'r (10).
    flopsPerSample: 160 * 23,
  },
];

/** One series: a system (and tfjs backend) on a workload at these log2 sizes. */
export interface Series {
  readonly workload: WorkloadName;
  readonly system: SystemName;
  readonly backend?: 'webgpu' | 'cpu';
  readonly log2Samples: readonly number[];
  /** Peers that materialise (S, N) arrays: samples per chunk above this. */
  readonly chunk?: number;
}

export interface Plan {
  readonly series: readonly Series[];
  /** Samples per step of the convergence runs (the same for every system). */
  readonly convergeLog2Samples: number;
  readonly convergeMaxSeconds: number;
  readonly targetRepMs: number;
  /** Longest one runner may take before it is stopped (its figure is then missing, with the reason). */
  readonly taskTimeoutMs: number;
}

const range = (from: number, to: number, by = 2): number[] => {
  const out: number[] = [];
  for (let x = from; x <= to; x += by) out.push(x);
  return out;
};

/**
 * numpy materialises (S, N) arrays: in chunks that stay in cache it runs fastest. Measured here (2 cores, with
 * bench/peers/numpy_vi.py's tuned malloc and one BLAS thread), 2^16 samples per step: logistic-N1000-D10 in
 * chunks of 2^7 8.5e4 samples/s, 2^8 8.1e4, 2^10 5.6e4, 2^12 6.4e4, 2^15 3.8e4; hmm (N = 100) 2^10 9.2e4,
 * 2^12 1.1e5, unchunked 9.8e4.
 */
const NUMPY_LOGISTIC_CHUNK = 2 ** 8;
const NUMPY_HMM_CHUNK = 2 ** 12;
/** tfjs keeps its (S, N) tensors for the backward pass: chunk them too (float32). */
const TFJS_CHUNK = 2 ** 14;

export const QUICK: Plan = {
  series: [
    { workload: 'normal-mean', system: 'webgpu-vi', log2Samples: [10, 17, 24] },
    { workload: 'normal-mean', system: 'numpy', log2Samples: [10, 17, 24] },
    { workload: 'normal-mean', system: 'webppl', log2Samples: [10] },
    { workload: 'normal-mean', system: 'tfjs', backend: 'webgpu', log2Samples: [10] },
    { workload: 'logistic-N1000-D10', system: 'webgpu-vi', log2Samples: [10, 16] },
    { workload: 'logistic-N1000-D10', system: 'numpy', log2Samples: [10, 16], chunk: NUMPY_LOGISTIC_CHUNK },
    { workload: 'logistic-N1000-D10', system: 'webppl', log2Samples: [10, 16] },
    { workload: 'logistic-N1000-D10', system: 'tfjs', backend: 'webgpu', log2Samples: [10] },
    { workload: 'hmm', system: 'webgpu-vi', log2Samples: [10] },
    { workload: 'hmm', system: 'numpy', log2Samples: [10], chunk: NUMPY_HMM_CHUNK },
    { workload: 'hmm', system: 'webppl', log2Samples: [10] },
    { workload: 'eight-schools', system: 'webgpu-vi', log2Samples: [10, 16] },
    { workload: 'linreg', system: 'webgpu-vi', log2Samples: [10, 16] },
    { workload: 'normal-mean', system: 'webgpu-vi-stan', log2Samples: [10] },
    { workload: 'hmm', system: 'webgpu-vi-stan', log2Samples: [10] },
    { workload: 'linreg', system: 'webgpu-vi-stan', log2Samples: [10] },
  ],
  convergeLog2Samples: 10,
  convergeMaxSeconds: 20,
  targetRepMs: 500,
  taskTimeoutMs: 240_000,
};

export const FULL: Plan = {
  series: [
    { workload: 'normal-mean', system: 'webgpu-vi', log2Samples: range(10, 24) },
    { workload: 'normal-mean', system: 'numpy', log2Samples: range(10, 24) },
    { workload: 'normal-mean', system: 'webppl', log2Samples: range(10, 18) },
    // tfjs's WebGPU backend: ~7 s per step at 2^18 on SwiftShader; from 2^20 its dispatches exceed the limits.
    { workload: 'normal-mean', system: 'tfjs', backend: 'webgpu', log2Samples: range(10, 18) },
    { workload: 'logistic-N1000-D10', system: 'webgpu-vi', log2Samples: range(10, 18) },
    {
      workload: 'logistic-N1000-D10',
      system: 'numpy',
      log2Samples: range(10, 18),
      chunk: NUMPY_LOGISTIC_CHUNK,
    },
    { workload: 'logistic-N1000-D10', system: 'webppl', log2Samples: range(10, 18) },
    { workload: 'logistic-N1000-D10', system: 'tfjs', backend: 'webgpu', log2Samples: range(10, 14) },
    {
      workload: 'logistic-N1000-D10',
      system: 'tfjs',
      backend: 'cpu',
      log2Samples: range(10, 16),
      chunk: TFJS_CHUNK,
    },
    { workload: 'hmm', system: 'webgpu-vi', log2Samples: range(10, 16) },
    { workload: 'eight-schools', system: 'webgpu-vi', log2Samples: range(10, 16) },
    { workload: 'linreg', system: 'webgpu-vi', log2Samples: range(10, 16) },
    ...(['normal-mean', 'logistic-N1000-D10', 'hmm', 'eight-schools', 'linreg'] as const).map(
      (workload): Series => ({ workload, system: 'webgpu-vi-stan', log2Samples: [10, 14] }),
    ),
    { workload: 'hmm', system: 'numpy', log2Samples: range(10, 16), chunk: NUMPY_HMM_CHUNK },
    { workload: 'hmm', system: 'webppl', log2Samples: range(10, 12) },
    { workload: 'hmm', system: 'tfjs', backend: 'cpu', log2Samples: range(10, 14), chunk: TFJS_CHUNK },
  ],
  convergeLog2Samples: 10,
  convergeMaxSeconds: 300,
  targetRepMs: 2000,
  taskTimeoutMs: 1_800_000,
};
