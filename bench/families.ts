/**
 * Benchmark (not a test): samples/s of one fused step (elbo_step + elbo_finalize, Adam) per variational family
 * at D = 2, 10 and 100 on this machine's adapter (full-rank and the flow refuse D = 100: they take D <= 32 and
 * D <= 16), on an independent-normal Stan model (so the model's cost is small beside the family's). Each row: a warm-up of 2 steps, then the median of `reps` timed runs of `steps`
 * steps (each run ends when its last step's metrics are back).
 *   npm run bench:families                      (16384 samples per step, 10 steps, 5 reps)
 *   npm run bench:families -- --quick           (1024 samples, 3 steps, 1 rep: a smoke run on SwiftShader)
 *   options: --families meanfield,flow  --dims 2,10,100  --samples N  --steps N  --reps N
 */
import { acquireDevice } from '../src/gpu/device';
import { compileStan } from '../src/stan/compile';
import { ViEngine } from '../src/vi/engine';
import { familyNames } from '../src/vi/families/registry';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const families = (option('families') ?? familyNames().join(',')).split(',').filter(Boolean);
const dims = (option('dims') ?? '2,10,100').split(',').map(Number);
const samples = Number(option('samples') ?? (quick ? 1024 : 16384));
const steps = Number(option('steps') ?? (quick ? 3 : 10));
const reps = Number(option('reps') ?? (quick ? 1 : 5));

const source = 'data { int D; } parameters { vector[D] z; } model { z ~ normal(0, 1); }';
const compiled = compileStan(source, { name: 'std-normal' });
if (!('model' in compiled)) throw new Error('the benchmark model did not compile');
const { model } = compiled;

const ctx = await acquireDevice();
console.log(`adapter: ${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`);
console.log(`${samples} samples per step, median of ${reps} runs of ${steps} steps`);
console.log('| family | D | samples/s | ms/step |');
console.log('| ------ | - | --------- | ------- |');
for (const d of dims) {
  for (const family of families) {
    let engine: ViEngine;
    try {
      engine = await ViEngine.create(
        ctx,
        model,
        { D: d },
        { family, samples, optimizer: 'adam', lr: 0.01, diagnosticDraws: 1000 },
      );
    } catch (error) {
      console.log(`| ${family} | ${d} | refused: ${(error as Error).message} | |`);
      continue;
    }
    await engine.runSteps(2);
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      await engine.runSteps(steps);
      times.push((performance.now() - start) / steps);
    }
    engine.destroy();
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)] as number;
    console.log(`| ${family} | ${d} | ${((samples * 1000) / ms).toExponential(3)} | ${ms.toFixed(2)} |`);
  }
}
ctx.device.destroy();
