/**
 * The benchmark suite: webgpu-vi against numpy, WebPPL and TensorFlow.js on the same machine, in one run.
 *   npm run bench                    the full run (long on SwiftShader)
 *   npm run bench -- --quick         a subset, under 10 minutes on a 2-core machine with SwiftShader
 *   npm run bench -- --only numpy,logistic-N1000-D10   only these systems / workloads (to partial.tmp)
 *   options: --reps N (default 5)
 * Every figure comes from its own runner process (bench/systems/webgpu-vi.ts, bench/peers/*): a warm-up, then
 * the median of `reps` repetitions; peak memory is that process's peak RSS. Writes bench/results/latest.json,
 * a copy named after the adapter, bench/results/throughput.svg, and the generated part of BENCHMARKS.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem, release, platform } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { acquireDevice } from '../src/gpu/device';
import { getModel } from '../src/models/registry';
import { throughputSvg } from './plot';
import { SYSTEMS, type Job, type JobResult, type Reference, type SystemName } from './protocol';
import {
  FULL,
  QUICK,
  WORKLOADS,
  type Plan,
  type Series,
  type Workload,
  type WorkloadName,
} from './workloads';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const VITE_NODE = join(ROOT, 'node_modules', 'vite-node', 'dist', 'cli.mjs');
const LR = 0.05;
const SEED = 1;
const TOL_SD = 0.1;
const CHECK_EVERY = 10;

interface Args {
  readonly quick: boolean;
  readonly only: readonly string[];
  readonly reps: number;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let only: string[] = [];
  let reps = 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--full') quick = false;
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--reps') reps = Number(argv[++i]);
    else if (arg !== '--')
      throw new Error(`unknown argument "${arg}" (expected --quick, --full, --only, --reps)`);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps: expected an integer >= 1');
  return { quick, only, reps };
}

export interface Row {
  readonly workload: WorkloadName;
  readonly system: SystemName;
  readonly backend: string;
  readonly samplesPerStep: number;
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
  readonly peakMemoryMB: number;
  /** webgpu-vi only: GPU memory the engine allocated. */
  readonly gpuMemoryMB?: number;
  /** webgpu-vi only: its process's RSS with the device acquired, before the engine (Node + Dawn + driver). */
  readonly baselineRssMB?: number;
  readonly reps: number;
  readonly stepsPerRep: number;
  readonly timesMs: readonly number[];
  /** This system's figure divided by webgpu-vi's at the same workload and samples per step (same run). */
  ratioToWebgpuVi?: { samplesPerSecond: number; peakMemory: number };
  readonly note?: string;
  /** webgpu-vi-stan: Stan source to pipelines ready, in seconds. */
  readonly compileSeconds?: number;
}

export interface ConvergenceRow {
  readonly workload: WorkloadName;
  readonly system: SystemName;
  readonly backend: string;
  readonly samplesPerStep: number;
  readonly reached: boolean;
  readonly seconds: number;
  readonly steps: number;
  readonly worstSd: number;
  /** This system's wall time / webgpu-vi's (so also how many times faster webgpu-vi got there). */
  ratioToWebgpuVi?: number;
}

interface Failure {
  readonly workload: WorkloadName;
  readonly system: SystemName;
  readonly backend: string;
  readonly samplesPerStep: number;
  readonly reason: string;
}

function seriesLabel(system: SystemName, backend?: string): string {
  return backend ? `${system} (${backend})` : system;
}

/** "tfjs (webgpu)" / "tfjs (cpu)"; other systems by name (their backend string goes into the notes). */
function rowLabel(system: SystemName, backend: string): string {
  return system === 'tfjs' ? seriesLabel(system, backend.includes('webgpu') ? 'webgpu' : 'cpu') : system;
}

function runnerCommand(system: SystemName): [string, string[]] {
  switch (system) {
    case 'webgpu-vi':
    case 'webgpu-vi-stan':
      return [process.execPath, [VITE_NODE, 'bench/systems/webgpu-vi.ts']];
    case 'tfjs':
      return [process.execPath, [VITE_NODE, 'bench/peers/tfjs.ts']];
    case 'webppl':
      return [process.execPath, [VITE_NODE, 'bench/peers/webppl/run.ts']];
    case 'numpy':
      return ['python3', ['bench/peers/numpy_vi.py']];
  }
}

