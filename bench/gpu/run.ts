/**
 * The GPU bench: one complete, budgeted run on whatever adapter this process gets, for a lent GPU machine
 * (issue 15; bench/gpu/README.md has the device command) and, with --quick, on a CPU adapter here.
 *   node .gpu/bench.mjs [--quick] [--max-seconds S] [--out DIR] [--require-gpu] [--only w1,w2]
 *   node .gpu/bench.mjs --probe        print the adapter; exit 0 for a GPU, 3 for a CPU adapter, 2 for none
 *   npx vite-node bench/gpu/run.ts -- --quick     the same from the source tree
 * Prints the adapter's info, then one line per measurement, and writes $OUT/gpu-bench-<adapter>[-quick].json
 * (--out, else $OUT, else .gpu-out/) after every measurement: logistic-N1000-D10 at 2^16 ... 2^24 samples
 * per step, normal-mean at 2^24, hmm and eight-schools, each as the full step (ViEngine.runSteps) beside the
 * kernel alone (one submit, onSubmittedWorkDone and timestamp queries); time to 0.05 sd at 2^16; engine.fit()
 * with the defaults. --max-seconds (default 220; 120 with --quick) ends the run in time: what did not fit is
 * listed under "skipped". Exit: 0 done, 1 a failure, 2 no adapter, 3 a CPU adapter with --require-gpu.
 */
import { acquireDevice, type GpuContext } from '../../src/gpu/device';
import { AdapterNotFoundError, WebGpuUnavailableError } from '../../src/gpu/errors';
import { getModel } from '../../src/models/registry';
import { defaultFit, timeToTolerance } from './accuracy';
import { SHADER_LIBRARY } from '../../src/gpu/shader-library';
import { sampleOps, staleCounts, type GpuWorkloadName } from './flops';
import { LR, measureFullStep, measureKernelOnly, SEED, STEPS_PER_SUBMIT } from './measure';
import { DEVICE_PLAN, gpuWorkload, QUICK_PLAN, type GpuWorkload, type Plan } from './plan';
import {
  adapterSlug,
  costModels,
  deriveRow,
  PEAK,
  writeDocument,
  type BuildInfo,
  type GpuBenchDocument,
  type ThroughputRow,
} from './results';

/** Set by the bundle's build (bench/gpu/bundle.ts); absent when run from the source tree. */
declare const __GPU_BENCH_BUILD__: BuildInfo | undefined;
const BUILD: BuildInfo | null = typeof __GPU_BENCH_BUILD__ === 'undefined' ? null : __GPU_BENCH_BUILD__;

interface Args {
  readonly quick: boolean;
  readonly probe: boolean;
  readonly requireGpu: boolean;
  readonly maxSeconds: number;
  readonly out: string;
  readonly only: readonly string[];
}

const USAGE = 'expected --quick, --probe, --require-gpu, --max-seconds S, --out DIR, --only w1,w2';

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let probe = false;
  let requireGpu = false;
  let maxSeconds: number | undefined;
  let out = process.env.OUT || '.gpu-out';
  let only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--probe') probe = true;
    else if (arg === '--require-gpu') requireGpu = true;
    else if (arg === '--max-seconds') maxSeconds = Number(argv[++i]);
    else if (arg === '--out') out = argv[++i] ?? '';
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg !== '--') throw new Error(`unknown argument "${arg}": ${USAGE}`);
  }
  maxSeconds ??= quick ? 120 : 220;
  if (!Number.isFinite(maxSeconds) || maxSeconds <= 0)
    throw new Error('--max-seconds: expected a number > 0');
  if (!out) throw new Error('--out: expected a folder');
  return { quick, probe, requireGpu, maxSeconds, out, only };
}

const fmt = (x: number, digits = 3): string =>
  !Number.isFinite(x)
    ? '-'
    : Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-2)
      ? x.toExponential(digits - 1)
      : x.toPrecision(digits);

const LIMITS = [
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'minSubgroupSize',
  'maxSubgroupSize',
] as const;

