/**
 * The posteriordb suite: every posterior in test/stan/posteriordb (the 12 of ../shared/posteriordb, with NUTS
 * reference means and sds) compiled from its Stan program and fitted with the full-rank family, then scored
 * against the reference: the worst mean error in reference sds and the worst relative sd error over the
 * reported parameters that the reference names. Near-Gaussian posteriors should reach means within 0.1 sd and
 * sds within 10 %; every figure is printed, the misses too. Writes bench/results/stan-posteriordb.json.
 *   npm run bench:stan [-- --samples 2048] [-- --only kidiq,earnings] [-- --family meanfield]
 * The model's compile time (source to pipelines ready) is reported apart from the fit's.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDevice } from '../src/gpu/device';
import type { StanData } from '../src/models/data';
import { compileStan } from '../src/stan/compile';
import { formatDiagnostic } from '../src/stan/ast';
import { ViEngine } from '../src/vi/engine';
import type { FitSettings } from '../src/vi/settings';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIR = join(ROOT, 'test', 'stan', 'posteriordb');
const TARGET = { mean: 0.1, sd: 0.1 };

interface Reference {
  readonly names: readonly string[];
  readonly mean: readonly number[];
  readonly sd: readonly number[];
}

interface Row {
  readonly posterior: string;
  readonly status: 'fitted' | 'unsupported' | 'failed';
  readonly why?: string;
  readonly dimension?: number;
  readonly compileSeconds?: number;
  readonly fitSeconds?: number;
  readonly steps?: number;
  readonly stopReason?: string;
  readonly converged?: boolean;
  readonly meanError?: number;
  readonly sdError?: number;
  readonly worst?: string;
  readonly khat?: number;
  readonly reached?: boolean;
}

function parseArgs(argv: readonly string[]) {
  let samples = 2048;
  let only: string[] = [];
  let family = 'fullrank';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--samples') samples = Number(argv[++i]);
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--family') family = argv[++i] ?? '';
    else if (arg !== '--')
      throw new Error(`unknown argument "${arg}" (expected --samples, --only, --family)`);
  }
  if (!Number.isInteger(samples) || samples < 1) throw new Error('--samples: expected an integer >= 1');
  return { samples, only, family };
}

const args = parseArgs(process.argv.slice(2));
const ctx = await acquireDevice();
const adapter = `${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`;
console.log(`adapter: ${adapter}; family ${args.family}, ${args.samples} samples per step`);
const rows: Row[] = [];
const posteriors = readdirSync(DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .filter((name) => args.only.length === 0 || args.only.some((o) => name.includes(o)))
  .sort();

for (const posterior of posteriors) {
  const source = readFileSync(join(DIR, posterior, 'model.stan'), 'utf8');
  const data = JSON.parse(readFileSync(join(DIR, posterior, 'data.json'), 'utf8')) as StanData;
  const reference = JSON.parse(readFileSync(join(DIR, posterior, 'reference.json'), 'utf8')) as Reference;
  const started = performance.now();
  const compiled = compileStan(source, { name: posterior, fileName: 'model.stan' });
  if ('diagnostics' in compiled) {
    const first = compiled.diagnostics.find((d) => d.severity === 'error') ?? compiled.diagnostics[0];
    const why = first ? formatDiagnostic('model.stan', source, first).split('\n')[0] : 'no diagnostic';
    rows.push({ posterior, status: 'unsupported', why });
    console.log(`${posterior.padEnd(44)} unsupported: ${why}`);
    continue;
  }
  try {
    // The engine validates the family's name (a SettingsError naming the choices).
    const settings = { family: args.family, samples: args.samples } as Partial<FitSettings>;
    const engine = await ViEngine.create(ctx, compiled.model, data, settings);
    const compileSeconds = (performance.now() - started) / 1000;
    const fitStarted = performance.now();
    const result = await engine.fit();
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    engine.destroy();
    let meanError = 0;
    let sdError = 0;
    let worst = '';
    reference.names.forEach((name, r) => {
      const i = result.params.names.indexOf(name);
      if (i < 0) return;
      const refSd = reference.sd[r] as number;
      const m = Math.abs((result.params.mean[i] as number) - (reference.mean[r] as number)) / refSd;
      const s = Math.abs((result.params.sd[i] as number) / refSd - 1);
      if (m > meanError) [meanError, worst] = [m, name];
      sdError = Math.max(sdError, s);
    });
    const row: Row = {
      posterior,
      status: 'fitted',
      dimension: engine.prepared.dimension,
      compileSeconds,
      fitSeconds,
      steps: result.steps,
      stopReason: result.stopReason,
      converged: result.converged,
      meanError,
      sdError,
      worst,
      khat: result.diagnostics.khat,
      reached: result.converged && meanError <= TARGET.mean && sdError <= TARGET.sd,
    };
    rows.push(row);
    console.log(
      `${posterior.padEnd(44)} D = ${row.dimension}, compile ${compileSeconds.toFixed(1)} s, fit ${fitSeconds.toFixed(1)} s, ` +
        `${row.steps} steps (${row.stopReason}), mean ${meanError.toFixed(3)} sd (${worst}), sd ${(100 * sdError).toFixed(1)} %, ` +
        `k-hat ${row.khat?.toFixed(2)}${row.reached ? '' : '  (target missed)'}`,
    );
  } catch (error) {
    const why = (error as Error).message.split('\n')[0] ?? String(error);
    rows.push({ posterior, status: 'failed', why });
    console.log(`${posterior.padEnd(44)} failed: ${why}`);
  }
  writeFileSync(
    join(ROOT, 'bench', 'results', 'stan-posteriordb.json'),
    `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), adapter, ...args, rows }, null, 2)}\n`,
  );
}

const fitted = rows.filter((r) => r.status === 'fitted');
console.log(
  `\n${posteriors.length} posteriors: ${fitted.length} fitted (${fitted.filter((r) => r.reached).length} within ` +
    `0.1 sd / 10 % and converged), ${rows.filter((r) => r.status === 'unsupported').length} unsupported, ` +
    `${rows.filter((r) => r.status === 'failed').length} failed`,
);
ctx.device.destroy();
process.exit(0);
