/**
 * Stan's ADVI as a user runs it (vb() at its defaults) on every accuracy workload: meanfield and fullrank,
 * several seeds, each in its own Rscript process; prints a Markdown table of compile time, fit time and the
 * final errors against each workload's reference, and whether Stan said it converged.
 *   npx vite-node bench/peers/stan/measure.ts [-- --seeds 5] [--only hmm,logistic] [--out results.json]
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import {
  ACCURACY_WORKLOAD_NAMES,
  accuracyWorkload,
  type AccuracyWorkloadName,
} from '../../accuracy/workloads';
import { runStanPeer, StanPeerError, type StanAlgorithm, type StanPeerResult } from './stan';

interface Args {
  readonly seeds: number;
  readonly only: readonly AccuracyWorkloadName[];
  readonly out: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let seeds = 5;
  let only: readonly AccuracyWorkloadName[] = ACCURACY_WORKLOAD_NAMES;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seeds') seeds = Number(argv[++i]);
    else if (arg === '--out') out = argv[++i];
    else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',');
      const unknown = names.filter((n) => !ACCURACY_WORKLOAD_NAMES.some((w) => w === n));
      if (unknown.length) throw new Error(`--only: unknown workload ${unknown.join(', ')}`);
      only = ACCURACY_WORKLOAD_NAMES.filter((w) => names.includes(w));
    } else if (arg !== '--') throw new Error(`unknown argument "${arg}" (expected --seeds, --only, --out)`);
  }
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error('--seeds: expected an integer >= 1');
  return { seeds, only, out };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '–');
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : '–');

const args = parseArgs(process.argv.slice(2));
const algorithms: readonly StanAlgorithm[] = ['meanfield', 'fullrank'];
const results: StanPeerResult[] = [];
const failures: { workload: string; algorithm: StanAlgorithm; seed: number; error: string }[] = [];
const rows: string[] = [];
let rstan = '';

for (const name of args.only) {
  const workload = accuracyWorkload(name);
  for (const algorithm of algorithms) {
    const runs: StanPeerResult[] = [];
    const failed: string[] = [];
    for (let seed = 1; seed <= args.seeds; seed++) {
      try {
        const r = await runStanPeer(workload, algorithm, seed);
        runs.push(r);
        rstan = `rstan ${r.rstanVersion} (Stan ${r.stanVersion})`;
        console.error(
          `${name} ${algorithm} seed ${seed}: fit ${r.fitSeconds.toFixed(2)} s, mean err ${f2(r.meanError)} sd, ` +
            `sd err ${pct(r.sdError)}, ${r.message || 'no verdict'} after ${r.iterations ?? '?'} iterations`,
        );
      } catch (error) {
        if (!(error instanceof StanPeerError) || error.kind === 'missing') throw error;
        failed.push(error.message.split('\n')[0] ?? '');
        failures.push({ workload: name, algorithm, seed, error: error.message });
        console.error(`${name} ${algorithm} seed ${seed}: ${error.message}`);
      }
    }
    results.push(...runs);
    const compile = Math.max(0, ...runs.map((r) => r.cachedCompileSeconds));
    const meanErrors = runs.map((r) => r.meanError);
    const sdErrors = runs.map((r) => r.sdError);
    const converged = runs.filter((r) => r.converged).length;
    const vsOptimum = runs.flatMap((r) => (r.meanfieldSdError === null ? [] : [r.meanfieldSdError]));
    const optimumNote = vsOptimum.length
      ? ` (vs the mean-field optimum: ${pct(median(vsOptimum))} / ${pct(Math.max(...vsOptimum))})`
      : '';
    rows.push(
      `| ${name} | ${algorithm} | ${compile.toFixed(1)} | ${f2(median(runs.map((r) => r.fitSeconds)))} | ` +
        `${f2(median(runs.map((r) => r.wallSeconds)))} | ` +
        `${f2(median(meanErrors))} / ${f2(Math.max(...meanErrors))} | ` +
        `${pct(median(sdErrors))} / ${pct(Math.max(...sdErrors))}${optimumNote} | ${converged}/${args.seeds}` +
        `${failed.length ? ` (${failed.length} failed)` : ''} | ${median(runs.map((r) => r.iterations ?? NaN))} | ` +
        `${f2(median(runs.map((r) => r.paretoK ?? NaN)))} |`,
    );
  }
}

const cpu = cpus();
console.log(
  `Stan ADVI at its defaults (vb(): iter 10000, tol_rel_obj 0.01, eta adaptation, 1000 output draws), ` +
    `${args.seeds} seeds; ${rstan}; ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ` +
    `${Math.round(totalmem() / 2 ** 30)} GB. Errors from the 1000 output draws against the workload's reference; ` +
    `compile time measured when the model was first compiled (cached after); process: the whole cached Rscript run.\n`,
);
console.log(
  '| workload | algorithm | compile s | fit s (median) | process s (median) | mean error, ref sd (median / max) | ' +
    'sd error (median / max) | Stan converged | iterations (median) | Pareto k (median) |',
);
console.log('| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |');
for (const row of rows) console.log(row);
if (failures.length)
  console.log(
    `\n${failures.length} runs failed:\n${failures.map((f) => `- ${f.workload} ${f.algorithm} seed ${f.seed}: ${f.error}`).join('\n')}`,
  );
if (args.out) {
  const slim = results.map(({ log: _log, ...rest }) => rest);
  await writeFile(
    args.out,
    JSON.stringify({ rstan, cpu: cpu[0]?.model, cores: cpu.length, results: slim, failures }, null, 1),
  );
}