function limitsOf(device: GPUDevice): Record<string, number> {
  const limits = device.limits as unknown as Record<string, number | undefined>;
  const out: Record<string, number> = {};
  for (const name of LIMITS) {
    const value = limits[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

async function acquire(): Promise<GpuContext> {
  try {
    return await acquireDevice();
  } catch (error) {
    if (error instanceof AdapterNotFoundError || error instanceof WebGpuUnavailableError) {
      console.error(`no WebGPU adapter: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

function printAdapter(ctx: GpuContext): void {
  const { vendor, architecture, device, description, isCpu } = ctx.adapter;
  console.log(
    `adapter: vendor "${vendor}", architecture "${architecture}", device "${device}", ` +
      `description "${description}"${isCpu ? ' (a CPU adapter)' : ''}`,
  );
  console.log(
    `features: subgroups ${ctx.features.subgroups}, timestamp-query ${ctx.features.timestampQuery}; ` +
      `driver: ${ctx.driver ?? 'n/a'}`,
  );
}

/** Runs `what` unless the budget is spent or the device is gone; records failures and keeps going. */
class Budget {
  private lost = false;

  constructor(
    readonly deadline: number,
    private readonly doc: GpuBenchDocument,
    ctx: GpuContext,
  ) {
    void ctx.lost.then((e) => {
      if (e.reason !== 'destroyed') this.lost = true;
    });
  }

  get secondsLeft(): number {
    return (this.deadline - performance.now()) / 1000;
  }

  async run<T>(what: string, minSeconds: number, task: () => Promise<T>): Promise<T | undefined> {
    if (this.lost) {
      this.doc.skipped.push({ what, reason: 'the device was lost' });
      return undefined;
    }
    if (this.secondsLeft < minSeconds) {
      this.doc.skipped.push({
        what,
        reason: `budget: ${fmt(this.secondsLeft)} s left, needs ~${minSeconds} s`,
      });
      console.log(`skipped ${what} (budget)`);
      return undefined;
    }
    try {
      return await task();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.doc.errors.push({ what, message });
      console.log(`FAILED ${what}: ${message}`);
      return undefined;
    }
  }
}

function describeRow(row: ThroughputRow): string {
  const { full, kernel } = row;
  const parts = [`${row.workload} 2^${row.log2Samples}:`];
  if (!full) parts.push('not measured');
  if (full) {
    parts.push(
      `full step ${fmt(full.msPerStep)} ms (${fmt(full.samplesPerSecond)} samples/s, batch ${full.modelBatch})`,
    );
  }
  if (kernel) {
    const gpu = kernel.gpuMsPerStep === null ? '' : `, GPU ${fmt(kernel.gpuMsPerStep)} ms`;
    parts.push(
      `| one submit of ${kernel.steps}: wall ${fmt(kernel.wallMsPerStep)} ms${gpu} per step ` +
        `(${fmt(kernel.samplesPerSecond)} samples/s)`,
    );
  }
  if (row.fp32Tflops && row.fractionOfPeak) {
    const best = row.fp32Tflops.kernel ?? row.fp32Tflops.full;
    const fraction = row.fractionOfPeak.kernel ?? row.fractionOfPeak.full;
    parts.push(`| ${fmt(best)} TFLOP/s FP32 = ${fmt(100 * fraction)} % of ${PEAK.name}`);
  }
  return parts.join(' ');
}

async function throughput(
  ctx: GpuContext,
  plan: Plan,
  workloads: Map<GpuWorkloadName, GpuWorkload>,
  budget: Budget,
  doc: GpuBenchDocument,
  save: () => void,
): Promise<void> {
  const minSeconds = plan.mode === 'quick' ? 2 : 3;
  for (const series of plan.throughput) {
    const workload = workloads.get(series.workload);
    if (!workload) continue;
    const model = getModel(workload.model);
    for (const log2 of series.log2Samples) {
      const samples = 2 ** log2;
      const what = `throughput ${series.workload} 2^${log2}`;
      // Each size gets at most a fair share of what is left, so one slow size cannot starve the rest.
      const deadline = Math.min(
        budget.deadline,
        performance.now() + Math.max(5, budget.secondsLeft / 4) * 1000,
      );
      let row: ThroughputRow = { workload: series.workload, log2Samples: log2, samples };
      const full = await budget.run(`${what} (full step)`, minSeconds, () =>
        measureFullStep(ctx, model, workload.data, samples, plan, deadline),
      );
      if (full) {
        row = { ...row, full };
        const kernel = await budget.run(`${what} (kernel alone)`, minSeconds, () =>
          measureKernelOnly(ctx, model, workload.data, samples, full.msPerStep, plan, deadline),
        );
        if (kernel) row = { ...row, kernel };
      } else {
        row = { ...row, error: 'full step not measured (see errors / skipped)' };
      }
      row = deriveRow(row);
      doc.throughput.push(row);
      doc.costModels = costModels(doc.throughput);
      console.log(describeRow(row));
      save();
    }
  }
}

async function accuracy(
  ctx: GpuContext,
  plan: Plan,
  workloads: Map<GpuWorkloadName, GpuWorkload>,
  budget: Budget,
  doc: GpuBenchDocument,
  save: () => void,
): Promise<void> {
  for (const [name, workload] of workloads) {
    const samples = 2 ** plan.convergeLog2Samples;
    const seconds = Math.min(plan.convergeMaxSeconds, Math.max(1, budget.secondsLeft - 5));
    const result = await budget.run(`time to ${plan.tolSd} sd ${name}`, 3, () =>
      timeToTolerance(ctx, workload, samples, plan.tolSd, seconds),
    );
    if (!result) continue;
    doc.tolerance.push({ workload: name, ...result });
    console.log(
      `${name} 2^${plan.convergeLog2Samples}: ${result.reached ? '' : 'NOT '}within ${plan.tolSd} sd after ` +
        `${fmt(result.seconds)} s, ${result.steps} steps (worst ${fmt(result.worstSd, 2)} sd)`,
    );
    save();
  }
  for (const [name, workload] of workloads) {
    const samples = 2 ** plan.fitLog2Samples;
    const seconds = Math.min(plan.fitMaxSeconds, Math.max(1, budget.secondsLeft - 5));
    const result = await budget.run(`fit ${name}`, 4, () =>
      defaultFit(ctx, workload, samples, plan.fitMaxSteps, plan.fitDraws, seconds),
    );
    if (!result) continue;
    doc.fit.push({ workload: name, ...result });
    console.log(
      `${name} fit() at 2^${plan.fitLog2Samples}: ${result.stopReason} after ${result.steps} steps, ` +
        `${fmt(result.seconds)} s; means within ${fmt(result.worstMeanSd, 2)} sd, ` +
        `sds within a factor ${fmt(Math.exp(result.worstLogSdRatio), 3)}`,
    );
    save();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const ctx = await acquire();
  printAdapter(ctx);
  if (args.probe) process.exit(ctx.adapter.isCpu ? 3 : 0);
  if (args.requireGpu && ctx.adapter.isCpu) {
    console.error('--require-gpu: this is a CPU adapter; no figures written');
    process.exit(3);
  }
  const plan = args.quick ? QUICK_PLAN : DEVICE_PLAN;
  const names = plan.workloads.filter((w) => args.only.length === 0 || args.only.includes(w));
  const workloads = new Map(names.map((name) => [name, gpuWorkload(name)] as const));
  const doc: GpuBenchDocument = {
    schema: 'webgpu-vi/gpu-bench/1',
    mode: plan.mode,
    startedAt: new Date().toISOString(),
    elapsedSeconds: 0,
    finished: false,
    argv: process.argv.slice(2),
    budgetSeconds: args.maxSeconds,
    build: BUILD,
    runtime: { node: process.version, platform: process.platform, arch: process.arch },
    adapter: {
      ...ctx.adapter,
      deviceFeatures: [...ctx.device.features].sort(),
      subgroups: ctx.features.subgroups,
      timestampQuery: ctx.features.timestampQuery,
      driver: ctx.driver ?? null,
      limits: limitsOf(ctx.device),
    },
    flops: {
      rules: 'bench/gpu/flops.ts (counted by hand from the WGSL; BENCHMARKS.md, "Real GPU")',
      staleModules: staleCounts(SHADER_LIBRARY),
      peak: PEAK,
      perSample: Object.fromEntries(names.map((n) => [n, sampleOps(n)])),
    },
    settings: { lr: LR, seed: SEED, stepsPerSubmit: STEPS_PER_SUBMIT },
    throughput: [],
    costModels: [],
    tolerance: [],
    fit: [],
    skipped: [],
    errors: [],
  };
  const fileName = `gpu-bench-${adapterSlug(ctx.adapter.name)}${args.quick ? '-quick' : ''}.json`;
  const save = (): void => {
    doc.elapsedSeconds = (performance.now() - started) / 1000;
    writeDocument(args.out, fileName, doc);
  };
  save();
  console.log(`plan: ${plan.mode}, budget ${args.maxSeconds} s; writing ${args.out}/${fileName}`);
  if (doc.flops.staleModules.length > 0) {
    console.log(`WARNING: the FP32 counts predate changes to ${doc.flops.staleModules.join(', ')}: recount`);
  }
  const budget = new Budget(started + args.maxSeconds * 1000, doc, ctx);
  await throughput(ctx, plan, workloads, budget, doc, save);
  await accuracy(ctx, plan, workloads, budget, doc, save);
  doc.finished = true;
  save();
  console.log(
    `done in ${fmt(doc.elapsedSeconds)} s: ${doc.throughput.length} sizes, ${doc.tolerance.length} tolerance runs, ` +
      `${doc.fit.length} fits; ${doc.skipped.length} skipped, ${doc.errors.length} errors -> ${args.out}/${fileName}`,
  );
  ctx.device.destroy();
  // Dawn's threads would keep Node alive; stdout is flushed first.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(doc.errors.length > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
