/**
 * The accuracy benchmark: how long each optimizer takes, from a fresh start, to an answer that it calls
 * converged, and how far that answer is from the exact or NUTS posterior (means in posterior sds, sds
 * relatively); Stan's own ADVI (rstan's vb(), at its defaults) beside it on the same data, its compile time
 * apart. Accuracy target: means within 0.05 sd and sds within 5 %.
 *   npm run bench:accuracy [-- --only hmm,logistic] [-- --seeds 3] [-- --no-stan] [-- --configs defaults,adam,old]
 * Each webgpu-vi run is its own fit in this process (the pipelines are compiled before the clock starts, as
 * a page or CLI user waits for them once); Stan runs through bench/peers/stan (needs R: see its README; when R
 * is missing, its rows say so). Writes bench/results/accuracy.json and the accuracy section of BENCHMARKS.md
 * after every workload.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDevice } from '../src/gpu/device';
import { getModel } from '../src/models/registry';
import { ViEngine, type FitResult } from '../src/vi/engine';
import type { FitSettings } from '../src/vi/settings';
import { accuracyWorkloads, type AccuracyWorkload } from './accuracy/workloads';
import {
  accuracyAgainst,
  runStanPeer,
  StanPeerUnavailableError,
  type StanAlgorithm,
} from './peers/stan/stan';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET = { mean: 0.05, sd: 0.05 };

/** The configurations compared (--configs picks some by key): our defaults (L-BFGS), Adam, the old default. */
const CONFIGS: readonly {
  readonly key: string;
  readonly label: string;
  readonly settings: Partial<FitSettings>;
}[] = [
  { key: 'defaults', label: 'webgpu-vi defaults (L-BFGS, fixed samples)', settings: {} },
  {
    key: 'adam',
    label: 'Adam, lr auto, stop optimum',
    settings: { optimizer: 'adam', lr: 'auto', stop: 'optimum' },
  },
  {
    key: 'old',
    label: "Adam, lr 0.05, Stan's rule (the old default)",
    settings: { optimizer: 'adam', lr: 0.05, stop: 'stan' },
  },
];
const CONFIG_KEYS = CONFIGS.map((c) => c.key);

interface Args {
  readonly only: readonly string[];
  readonly seeds: number;
  readonly stan: boolean;
  readonly configs: readonly string[];
}

function parseArgs(argv: readonly string[]): Args {
  let only: string[] = [];
  let seeds = 3;
  let stan = true;
  let configs: string[] = [...CONFIG_KEYS];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--seeds') seeds = Number(argv[++i]);
    else if (arg === '--no-stan') stan = false;
    else if (arg === '--configs') configs = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg !== '--')
      throw new Error(`unknown argument "${arg}" (expected --only, --seeds, --no-stan, --configs)`);
  }
  const unknown = configs.filter((c) => !CONFIG_KEYS.includes(c));
  if (unknown.length > 0 || configs.length === 0)
    throw new Error(`--configs: expected some of ${CONFIG_KEYS.join(', ')}; got "${configs.join(',')}"`);
  if (!Number.isInteger(seeds) || seeds < 1) throw new Error('--seeds: expected an integer >= 1');
  return { only, seeds, stan, configs };
}