/** Runs one runner with the job as its stdin (a file); resolves with its result line or the reason it failed. */
function runJob(system: SystemName, job: Job, timeoutMs: number): Promise<JobResult | string> {
  const jobFile = join(tmpdir(), `webgpu-vi-bench-${process.pid}-${Date.now()}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const stdin = openSync(jobFile, 'r');
  const [command, args] = runnerCommand(system);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: [stdin, 'pipe', 'pipe'] });
    if (!child.stdout || !child.stderr) throw new Error('no pipes to the runner');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      closeSync(stdin);
      rmSync(jobFile, { force: true });
      const line = stdout
        .split('\n')
        .map((l) => l.trim())
        .reverse()
        .find((l) => l.startsWith('{'));
      if (code === 0 && line) {
        resolve(JSON.parse(line) as JobResult);
        return;
      }
      const why = signal ? `stopped after ${timeoutMs / 1000} s (${signal})` : `exit code ${code}`;
      const tail = stderr
        .split('\n')
        .filter((l) => l.trim() && !/^\s+at /.test(l))
        .slice(-3)
        .join(' | ');
      resolve(`${why}${tail ? `: ${tail}` : ''}`);
    });
  });
}

function logisticReference(workload: Workload): Reference & { method: string } {
  const result = spawnSync('python3', ['bench/reference/logistic_posterior.py'], {
    cwd: ROOT,
    input: JSON.stringify(workload.data),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (result.status !== 0) throw new Error(`logistic reference failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Reference & { method: string };
}

function referenceFor(workload: Workload): Reference {
  if (workload.model === 'logistic') return logisticReference(workload);
  const prepared = getModel(workload.model).prepare(workload.data);
  const reference = prepared.exact ?? prepared.reference;
  if (!reference) throw new Error(`no reference posterior for ${workload.name}`);
  return reference;
}

function pythonVersion(): string {
  const r = spawnSync(
    'python3',
    ['-c', 'import sys, numpy; print(sys.version.split()[0], numpy.__version__)'],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) return '';
  const [py, np] = r.stdout.trim().split(' ');
  return `Python ${py}, numpy ${np}`;
}

/** 3 significant figures: 4.21×10^4, 353, 12.5, 0.0312 → 3.12×10^-2. */
const fmt = (x: number, digits = 3): string => {
  if (!Number.isFinite(x)) return '–';
  if (x !== 0 && (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-2)) {
    const [m, e] = x.toExponential(digits - 1).split('e');
    return `${m}×10^${Number(e)}`;
  }
  if (Math.abs(x) >= 10 ** (digits - 1)) return Math.round(x).toString();
  return x.toPrecision(digits);
};
const pow2 = (n: number): string => `2^${Math.round(Math.log2(n))}`;
const times = (x: number | undefined): string => (x === undefined ? '' : `${fmt(x, 2)}×`);

function markdownTables(
  rows: readonly Row[],
  convergence: readonly ConvergenceRow[],
  failures: readonly Failure[],
  meta: Record<string, unknown>,
  references: Record<string, string>,
): string {
  const out: string[] = [];
  out.push(
    `Run: ${String(meta.date)}, \`${String(meta.command)}\`. Adapter: **${String(meta.adapter)}**. ` +
      `Machine: ${String(meta.machine)}. Load average at start / end: ${String(meta.loadStart)} / ${String(meta.loadEnd)}; ` +
      `wall time of the run: ${fmt(Number(meta.wallSeconds), 3)} s.`,
    '',
  );
  out.push('### Targets', '', '| target | measured (this run) | met? |', '| --- | --- | --- |');
  const wg = (workload: WorkloadName, samples: number): Row | undefined =>
    rows.find((r) => r.workload === workload && r.system === 'webgpu-vi' && r.samplesPerStep === samples);
  for (const [peer, factor] of [
    ['numpy', 2],
    ['webppl', 10],
  ] as const) {
    const peerRows = rows.filter((r) => r.workload === 'logistic-N1000-D10' && r.system === peer);
    for (const r of peerRows) {
      const w = wg('logistic-N1000-D10', r.samplesPerStep);
      if (!w) continue;
      const speedup = w.samplesPerSecond / r.samplesPerSecond;
      out.push(
        `| logistic-N1000-D10 at ${pow2(r.samplesPerStep)}: webgpu-vi ≥ ${factor}× ${peer} | ` +
          `${fmt(speedup, 2)}× (${fmt(w.samplesPerSecond)} vs ${fmt(r.samplesPerSecond)} samples/s) | ` +
          `${speedup >= factor ? 'yes' : `no: ${fmt(factor / speedup, 2)}× short`} |`,
      );
    }
  }
  const nm = rows
    .filter((r) => r.workload === 'normal-mean' && r.system === 'webgpu-vi')
    .sort((a, b) => a.samplesPerStep - b.samplesPerStep);
  if (nm.length > 1) {
    const first = nm[0] as Row;
    const last = nm[nm.length - 1] as Row;
    const gpuFlat = nm.every((r) => r.gpuMemoryMB === first.gpuMemoryMB);
    const rssGrowth = last.peakMemoryMB / first.peakMemoryMB;
    const np = rows
      .filter((r) => r.workload === 'normal-mean' && r.system === 'numpy')
      .sort((a, b) => a.samplesPerStep - b.samplesPerStep);
    const npText =
      np.length > 1
        ? `; numpy ${fmt((np[0] as Row).peakMemoryMB)} → ${fmt((np[np.length - 1] as Row).peakMemoryMB)} MB`
        : '';
    out.push(
      `| webgpu-vi peak memory flat from ${pow2(first.samplesPerStep)} to ${pow2(last.samplesPerStep)} (normal-mean) | ` +
        `GPU allocation ${fmt(first.gpuMemoryMB ?? Number.NaN)} MB at every size; process RSS ` +
        `${fmt(first.peakMemoryMB)} → ${fmt(last.peakMemoryMB)} MB${npText} | ` +
        `${gpuFlat && rssGrowth < 1.25 ? 'yes' : gpuFlat ? `GPU allocation yes; RSS grew ${fmt(rssGrowth, 2)}×` : 'no'} |`,
    );
  }
  // The CPU-adapter targets (issue 16): only meaningful on a CPU adapter, reported on any.
  const best = (workload: WorkloadName): Row | undefined =>
    rows
      .filter((r) => r.workload === workload && r.system === 'webgpu-vi')
      .sort((a, b) => b.samplesPerSecond - a.samplesPerSecond)[0];
  const nmBest = best('normal-mean');
  if (nmBest) {
    out.push(
      `| normal-mean ≥ 2×10^6 samples/s (best size) | ${fmt(nmBest.samplesPerSecond)} at ${pow2(nmBest.samplesPerStep)} | ` +
        `${nmBest.samplesPerSecond >= 2e6 ? 'yes' : `no: ${fmt(2e6 / nmBest.samplesPerSecond, 2)}× short`} |`,
    );
  }
  const nm10 = wg('normal-mean', 2 ** 10);
  if (nm10) {
    out.push(
      `| normal-mean step at 2^10 ≤ 2 ms | ${fmt(nm10.msPerStep)} ms | ${nm10.msPerStep <= 2 ? 'yes' : 'no'} |`,
    );
  }
  const hmm10 = wg('hmm', 2 ** 10);
  if (hmm10) {
    out.push(
      `| hmm ≥ 5×10^5 samples/s at 2^10 | ${fmt(hmm10.samplesPerSecond)} | ` +
        `${hmm10.samplesPerSecond >= 5e5 ? 'yes' : `no: ${fmt(5e5 / hmm10.samplesPerSecond, 2)}× short`} |`,
    );
  }
  // Compiled Stan twins against the hand-written models (issue 11: >= 0.8x, and the compile time).
  for (const r of rows.filter((x) => x.system === 'webgpu-vi-stan')) {
    const hand = wg(r.workload, r.samplesPerStep);
    if (!hand) continue;
    const ratio = r.samplesPerSecond / hand.samplesPerSecond;
    out.push(
      `| ${r.workload} at ${pow2(r.samplesPerStep)}: compiled Stan twin ≥ 0.8× the hand-written model | ` +
        `${fmt(ratio, 2)}× (${fmt(r.samplesPerSecond)} vs ${fmt(hand.samplesPerSecond)} samples/s; ` +
        `source to pipelines ${fmt(r.compileSeconds ?? Number.NaN)} s) | ${ratio >= 0.8 ? 'yes' : 'no'} |`,
    );
  }
  const rate = (workload: WorkloadName): number | undefined => {
    const r = best(workload);
    const w = WORKLOADS.find((x) => x.name === workload);
    return r && w ? r.samplesPerSecond * w.flopsPerSample : undefined;
  };
  const logisticRate = rate('logistic-N1000-D10');
  for (const workload of ['eight-schools', 'linreg'] as const) {
    const own = rate(workload);
    if (own === undefined || logisticRate === undefined) continue;
    out.push(
      `| ${workload}: arithmetic rate within 2× of logistic's (best sizes) | ${fmt(own / 1e9)} vs ${fmt(logisticRate / 1e9)} GFLOP/s (${fmt(own / logisticRate, 2)}×) | ` +
        `${own * 2 >= logisticRate ? 'yes' : 'no'} |`,
    );
  }
  out.push('');

  for (const workload of WORKLOADS) {
    const own = rows.filter((r) => r.workload === workload.name);
    if (own.length === 0) continue;
    out.push(
      `### ${workload.title}: throughput`,
      '',
      '| samples/step | system | samples/s | ms/step | peak memory (MB) | webgpu-vi speedup | notes |',
      '| ---: | --- | ---: | ---: | ---: | ---: | --- |',
    );
    const sorted = [...own].sort(
      (a, b) => a.samplesPerStep - b.samplesPerStep || a.system.localeCompare(b.system),
    );
    for (const r of sorted) {
      const speedup = r.ratioToWebgpuVi ? 1 / r.ratioToWebgpuVi.samplesPerSecond : undefined;
      const memory =
        r.gpuMemoryMB !== undefined
          ? `${fmt(r.peakMemoryMB)} RSS (GPU ${fmt(r.gpuMemoryMB, 2)}; ${fmt(r.baselineRssMB ?? Number.NaN)} before the engine)`
          : fmt(r.peakMemoryMB);
      const notes = [r.backend, r.note].filter(Boolean).join('; ');
      out.push(
        `| ${pow2(r.samplesPerStep)} | ${rowLabel(r.system, r.backend)} | ${fmt(r.samplesPerSecond)} | ${fmt(r.msPerStep)} | ${memory} | ` +
          `${r.system === 'webgpu-vi' ? '' : times(speedup)} | ${notes} |`,
      );
    }
    out.push('');
  }

  const models = costModels(rows);
  if (models.length > 0) {
    out.push(
      '### Where the time goes as the work grows',
      '',
      'ms per step ≈ fixed + per-sample × samples, fitted to this run (least squares on relative error). ' +
        'The fixed part is what a step costs whatever its size (launches, submits, read-backs, ' +
        'interpreter overhead); the per-sample part is the Monte Carlo work itself.',
      '',
      '| workload | system | sizes | fixed ms/step | ns per sample | samples/s at large sizes (1 / per-sample) |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    );
    for (const m of models) {
      out.push(
        `| ${m.workload} | ${m.series} | ${m.sizes} | ${m.fixedMs > 0 ? fmt(m.fixedMs) : `≈ 0 (fit: ${fmt(m.fixedMs)})`} | ${fmt(m.nsPerSample)} | ` +
          `${m.nsPerSample > 0 ? fmt(1e9 / m.nsPerSample) : '–'} |`,
      );
    }
    out.push('');
  }

  const rated = WORKLOADS.map((w) => ({ w, r: best(w.name) })).filter((x) => x.r !== undefined);
  if (rated.length > 0) {
    out.push(
      '### Arithmetic rate per workload (webgpu-vi, best size)',
      '',
      "flops per sample counted by hand from each model's WGSL (bench/workloads.ts: a multiply-add is 2, an exp, " +
        'log or division 1); the rate is samples/s × flops per sample, so models of very different sizes compare.',
      '',
      '| workload | flops per sample | best samples/s (size) | GFLOP/s | ratio to logistic |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const { w, r } of rated) {
      const own = (r as Row).samplesPerSecond * w.flopsPerSample;
      out.push(
        `| ${w.name} | ${fmt(w.flopsPerSample)} | ${fmt((r as Row).samplesPerSecond)} (${pow2((r as Row).samplesPerStep)}) | ` +
          `${fmt(own / 1e9)} | ${logisticRate ? `${fmt(own / logisticRate, 2)}×` : '–'} |`,
      );
    }
    out.push('');
  }

  if (convergence.length > 0) {
    out.push(
      `### Wall time until every posterior mean is within ${TOL_SD} sd of the reference`,
      '',
      `Fresh start (mu = 0, sd = 1), Adam lr ${LR}, a check every ${CHECK_EVERY} steps (counted); ` +
        'setup and warm-up not counted. References: ' +
        Object.entries(references)
          .map(([w, s]) => `${w}: ${s}`)
          .join('; ') +
        '.',
      '',
      '| workload | system | samples/step | wall time (s) | steps | reached? | worst distance (sd) | webgpu-vi speedup |',
      '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |',
    );
    for (const c of convergence) {
      out.push(
        `| ${c.workload} | ${rowLabel(c.system, c.backend)} | ` +
          `${pow2(c.samplesPerStep)} | ${c.reached ? fmt(c.seconds) : `> ${fmt(c.seconds)}`} | ${c.steps} | ` +
          `${c.reached ? 'yes' : 'no (gave up)'} | ${fmt(c.worstSd, 2)} | ` +
          `${c.system === 'webgpu-vi' || c.ratioToWebgpuVi === undefined ? '' : times(c.ratioToWebgpuVi)} |`,
      );
    }
    out.push('');
  }
  if (failures.length > 0) {
    out.push('### Not measured in this run', '');
    for (const f of failures) {
      out.push(
        `- ${f.workload}, ${seriesLabel(f.system, f.backend)} at ${pow2(f.samplesPerStep)}: ${f.reason}`,
      );
    }
    out.push('');
  }
  out.push(
    '![samples per second against samples per step](bench/results/throughput.svg)',
    '',
    `Raw figures: [bench/results/latest.json](bench/results/latest.json).`,
  );
  return out.join('\n');
}

export interface CostModel {
  readonly workload: WorkloadName;
  readonly series: string;
  /** ms per step ≈ fixedMs + nsPerSample * samples / 10^6, fitted over the sizes measured. */
  readonly fixedMs: number;
  readonly nsPerSample: number;
  readonly sizes: number;
}

/** Weighted least squares (weights 1 / ms^2: relative error) of ms per step on samples per step. */
export function costModels(rows: readonly Row[]): CostModel[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.workload}\u0000${rowLabel(r.system, r.backend)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: CostModel[] = [];
  for (const [key, group] of groups) {
    if (group.length < 2) continue;
    const [workload, series] = key.split('\u0000') as [WorkloadName, string];
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (const r of group) {
      const w = 1 / r.msPerStep ** 2;
      sw += w;
      sx += w * r.samplesPerStep;
      sy += w * r.msPerStep;
      sxx += w * r.samplesPerStep ** 2;
      sxy += w * r.samplesPerStep * r.msPerStep;
    }
    const slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
    const fixed = (sy - slope * sx) / sw;
    out.push({ workload, series, fixedMs: fixed, nsPerSample: slope * 1e6, sizes: group.length });
  }
  return out;
}

const START = '<!-- bench:results:start (written by bench/run.ts; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

async function writeBenchmarksMd(section: string): Promise<void> {
  const path = join(ROOT, 'BENCHMARKS.md');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const from = current.indexOf(START);
  const to = current.indexOf(END);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from + START.length)}\n\n${section}\n\n${current.slice(to)}`
      : `${current.trimEnd()}\n\n## Results\n\n${START}\n\n${section}\n\n${END}\n`;
  const options = (await resolveConfig(path)) ?? {};
  writeFileSync(path, await format(next, { ...options, filepath: path }));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const plan: Plan = args.quick ? QUICK : FULL;
  const onlySystems = args.only.filter((o) => (SYSTEMS as readonly string[]).includes(o));
  const onlyWorkloads = args.only.filter((o) => WORKLOADS.some((w) => w.name === o));
  const unknown = args.only.filter((o) => !onlySystems.includes(o) && !onlyWorkloads.includes(o));
  if (unknown.length > 0) {
    throw new Error(
      `--only: unknown "${unknown.join(', ')}" (systems: ${SYSTEMS.join(', ')}; workloads: ` +
        `${WORKLOADS.map((w) => w.name).join(', ')})`,
    );
  }
  const wanted = (s: Series): boolean =>
    (onlySystems.length === 0 || onlySystems.includes(s.system)) &&
    (onlyWorkloads.length === 0 || onlyWorkloads.includes(s.workload));
  const series = plan.series.filter(wanted);
  const started = Date.now();
  const loadStart = loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

  const ctx = await acquireDevice();
  const adapter = ctx.adapter.name + (ctx.adapter.isCpu ? ' (CPU)' : '');
  ctx.device.destroy();
  const python = pythonVersion();
  const cpu = cpus();
  const machine =
    `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `${platform()} ${release()}, Node ${process.version}${python ? `, ${python}` : ''}`;
  console.log(`adapter: ${adapter}\nmachine: ${machine}\nload average: ${loadStart}`);
  console.log(
    `${args.quick ? 'quick' : 'full'} run: ${series.length} series, ${args.reps} repetitions each\n`,
  );

  const references: Record<string, Reference> = {};
  const referenceText: Record<string, string> = {};
  for (const w of WORKLOADS) {
    if (!series.some((s) => s.workload === w.name) || !w.referenceSource) continue;
    references[w.name] = referenceFor(w);
    referenceText[w.name] = w.referenceSource;
  }

  const rows: Row[] = [];
  const convergence: ConvergenceRow[] = [];
  const failures: Failure[] = [];
  const convergeSamples = 2 ** plan.convergeLog2Samples;
  for (const s of series) {
    const workload = WORKLOADS.find((w) => w.name === s.workload) as Workload;
    for (const log2 of s.log2Samples) {
      const samples = 2 ** log2;
      const reference = references[s.workload];
      const job: Job = {
        model: workload.model,
        data: workload.data,
        samples,
        reps: args.reps,
        targetRepMs: plan.targetRepMs,
        maxSteps: 1000,
        lr: LR,
        seed: SEED,
        warmupSamples: 2 ** 12,
        ...(s.chunk && samples > s.chunk ? { chunk: s.chunk } : {}),
        ...(s.backend ? { backend: s.backend } : {}),
        ...(s.system === 'webgpu-vi-stan' ? { stanSource: workload.stanTwin } : {}),
        ...(samples === convergeSamples && reference && s.system !== 'webgpu-vi-stan'
          ? {
              converge: {
                reference,
                tolSd: TOL_SD,
                checkEvery: CHECK_EVERY,
                maxSeconds: plan.convergeMaxSeconds,
              },
            }
          : {}),
      };
      const label = `${s.workload} ${seriesLabel(s.system, s.backend)} 2^${log2}`;
      const t0 = Date.now();
      const result = await runJob(s.system, job, plan.taskTimeoutMs);
      const took = ((Date.now() - t0) / 1000).toFixed(1);
      if (typeof result === 'string') {
        console.log(`${label}: FAILED (${result}) [${took} s]`);
        failures.push({
          workload: s.workload,
          system: s.system,
          backend: s.backend ?? '',
          samplesPerStep: samples,
          reason: result,
        });
        continue;
      }
      const backend = result.backend ?? s.backend ?? '';
      rows.push({
        workload: s.workload,
        system: s.system,
        backend,
        samplesPerStep: samples,
        samplesPerSecond: result.samplesPerSecond,
        msPerStep: result.msPerStep,
        peakMemoryMB: result.peakMemoryMB,
        ...(result.gpuMemoryMB !== undefined ? { gpuMemoryMB: result.gpuMemoryMB } : {}),
        ...(result.baselineRssMB !== undefined ? { baselineRssMB: result.baselineRssMB } : {}),
        reps: args.reps,
        stepsPerRep: result.stepsPerRep,
        timesMs: result.times,
        ...(job.chunk ? { note: `${job.chunk} samples per chunk` } : {}),
        ...(result.compileSeconds !== undefined
          ? { compileSeconds: result.compileSeconds, note: `compiled from ${job.stanSource}` }
          : {}),
      });
      const c = result.converge;
      if (c) {
        convergence.push({
          workload: s.workload,
          system: s.system,
          backend,
          samplesPerStep: samples,
          ...c,
        });
      }
      console.log(
        `${label}: ${fmt(result.samplesPerSecond)} samples/s, ${fmt(result.msPerStep)} ms/step, ` +
          `peak ${fmt(result.peakMemoryMB)} MB` +
          (c
            ? `; to ${TOL_SD} sd: ${c.reached ? `${fmt(c.seconds)} s` : `not in ${fmt(c.seconds)} s`}`
            : '') +
          ` [${took} s]`,
      );
    }
  }

  for (const r of rows) {
    if (r.system === 'webgpu-vi') continue;
    const w = rows.find(
      (x) => x.system === 'webgpu-vi' && x.workload === r.workload && x.samplesPerStep === r.samplesPerStep,
    );
    if (w) {
      r.ratioToWebgpuVi = {
        samplesPerSecond: r.samplesPerSecond / w.samplesPerSecond,
        peakMemory: r.peakMemoryMB / w.peakMemoryMB,
      };
    }
  }
  for (const c of convergence) {
    const w = convergence.find((x) => x.system === 'webgpu-vi' && x.workload === c.workload);
    // Only when both reached the reference: a run that gave up has no wall time to compare.
    if (w && c.system !== 'webgpu-vi' && w.reached && c.reached) c.ratioToWebgpuVi = c.seconds / w.seconds;
  }

  const wallSeconds = (Date.now() - started) / 1000;
  const meta = {
    adapter,
    machine,
    date: new Date().toISOString(),
    command: `npm run bench${args.quick ? ' -- --quick' : ''}${args.only.length ? ` --only ${args.only.join(',')}` : ''}`,
    loadStart,
    loadEnd: loadavg()
      .map((x) => x.toFixed(2))
      .join(', '),
    wallSeconds,
  };
  const results = {
    adapter,
    machine,
    date: meta.date,
    mode: args.quick ? 'quick' : 'full',
    command: meta.command,
    loadAverage: { start: meta.loadStart, end: meta.loadEnd },
    wallSeconds,
    method: {
      reps: args.reps,
      statistic: 'median of the repetitions, after a warm-up',
      lr: LR,
      seed: SEED,
      family: 'mean-field Gaussian, mu = 0 and log sd = 0 at the start',
      peakMemory:
        "each runner process's peak RSS (webgpu-vi: plus gpuMemoryMB, the engine's GPU allocation; on a CPU adapter the GPU buffers are inside the RSS)",
      ratioToWebgpuVi: "this system's figure / webgpu-vi's, same workload and samples per step, same run",
      convergence: `wall time from a fresh start until every reported posterior mean is within ${TOL_SD} reference sd`,
    },
    references: Object.fromEntries(
      Object.entries(references).map(([k, v]) => [k, { mean: v.mean, sd: v.sd, source: referenceText[k] }]),
    ),
    rows,
    convergence,
    costModel: costModels(rows),
    failures,
  };

  mkdirSync(RESULTS, { recursive: true });
  const partial = args.only.length > 0;
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (partial) {
    writeFileSync(join(RESULTS, 'partial.tmp'), json);
    console.log(
      `\nwritten: bench/results/partial.tmp (--only: latest.json and BENCHMARKS.md left as they were)`,
    );
  } else {
    const slug = adapter
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    writeFileSync(join(RESULTS, 'latest.json'), json);
    writeFileSync(join(RESULTS, `${slug}${args.quick ? '-quick' : ''}.json`), json);
    const points = rows.map((r) => ({
      workload: r.workload,
      series: rowLabel(r.system, r.backend),
      samplesPerStep: r.samplesPerStep,
      samplesPerSecond: r.samplesPerSecond,
    }));
    writeFileSync(
      join(RESULTS, 'throughput.svg'),
      throughputSvg(
        points,
        `Samples per second against samples per step — ${adapter}, ${meta.date.slice(0, 10)}`,
      ),
    );
    await writeBenchmarksMd(markdownTables(rows, convergence, failures, meta, referenceText));
    console.log(
      `\nwritten: bench/results/latest.json, bench/results/${slug}${args.quick ? '-quick' : ''}.json, ` +
        'bench/results/throughput.svg, BENCHMARKS.md',
    );
  }
  console.log(`wall time: ${wallSeconds.toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(1);
  },
);
