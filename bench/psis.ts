/**
 * Benchmark (not a test): PSIS k-hat from S draws on this machine's WebGPU adapter, memory flat in S.
 * The values come from a hash-based heavy-tailed formula (test/reference/tail-formula.ts, k about 0.72),
 * recomputed in every pass as the engine will recompute its draws; prints the time of each pass, the
 * bytes of GPU memory held, and for comparison the CPU path (all S values on the host, then psis).
 *   npx vite-node bench/psis.ts            (default S = 10^6 and 10^7)
 *   npx vite-node bench/psis.ts -- --sizes 1000000,16777216 --reps 3
 */
import { acquireDevice } from '../src/gpu/device';
import { TailSelect } from '../src/gpu/tail-select';
import { psis, psisFromTail } from '../src/vi/diagnostics/psis';
import { TAIL_FORMULA_WGSL, tailFormulaConstants, tailFormulaValues } from '../test/reference/tail-formula';

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}
const sizes = (argument('--sizes') ?? '1000000,10000000').split(',').map(Number);
const reps = Number(argument('--reps') ?? 3);
const formula = { scale: 0.5, shift: -1000.5, seed: 7 };

const ctx = await acquireDevice();
const select = await TailSelect.create(ctx, {
  label: 'bench formula',
  source: TAIL_FORMULA_WGSL,
  constants: tailFormulaConstants(formula),
  groups: [],
  bindGroups: () => [],
});
console.log(`adapter: ${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`);
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
ctx.device.destroy();
process.exit(0);