export interface AccuracyRow {
  readonly workload: string;
  readonly family: 'meanfield' | 'fullrank';
  readonly system: string;
  readonly seed: number;
  /** Wall seconds from a fresh start to the fit's own stop (compiling excluded; for Stan: vb() alone). */
  readonly seconds: number;
  /** Stan: compiling the model (0 when its cache held it), apart. */
  readonly compileSeconds?: number;
  readonly steps?: number;
  readonly stopReason: string;
  readonly converged: boolean;
  readonly meanError: number;
  readonly sdError: number;
  readonly reached: boolean;
  readonly optimizerError?: number | null;
  readonly sampleError?: number | null;
  readonly note?: string;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** The reference a family is scored against: a mean-field fit's sds against the family's own optimum. */
function referenceFor(workload: AccuracyWorkload, family: 'meanfield' | 'fullrank') {
  const optimum = workload.reference.meanfieldOptimum;
  return family === 'meanfield' && optimum
    ? { names: workload.reference.names, ...optimum }
    : workload.reference;
}

const args = parseArgs(process.argv.slice(2));
const ctx = await acquireDevice();
const adapter = `${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`;
console.log(`adapter: ${adapter}`);
const workloads = accuracyWorkloads().filter((w) => args.only.length === 0 || args.only.includes(w.name));
const rows: AccuracyRow[] = [];
let stanMissing: string | undefined;

/** Writes the results so far (after every workload, so a long run that is stopped keeps what it measured). */
function writeResults(done: readonly string[]): void {
  const date = new Date().toISOString().slice(0, 10);
  const summary = [
    `Run ${date} on ${adapter}, ${args.seeds} seed${args.seeds > 1 ? 's' : ''} per row` +
      (stanMissing ? `; Stan ADVI missing: ${stanMissing}` : '') +
      `; workloads measured: ${done.join(', ')}` +
      (done.length < workloads.length ? ` (of ${workloads.map((w) => w.name).join(', ')})` : '') +
      '. Mean error: max over parameters of |mean − reference| / reference sd; sd error: max |sd / reference sd − 1|; ' +
      "a mean-field fit is scored against the family's own optimum where it is known (an exact Gaussian). " +
      'Target: means within 0.05 sd, sds within 5 %, with the fit saying it converged.',
    '',
    table(),
  ].join('\n');
  console.log(`\n${summary}`);
  writeFileSync(
    join(ROOT, 'bench', 'results', 'accuracy.json'),
    `${JSON.stringify({ date, adapter, seeds: args.seeds, configs: args.configs, stanMissing: stanMissing ?? null, rows }, null, 2)}\n`,
  );
  if (args.only.length === 0) {
    const START = '<!-- bench:accuracy:start (written by bench/accuracy.ts; edit outside these markers) -->';
    const END = '<!-- bench:accuracy:end -->';
    const path = join(ROOT, 'BENCHMARKS.md');
    const text = readFileSync(path, 'utf8');
    const block = `${START}\n${summary}\n${END}`;
    const updated =
      text.includes(START) && text.includes(END)
        ? text.slice(0, text.indexOf(START)) + block + text.slice(text.indexOf(END) + END.length)
        : `${text.trimEnd()}\n\n## Accuracy: time to a converged answer, and its error\n\n${block}\n`;
    writeFileSync(path, updated);
  }
}

const done: string[] = [];
for (const workload of workloads) {
  const model = getModel(workload.model);
  const families: ('meanfield' | 'fullrank')[] = workload.reference.meanfieldOptimum
    ? ['fullrank', 'meanfield']
    : ['fullrank'];
  for (const family of families) {
    const reference = referenceFor(workload, family);
    for (const config of CONFIGS.filter((c) => args.configs.includes(c.key))) {
      for (let seed = 1; seed <= args.seeds; seed++) {
        const settings = { ...config.settings, family, seed };
        // Compile first (cached per device), so the clock measures the fit, as a second run would.
        (await ViEngine.create(ctx, model, workload.data, settings)).destroy();
        const engine = await ViEngine.create(ctx, model, workload.data, settings);
        const started = performance.now();
        const result: FitResult = await engine.fit();
        const seconds = (performance.now() - started) / 1000;
        engine.destroy();
        const { meanError, sdError } = accuracyAgainst(result.params, reference);
        const row: AccuracyRow = {
          workload: workload.name,
          family,
          system: config.label,
          seed,
          seconds,
          steps: result.steps,
          stopReason: result.stopReason,
          converged: result.converged,
          meanError,
          sdError,
          reached: result.converged && meanError <= TARGET.mean && sdError <= TARGET.sd,
          optimizerError: result.accuracy.optimizerError,
          sampleError: result.accuracy.sampleError,
        };
        rows.push(row);
        console.log(
          `${workload.name.padEnd(18)} ${family.padEnd(9)} ${config.label.padEnd(46)} seed ${seed}: ` +
            `${seconds.toFixed(2)} s, ${result.steps} steps, ${result.stopReason}, mean ${meanError.toFixed(3)} sd, ` +
            `sd ${(100 * sdError).toFixed(1)} %${row.reached ? '' : '  (target missed)'}`,
        );
      }
    }
    if (args.stan && !stanMissing) {
      const algorithm: StanAlgorithm = family;
      for (let seed = 1; seed <= args.seeds; seed++) {
        try {
          const stan = await runStanPeer(workload, algorithm, seed);
          const { meanError, sdError } = accuracyAgainst(stan, reference);
          const row: AccuracyRow = {
            workload: workload.name,
            family,
            system: `Stan ADVI ${algorithm} (rstan vb, defaults)`,
            seed,
            seconds: stan.fitSeconds,
            compileSeconds: stan.cachedCompileSeconds ?? stan.compileSeconds,
            ...(stan.iterations !== undefined && stan.iterations !== null ? { steps: stan.iterations } : {}),
            stopReason: stan.converged ? 'converged' : 'not converged',
            converged: stan.converged === true,
            meanError,
            sdError,
            reached: stan.converged === true && meanError <= TARGET.mean && sdError <= TARGET.sd,
          };
          rows.push(row);
          console.log(
            `${workload.name.padEnd(18)} ${family.padEnd(9)} ${row.system.padEnd(46)} seed ${seed}: ` +
              `${stan.fitSeconds.toFixed(2)} s (+ ${(row.compileSeconds ?? 0).toFixed(1)} s compile), ` +
              `mean ${meanError.toFixed(3)} sd, sd ${(100 * sdError).toFixed(1)} %`,
          );
        } catch (error) {
          if (error instanceof StanPeerUnavailableError) {
            stanMissing = error.message;
            console.log(`Stan ADVI: missing (${error.message})`);
            break;
          }
          throw error;
        }
      }
    }
  }
  done.push(workload.name);
  writeResults(done);
}

/** One line per workload, family and system: medians over the seeds. */
function table(): string {
  const keys = [...new Set(rows.map((r) => `${r.workload}\u0000${r.family}\u0000${r.system}`))];
  const lines = [
    '| workload | family | system | time to its answer (median) | steps | mean error (sd, median / max) | sd error (median / max) | converged | target reached |',
    '| --- | --- | --- | --: | --: | --: | --: | --: | --: |',
  ];
  for (const key of keys) {
    const [workload, family, system] = key.split('\u0000');
    const group = rows.filter((r) => r.workload === workload && r.family === family && r.system === system);
    const time = median(group.map((r) => r.seconds));
    const compile = group.find((r) => r.compileSeconds !== undefined)?.compileSeconds;
    const steps = group.map((r) => r.steps).filter((s): s is number => s !== undefined);
    lines.push(
      `| ${workload} | ${family} | ${system} | ${time.toFixed(2)} s${compile !== undefined ? ` + ${compile.toFixed(0)} s compile` : ''} | ` +
        `${steps.length ? median(steps).toFixed(0) : '—'} | ${median(group.map((r) => r.meanError)).toFixed(3)} / ${Math.max(...group.map((r) => r.meanError)).toFixed(3)} | ` +
        `${(100 * median(group.map((r) => r.sdError))).toFixed(1)} % / ${(100 * Math.max(...group.map((r) => r.sdError))).toFixed(1)} % | ` +
        `${group.filter((r) => r.converged).length}/${group.length} | ${group.filter((r) => r.reached).length}/${group.length} |`,
    );
  }
  return lines.join('\n');
}

ctx.device.destroy();
process.exit(0);
