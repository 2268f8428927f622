/**
 * Benchmark (not a test): standard normals per second from shaders/rng/philox.wgsl on this machine's
 * WebGPU adapter. Fills a 2^24-value buffer repeatedly; prints the median of the timed repetitions.
 *   npm run bench            (or: npx vite-node bench/normals.ts -- --reps 9)
 */
import { createBuffer, STORAGE } from '../src/gpu/buffers';
import { acquireDevice } from '../src/gpu/device';
import { RandomFill } from '../src/gpu/rng';

const COUNT = 2 ** 24;
const repsArg = process.argv.indexOf('--reps');
const REPS = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 7;
const FILLS_PER_SUBMIT = 4;

const ctx = await acquireDevice();
const fill = await RandomFill.create(ctx, 'normal');
const out = createBuffer(ctx.device, { label: 'bench normals', usage: STORAGE, size: COUNT * 4 });

async function run(): Promise<number> {
  const start = performance.now();
  const encoder = ctx.device.createCommandEncoder();
  for (let i = 0; i < FILLS_PER_SUBMIT; i++) fill.encode(encoder, out, COUNT, [i, 1]);
  ctx.device.queue.submit([encoder.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
  fill.recycle();
  return performance.now() - start;
}

await run(); // warm-up: pipeline compilation and first-touch allocation
const times: number[] = [];
for (let r = 0; r < REPS; r++) times.push(await run());
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
const perSecond = (COUNT * FILLS_PER_SUBMIT) / (median / 1000);
console.log(`adapter: ${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`);
console.log(
  `normals/s: ${perSecond.toExponential(3)}  (median of ${REPS} runs of ${FILLS_PER_SUBMIT} x 2^24 draws, ` +
    `${median.toFixed(1)} ms; min ${times[0]?.toFixed(1)} ms, max ${times[times.length - 1]?.toFixed(1)} ms)`,
);
out.destroy();
fill.destroy();
ctx.device.destroy();
process.exit(0);
