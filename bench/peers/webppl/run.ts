/**
 * WebPPL's runner: one job (bench/protocol.ts) on stdin, one JSON line out. Compiles <model>.wppl with
 * driver.wppl appended and runs it with the `webppl` npm package: WebPPL's Optimize, its ELBO estimator
 * with `samples` samples per step, Adam. Timing and the convergence check are done here, in the `bench`
 * object the WebPPL program calls (per-step timestamps from Optimize's onStep).
 *   npx vite-node bench/peers/webppl/run.ts < job.json
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  finish,
  median,
  peakRssMB,
  readJob,
  reportedMeans,
  stepsPerRep,
  worstSd,
  type ConvergeResult,
  type Job,
} from '../../protocol';

interface WebpplTensor {
  readonly dims: readonly number[];
  readonly data: ArrayLike<number>;
}
type WebpplParams = Readonly<Record<string, WebpplTensor | readonly WebpplTensor[]>>;
interface Webppl {
  run(code: string, k: (store: unknown, value: unknown) => void, options?: Record<string, unknown>): void;
}

const require = createRequire(import.meta.url);
const webppl = require('webppl') as Webppl;
const job: Job = readJob();
const here = new URL('.', import.meta.url);
const source = (name: string): string => readFileSync(new URL(name, here), 'utf8');
const warmupSamples = Math.min(job.samples, job.warmupSamples ?? job.samples);
/** Far more steps than any convergence run takes: the check stops it. */
const CONVERGE_STEP_LIMIT = 1_000_000;

/** q's means and sds from WebPPL's parameter store: mu* are means, omega* log sds (names sorted). */
function meanAndSd(params: WebpplParams): { mu: number[]; sd: number[] } {
  const values = (prefix: string): number[] =>
    Object.keys(params)
      .filter((name) => name.startsWith(prefix))
      .sort()
      .flatMap((name) => {
        const entry = params[name] as WebpplTensor | readonly WebpplTensor[];
        const tensor = Array.isArray(entry) ? (entry[0] as WebpplTensor) : (entry as WebpplTensor);
        return Array.from(tensor.data);
      });
  return { mu: values('mu'), sd: values('omega').map(Math.exp) };
}

function means(params: WebpplParams): number[] {
  const { mu, sd } = meanAndSd(params);
  return reportedMeans(job.model, mu, sd);
}

let begun = 0;
let marks: number[] = [];
let timedMarks: number[] = [];
let timedBegun = 0;
let k = 0;
let converge: ConvergeResult | undefined;
let finalMeans: number[] = [];

const bench = {
  job,
  warmupSamples,
  begin(): void {
    marks = [];
    begun = performance.now();
  },
  step(): boolean {
    marks.push(performance.now());
    return false;
  },
  convergeStepLimit: CONVERGE_STEP_LIMIT,
  /** Steps for the timed repetitions: the warm-up step's pace, scaled to the job's samples per step. */
  plan(): number {
    const warmMs = ((marks[0] as number) - begun) * (job.samples / warmupSamples);
    k = stepsPerRep(job, warmMs);
    return k * job.reps;
  },
  check(i: number, params: WebpplParams): boolean {
    const spec = job.converge;
    if (!spec || (i + 1) % spec.checkEvery !== 0) return false;
    const worst = worstSd(means(params), spec.reference);
    const seconds = (performance.now() - begun) / 1000;
    converge = { reached: worst <= spec.tolSd, seconds, steps: i + 1, worstSd: worst };
    return converge.reached || seconds > spec.maxSeconds;
  },
  /** After the timed steps: keep their timestamps (a convergence run reuses `marks`). */
  done(params: WebpplParams): void {
    finalMeans = means(params);
    timedMarks = marks;
    timedBegun = begun;
  },
};
(globalThis as Record<string, unknown>).bench = bench;

const code = `var data = bench.job.data;\n${source(`${job.model}.wppl`)}\n${source('driver.wppl')}`;
await new Promise<void>((resolve) => webppl.run(code, () => resolve()));

const times: number[] = [];
for (let r = 0; r < job.reps; r++) {
  const start = r === 0 ? timedBegun : (timedMarks[r * k - 1] as number);
  times.push(((timedMarks[(r + 1) * k - 1] as number) - start) / k);
}
const msPerStep = median(times);
await finish({
  system: 'webppl',
  samplesPerSecond: (job.samples * 1000) / msPerStep,
  msPerStep,
  peakMemoryMB: peakRssMB(),
  times: times.sort((a, b) => a - b),
  stepsPerRep: k,
  mean: finalMeans,
  backend: `webppl ${(require('webppl/package.json') as { version: string }).version} (Node ${process.version})`,
  ...(converge ? { converge } : {}),
});
