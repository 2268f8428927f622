/**
 * webgpu-vi's runner: one job (bench/protocol.ts) on stdin, one JSON line out. Runs the engine in this
 * process on the current adapter (Dawn in Node). Throughput: a warm-up, then `reps` repetitions of K steps
 * through engine.runSteps (K chosen from the warm-up); each repetition ends when the last step's metrics
 * are back on the host, so the GPU work is all counted. Memory: the engine's GPU allocation (constant in
 * the samples per step) and this process's peak RSS (on a CPU adapter such as SwiftShader, the GPU
 * buffers live in this process, so RSS includes them).
 *   echo '{"model":"normal-mean",...}' | npx vite-node bench/systems/webgpu-vi.ts
 */
import { readFileSync } from 'node:fs';
import { acquireDevice } from '../../src/gpu/device';
import { formatDiagnostic } from '../../src/stan/ast';
import { compileStan } from '../../src/stan/compile';
import { getModel } from '../../src/models/registry';
import { ViEngine } from '../../src/vi/engine';
import { MEANFIELD } from '../../src/vi/families/meanfield';
import {
  finish,
  median,
  peakRssMB,
  readJob,
  reportedMeans,
  stepsPerRep,
  convergeLoop,
  type ConvergeResult,
  type Job,
} from '../protocol';

const job: Job = readJob();
/** Optimizer steps per GPU submit (the engine's default is 10). */
const STEPS_PER_SUBMIT = job.stepsPerSubmit ?? 10;
const ctx = await acquireDevice();
/** This process with Dawn and the driver loaded, before the engine: the floor under its peak RSS. */
const deviceRssMB = process.memoryUsage().rss / 2 ** 20;
/** The built-in model, or (job.stanSource) the workload's Stan twin compiled here, timed. */
function loadModel(): { model: ReturnType<typeof getModel>; compileSeconds?: number } {
  if (!job.stanSource) return { model: getModel(job.model) };
  const start = performance.now();
  const source = readFileSync(job.stanSource, 'utf8');
  const compiled = compileStan(source, { name: job.model, fileName: job.stanSource });
  if ('diagnostics' in compiled) {
    const file = job.stanSource;
    throw new Error(compiled.diagnostics.map((d) => formatDiagnostic(file, source, d)).join('\n'));
  }
  return { model: compiled.model, compileSeconds: (performance.now() - start) / 1000 };
}
const { model, compileSeconds: frontEndSeconds } = loadModel();
/** Adam, as every peer runs it: the throughput is Adam's steps, and time to 0.1 sd is Adam's climb. */
const settings = {
  optimizer: 'adam',
  samples: job.samples,
  lr: job.lr,
  seed: job.seed,
  stepsPerSubmit: STEPS_PER_SUBMIT,
};

async function timeSteps(engine: ViEngine, steps: number): Promise<number> {
  const start = performance.now();
  await engine.runSteps(steps);
  return (performance.now() - start) / steps;
}

async function means(engine: ViEngine): Promise<number[]> {
  const { mean, sd } = MEANFIELD.marginals(await engine.readLambda(), engine.prepared.dimension);
  return reportedMeans(job.model, mean, sd);
}

const setupStart = performance.now();
let engine = await ViEngine.create(ctx, model, job.data, settings);
const setupSeconds = (performance.now() - setupStart) / 1000;

// Warm-up: one step (the first dispatches are slow), a second for the pace unless steps are long anyway,
// then a submit's worth if steps are short.
let warm = await timeSteps(engine, 1);
if (warm < 2000) warm = await timeSteps(engine, 1);
if (warm * STEPS_PER_SUBMIT < job.targetRepMs) warm = await timeSteps(engine, STEPS_PER_SUBMIT);

const k = stepsPerRep(job, warm, STEPS_PER_SUBMIT);
const times: number[] = [];
for (let r = 0; r < job.reps; r++) times.push(await timeSteps(engine, k));
const finalMeans = await means(engine);

let converge: ConvergeResult | undefined;
if (job.converge) {
  // A fresh engine (lambda from zero; Dawn reuses the compiled pipelines), then steps until the means are close.
  engine.destroy();
  const fresh = await ViEngine.create(ctx, model, job.data, settings);
  engine = fresh;
  converge = await convergeLoop(
    job.converge,
    (steps) => fresh.runSteps(steps),
    () => means(fresh),
  );
}

const msPerStep = median(times);
const result = {
  system: 'webgpu-vi' as const,
  samplesPerSecond: (job.samples * 1000) / msPerStep,
  msPerStep,
  peakMemoryMB: peakRssMB(),
  gpuMemoryMB: engine.allocatedBytes / 2 ** 20,
  baselineRssMB: deviceRssMB,
  times: times.sort((a, b) => a - b),
  stepsPerRep: k,
  mean: finalMeans,
  backend: `${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`,
  setupSeconds,
  ...(frontEndSeconds !== undefined ? { compileSeconds: frontEndSeconds + setupSeconds } : {}),
  ...(converge ? { converge } : {}),
};
engine.destroy();
ctx.device.destroy();
await finish(result);
