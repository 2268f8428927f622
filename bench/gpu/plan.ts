/**
 * What the GPU bench measures, for a device run and for --quick (the same script on a CPU adapter, in well
 * under a minute): the workloads with their data and reference posteriors, the sample counts, the time
 * targets. The data are the main benchmark's (bench/workloads.ts) and the accuracy benchmark's references
 * (bench/accuracy/workloads.ts), so the figures compare with theirs.
 */
import type { StanData } from '../../src/models/data';
import { accuracyWorkload, type AccuracyWorkloadName, type ReferencePosterior } from '../accuracy/workloads';
import { WORKLOADS, type WorkloadName } from '../workloads';
import type { GpuWorkloadName } from './flops';

export interface GpuWorkload {
  readonly name: GpuWorkloadName;
  /** The built-in model (src/models/registry.ts). */
  readonly model: 'logistic' | 'normal-mean' | 'hmm' | 'eight-schools';
  readonly data: StanData;
  /** Posterior means and sds of the reported (constrained) parameters, in the model's paramNames order. */
  readonly reference: ReferencePosterior;
  readonly referenceSource: string;
}

const ACCURACY_NAME: Readonly<Record<GpuWorkloadName, AccuracyWorkloadName>> = {
  'logistic-N1000-D10': 'logistic',
  'normal-mean': 'normal-mean',
  hmm: 'hmm',
  'eight-schools': 'eight-schools',
};

/** The main benchmark's data where it has the workload (same JSON), else the accuracy benchmark's. */
export function gpuWorkload(name: GpuWorkloadName): GpuWorkload {
  const accuracy = accuracyWorkload(ACCURACY_NAME[name]);
  const main = WORKLOADS.find((w) => w.name === (name as WorkloadName));
  if (main && JSON.stringify(main.data) !== JSON.stringify(accuracy.data)) {
    throw new Error(`${name}: bench/workloads.ts and bench/accuracy/workloads.ts hold different data`);
  }
  return {
    name,
    model: accuracy.model as GpuWorkload['model'],
    data: main?.data ?? accuracy.data,
    reference: accuracy.reference,
    referenceSource: accuracy.referenceSource,
  };
}

export interface ThroughputSeries {
  readonly workload: GpuWorkloadName;
  readonly log2Samples: readonly number[];
}

export interface Plan {
  readonly mode: 'device' | 'quick';
  /** In priority order: the budget may end the run before the last ones. */
  readonly throughput: readonly ThroughputSeries[];
  /** Timed repetitions of the full step (the median is reported). */
  readonly reps: number;
  /** One repetition lasts about this long (steps chosen from the warm-up). */
  readonly targetRepMs: number;
  /** One kernel-only submit lasts about this long (steps chosen from the full step's pace), up to maxKernelSteps. */
  readonly targetKernelMs: number;
  readonly maxKernelSteps: number;
  readonly kernelReps: number;
  /** Time to tolerance: samples per step, the tolerance in reference sds, the cap per workload. */
  readonly convergeLog2Samples: number;
  readonly tolSd: number;
  readonly convergeMaxSeconds: number;
  /** engine.fit() with the product's defaults: samples per step and the most steps. */
  readonly fitLog2Samples: number;
  readonly fitMaxSteps: number;
  readonly fitMaxSeconds: number;
  readonly fitDraws: number;
  readonly workloads: readonly GpuWorkloadName[];
}

const ALL: readonly GpuWorkloadName[] = ['logistic-N1000-D10', 'normal-mean', 'hmm', 'eight-schools'];
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The device run: issue 15's sizes (logistic 2^16 ... 2^24, normal-mean 2^24, hmm and eight-schools). */
export const DEVICE_PLAN: Plan = {
  mode: 'device',
  throughput: [
    { workload: 'logistic-N1000-D10', log2Samples: range(16, 24) },
    { workload: 'normal-mean', log2Samples: [24, 20, 16] },
    { workload: 'hmm', log2Samples: [16, 20, 24] },
    { workload: 'eight-schools', log2Samples: [16, 20, 24] },
  ],
  reps: 5,
  targetRepMs: 300,
  targetKernelMs: 300,
  maxKernelSteps: 1000,
  kernelReps: 3,
  convergeLog2Samples: 16,
  tolSd: 0.05,
  convergeMaxSeconds: 15,
  fitLog2Samples: 16,
  fitMaxSteps: 2000,
  fitMaxSeconds: 20,
  fitDraws: 100_000,
  workloads: ALL,
};

/** The same script on a CPU adapter (SwiftShader): small sizes, few reps, short caps. */
export const QUICK_PLAN: Plan = {
  mode: 'quick',
  throughput: [
    { workload: 'logistic-N1000-D10', log2Samples: [8, 10] },
    { workload: 'normal-mean', log2Samples: [12] },
    { workload: 'hmm', log2Samples: [10] },
    { workload: 'eight-schools', log2Samples: [10] },
  ],
  reps: 3,
  targetRepMs: 100,
  targetKernelMs: 150,
  maxKernelSteps: 50,
  kernelReps: 2,
  convergeLog2Samples: 10,
  tolSd: 0.05,
  convergeMaxSeconds: 3,
  fitLog2Samples: 10,
  fitMaxSteps: 100,
  fitMaxSeconds: 5,
  fitDraws: 10_000,
  workloads: ALL,
};
