/**
 * Benchmark (not a test): PSIS k-hat from S draws on this machine's WebGPU adapter, memory flat in S.
 * Two parts:
 *   formula: the standalone tail passes on values from a hash-based heavy-tailed formula
 *     (test/reference/tail-formula.ts, k about 0.72), recomputed in every pass; prints the time of each pass,
 *     the bytes of GPU memory held, and for comparison the CPU path (all S values on the host, then psis).
 *   engine: the engine's real path, engine.diagnose(S) after a short fit of each model: q's draws, the model's
 *     log density and log q recomputed in every pass, k-hat, IW-ELBO, ESS and the PSIS-corrected moments;
 *     prints the time, the engine's GPU bytes (the same for every S) and what holding the S log ratios and
 *     reported values would take instead.
 *   npm run bench:psis                     (both parts, default S = 10^6 and 10^7; or npx vite-node bench/psis.ts)
 *   npm run bench:psis -- --part engine --models normal-mean,hmm --sizes 1000000 --reps 1
 */
import { acquireDevice } from '../src/gpu/device';
import { TailSelect } from '../src/gpu/tail-select';
import { getModel } from '../src/models/registry';
import { ViEngine } from '../src/vi/engine';
import { psis, psisFromTail } from '../src/vi/diagnostics/psis';
import { TAIL_FORMULA_WGSL, tailFormulaConstants, tailFormulaValues } from '../test/reference/tail-formula';

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}
const sizes = (argument('--sizes') ?? '1000000,10000000').split(',').map(Number);
const reps = Number(argument('--reps') ?? 3);
const formula = { scale: 0.5, shift: -1000.5, seed: 7 };
const part = argument('--part') ?? 'both';
const models = (argument('--models') ?? 'normal-mean,eight-schools,hmm').split(',');
const fitSteps = Number(argument('--steps') ?? 300);

const ctx = await acquireDevice();
console.log(`adapter: ${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`);

async function formulaPart(): Promise<void> {
  const select = await TailSelect.create(ctx, {
    label: 'bench formula',
    source: TAIL_FORMULA_WGSL,
    constants: tailFormulaConstants(formula),
    groups: [],
    bindGroups: () => [],
  });
  console.log(`GPU memory held by TailSelect (any S up to 2^24): ${select.allocatedBytes} bytes`);
  await select.run(10_000); // warm-up: pipelines, first-touch allocation

  for (const S of sizes) {
    const runs: { ms: number; passMs: readonly number[]; khat: number }[] = [];
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      const selection = await select.run(S);
      const result = psisFromTail(selection);
      runs.push({ ms: performance.now() - start, passMs: selection.passMs, khat: result.khat });
    }
    runs.sort((a, b) => a.ms - b.ms);
    const median = runs[Math.floor(runs.length / 2)]!;
    const cpuStart = performance.now();
    const values = tailFormulaValues(S, formula);
    const generated = performance.now() - cpuStart;
    const cpu = psis(values);
    const cpuMs = performance.now() - cpuStart;
    console.log(
      `S = ${S}: GPU k-hat ${median.khat.toFixed(4)} in ${median.ms.toFixed(0)} ms (median of ${reps}; ` +
        `${median.passMs.length} passes: ${median.passMs.map((t) => t.toFixed(0)).join(' + ')} ms), ` +
        `${(S / (median.ms / 1000)).toExponential(2)} draws/s; CPU: values ${generated.toFixed(0)} ms + psis ` +
        `${(cpuMs - generated).toFixed(0)} ms, k-hat ${cpu.khat.toFixed(4)}, ${S * 4} bytes of f32 values ` +
        `(+ ${S * 8 * 2} bytes of float64 work arrays)`,
    );
  }
  select.destroy();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function enginePart(): Promise<void> {
  for (const name of models) {
    const model = getModel(name);
    const engine = await ViEngine.create(ctx, model, model.defaultData(), { samples: 4096, seed: 1 });
    await engine.runSteps(fitSteps);
    const before = engine.allocatedBytes;
    const warm = await engine.diagnose(1000); // builds the diagnostic pipelines and buffers
    const held = engine.allocatedBytes;
    console.log(
      `${name}: ${fitSteps} steps of 4096 samples; engine GPU bytes ${before} before the diagnostic, ` +
        `${held} with it (k-hat from 1000 draws ${warm.khat.toFixed(3)})`,
    );
    for (const S of sizes) {
      const ms: number[] = [];
      let last = warm;
      const rss = process.memoryUsage().rss;
      for (let r = 0; r < reps; r++) {
        last = await engine.diagnose(S);
        ms.push(last.ms);
      }
      const r = engine.prepared.paramNames.length;
      console.log(
        `  S = ${S}: ${median(ms).toFixed(0)} ms (median of ${reps}; ${last.passes} passes), ` +
          `${(S / (median(ms) / 1000)).toExponential(2)} ` +
          `draws/s; k-hat ${last.khat.toFixed(4)} (${last.level}), IW-ELBO ${last.iwElbo.toFixed(4)}, ` +
          `ESS ${last.ess.toExponential(3)}; engine GPU bytes ${engine.allocatedBytes} (held: ${held}); ` +
          `host RSS +${((process.memoryUsage().rss - rss) / 2 ** 20).toFixed(1)} MiB; storing the log ratios and ` +
          `${r} reported values instead: ${((S * (r + 1) * 4) / 2 ** 20).toFixed(0)} MiB of f32`,
      );
    }
    engine.destroy();
  }
}

if (part === 'formula' || part === 'both') await formulaPart();
if (part === 'engine' || part === 'both') await enginePart();
ctx.device.destroy();
process.exit(0);
