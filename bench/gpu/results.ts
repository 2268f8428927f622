/**
 * The GPU bench's result document (one JSON file, rewritten after every measurement so that a run cut short
 * keeps what it measured) and the small derived figures: FP32 throughput, fraction of peak, a cost model.
 */
import { renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterDescription } from '../../src/gpu/device';
import type { DefaultFitResult, ToleranceResult } from './accuracy';
import { fp32PeakFlops, GPU_PEAKS, sampleOps, type GpuWorkloadName, type SampleOps } from './flops';
import type { FullStep, KernelOnly } from './measure';

export interface BuildInfo {
  readonly commit: string;
  /** Uncommitted changes in the tree the bundle was built from. */
  readonly dirty: boolean;
  readonly builtAt: string;
  readonly webgpuPackage: string;
}

export interface ThroughputRow {
  readonly workload: GpuWorkloadName;
  readonly log2Samples: number;
  readonly samples: number;
  readonly full?: FullStep;
  readonly kernel?: KernelOnly;
  /** full ms/step minus the kernel's GPU (or wall) ms/step: submits, read-backs and host work per step. */
  readonly hostOverheadMsPerStep?: number;
  /** FP32 throughput from the counted operations per sample (bench/gpu/flops.ts). */
  readonly fp32Tflops?: { readonly full: number; readonly kernel?: number };
  /** The same as a fraction of the reference GPU's FP32 peak (GPU_PEAKS[0] at its boost clock). */
  readonly fractionOfPeak?: { readonly full: number; readonly kernel?: number };
  readonly error?: string;
}

export interface CostModel {
  readonly workload: GpuWorkloadName;
  readonly path: 'full' | 'kernel';
  readonly sizes: number;
  /** ms per step = fixedMs + nsPerSample x samples / 10^6 (least squares on relative error). */
  readonly fixedMs: number;
  readonly nsPerSample: number;
}

export interface GpuBenchDocument {
  readonly schema: 'webgpu-vi/gpu-bench/1';
  readonly mode: 'device' | 'quick';
  readonly startedAt: string;
  elapsedSeconds: number;
  finished: boolean;
  readonly argv: readonly string[];
  readonly budgetSeconds: number;
  readonly build: BuildInfo | null;
  readonly runtime: { readonly node: string; readonly platform: string; readonly arch: string };
  readonly adapter: AdapterDescription & {
    /** The features the device was created with (src/gpu/device.ts asks for the optional ones it uses). */
    readonly deviceFeatures: readonly string[];
    readonly subgroups: boolean;
    readonly timestampQuery: boolean;
    readonly driver: string | null;
    readonly limits: Readonly<Record<string, number>>;
  };
  readonly flops: {
    readonly rules: string;
    /** WGSL modules changed since the counts were made (flops.ts COUNTED_FROM): the counts may be stale. */
    readonly staleModules: readonly string[];
    readonly peak: { readonly name: string; readonly flops: number };
    readonly perSample: Readonly<Record<string, SampleOps>>;
  };
  readonly settings: { readonly lr: number; readonly seed: number; readonly stepsPerSubmit: number };
  readonly throughput: ThroughputRow[];
  costModels: CostModel[];
  readonly tolerance: (ToleranceResult & { readonly workload: GpuWorkloadName })[];
  readonly fit: (DefaultFitResult & { readonly workload: GpuWorkloadName })[];
  readonly skipped: { readonly what: string; readonly reason: string }[];
  readonly errors: { readonly what: string; readonly message: string }[];
}

export const PEAK = {
  name: GPU_PEAKS[0]?.name ?? '',
  flops: GPU_PEAKS[0] ? fp32PeakFlops(GPU_PEAKS[0]) : NaN,
};

/** The throughput row's derived figures from its measurements. */
export function deriveRow(row: ThroughputRow): ThroughputRow {
  if (!row.full) return row;
  const fp32 = sampleOps(row.workload).total.fp32;
  const kernelRate = row.kernel?.samplesPerSecond;
  const tflops = (rate: number): number => (rate * fp32) / 1e12;
  const kernelMs = row.kernel ? (row.kernel.gpuMsPerStep ?? row.kernel.wallMsPerStep) : undefined;
  return {
    ...row,
    ...(kernelMs !== undefined ? { hostOverheadMsPerStep: row.full.msPerStep - kernelMs } : {}),
    fp32Tflops: {
      full: tflops(row.full.samplesPerSecond),
      ...(kernelRate ? { kernel: tflops(kernelRate) } : {}),
    },
    fractionOfPeak: {
      full: (tflops(row.full.samplesPerSecond) * 1e12) / PEAK.flops,
      ...(kernelRate ? { kernel: (tflops(kernelRate) * 1e12) / PEAK.flops } : {}),
    },
  };
}

/** Weighted least squares (weights 1 / ms^2) of ms per step on samples, per workload and path. */
export function costModels(rows: readonly ThroughputRow[]): CostModel[] {
  const out: CostModel[] = [];
  const workloads = [...new Set(rows.map((r) => r.workload))];
  for (const workload of workloads) {
    for (const path of ['full', 'kernel'] as const) {
      const points = rows
        .filter((r) => r.workload === workload)
        .map((r) => {
          const ms =
            path === 'full'
              ? r.full?.msPerStep
              : r.kernel
                ? (r.kernel.gpuMsPerStep ?? r.kernel.wallMsPerStep)
                : undefined;
          return ms === undefined ? undefined : { x: r.samples, y: ms };
        })
        .filter((p): p is { x: number; y: number } => p !== undefined);
      if (new Set(points.map((p) => p.x)).size < 2) continue;
      // Minimise sum ((a + b x - y) / y)^2: the normal equations of the 2 x 2 weighted system.
      let s00 = 0;
      let s01 = 0;
      let s11 = 0;
      let t0 = 0;
      let t1 = 0;
      for (const { x, y } of points) {
        const w = 1 / (y * y);
        s00 += w;
        s01 += w * x;
        s11 += w * x * x;
        t0 += w * y;
        t1 += w * x * y;
      }
      const det = s00 * s11 - s01 * s01;
      const fixedMs = (t0 * s11 - t1 * s01) / det;
      const perSampleMs = (s00 * t1 - s01 * t0) / det;
      out.push({ workload, path, sizes: points.length, fixedMs, nsPerSample: perSampleMs * 1e6 });
    }
  }
  return out;
}

/** "google swiftshader (SwiftShader driver 5.0.0)" -> "google-swiftshader-swiftshader-driver-5-0-0". */
export function adapterSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Writes the document (through a temporary file, so a reader never sees half of it); returns its path. */
export function writeDocument(dir: string, fileName: string, doc: GpuBenchDocument): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, fileName);
  writeFileSync(`${path}.partial`, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(`${path}.partial`, path);
  return path;
}
