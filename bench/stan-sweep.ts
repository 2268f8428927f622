/**
 * The posteriordb sweep (`npm run test:suite`): every posteriordb model in the repository (test/stan/posteriordb
 * and test/stan/posteriordb-models, 113) compiled, its data prepared and fitted, as a user would try it, at small
 * settings so the whole sweep fits in an hour on a CPU adapter. Each row says what happened: unsupported (the
 * compiler's first diagnostic), refused (the data or the memory limit), fitted (how it stopped, the ELBO, k-hat)
 * or failed (a diverged fit, a non-finite ELBO, an error: a bug to look at). Exits 1 if any model failed.
 * Writes bench/results/stan-sweep.json.
 *   npm run test:suite [-- --only radon,arK] [-- --samples 256] [-- --budget 90] [-- --family meanfield]
 * --budget: seconds of fitting per model; a fit still going then is stopped and counted as "slow", not failed.
 * Each model runs in a child process (this script with --child ID) under a wall-clock limit (--limit, default
 * 300 s): a compile that never ends or a runaway allocation is a row ("hung"), not the end of the sweep.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDevice, type GpuContext } from '../src/gpu/device';
import type { StanData } from '../src/models/data';
import { formatDiagnostic } from '../src/stan/ast';
import { compileStan } from '../src/stan/compile';
import { ViEngine } from '../src/vi/engine';
import type { FitSettings } from '../src/vi/settings';
import { posteriordbModels, REPO_ROOT, type PosteriordbModel } from '../test/stan/shared';

type Status = 'unsupported' | 'no-data' | 'refused' | 'fitted' | 'slow' | 'failed' | 'hung';

interface Row {
  readonly id: string;
  readonly status: Status;
  readonly why?: string;
  readonly dimension?: number;
  readonly family?: string;
  readonly compileSeconds?: number;
  readonly fitSeconds?: number;
  readonly steps?: number;
  readonly stopReason?: string;
  readonly elbo?: number;
  readonly khat?: number | null;
  readonly startScale?: number;
}

function parseArgs(argv: readonly string[]) {
  const out = { only: [] as string[], samples: 256, budget: 90, family: 'auto', limit: 300, child: '' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg}: expected a value`);
      return v;
    };
    if (arg === '--only') out.only = value().split(',').filter(Boolean);
    else if (arg === '--samples') out.samples = Number(value());
    else if (arg === '--budget') out.budget = Number(value());
    else if (arg === '--family') out.family = value();
    else if (arg === '--limit') out.limit = Number(value());
    else if (arg === '--child') out.child = value();
    else if (arg !== '--')
      throw new Error(`unknown argument "${arg}" (expected --only, --samples, --budget, --family, --limit)`);
  }
  if (!Number.isInteger(out.samples) || out.samples < 1)
    throw new Error('--samples: expected an integer >= 1');
  if (!(out.budget > 0)) throw new Error('--budget: expected seconds > 0');
  if (!(out.limit > out.budget)) throw new Error('--limit: expected seconds > --budget');
  return out;
}

/** Full-rank where it fits (D <= 32, the family's limit), mean-field beyond: what a user would pick. */
function familyFor(requested: string, dimension: number): string {
  if (requested !== 'auto') return requested;
  return dimension <= 32 ? 'fullrank' : 'meanfield';
}

const args = parseArgs(process.argv.slice(2));

/** A message on one row: its non-empty lines joined (a WGSL failure's first line names no error). */
function oneLine(message: string, most = 400): string {
  const joined = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
  return joined.length > most ? `${joined.slice(0, most - 1)}…` : joined;
}
const CHILD_MARK = '@@row ';

/** One model, in this process: compile, prepare, fit; the row. */
async function runOne(m: PosteriordbModel, ctx: GpuContext): Promise<Row> {
  const started = performance.now();
  const compiled = compileStan(m.source, { name: m.id, fileName: 'model.stan' });
  if ('diagnostics' in compiled) {
    const first = compiled.diagnostics.find((d) => d.severity === 'error') ?? compiled.diagnostics[0];
    return {
      id: m.id,
      status: 'unsupported',
      why: first ? formatDiagnostic('model.stan', m.source, first).split('\n')[0] : 'no diagnostic',
    };
  }
  if (!existsSync(m.dataPath)) return { id: m.id, status: 'no-data', why: 'no data.json' };
  const data = JSON.parse(readFileSync(m.dataPath, 'utf8')) as StanData;
  let dimension: number;
  try {
    dimension = compiled.model.prepare(data).dimension;
  } catch (error) {
    return { id: m.id, status: 'refused', why: oneLine((error as Error).message) };
  }
  const family = familyFor(args.family, dimension);
  const controller = new AbortController();
  let engine: ViEngine | undefined;
  try {
    const settings: Partial<FitSettings> = {
      family,
      samples: args.samples,
      diagnosticDraws: 1000,
      draws: 1000,
    };
    engine = await ViEngine.create(ctx, compiled.model, data, settings);
    const compileSeconds = (performance.now() - started) / 1000;
    const fitStarted = performance.now();
    const timer = setTimeout(() => controller.abort(), args.budget * 1000);
    const result = await engine.fit({ signal: controller.signal });
    clearTimeout(timer);
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    const bad = result.stopReason === 'diverged' || !Number.isFinite(result.elbo.final);
    return {
      id: m.id,
      status: bad ? 'failed' : result.stopReason === 'stopped' ? 'slow' : 'fitted',
      ...(bad ? { why: result.message } : {}),
      dimension,
      family,
      compileSeconds,
      fitSeconds,
      steps: result.steps,
      stopReason: result.stopReason,
      elbo: result.elbo.final,
      khat: Number.isFinite(result.diagnostics.khat) ? result.diagnostics.khat : null,
      startScale: result.accuracy.startScale,
    };
  } catch (error) {
    return { id: m.id, status: 'failed', why: oneLine((error as Error).message), dimension, family };
  } finally {
    engine?.destroy();
  }
}

const models = posteriordbModels().filter(
  (m) => args.only.length === 0 || args.only.some((o) => m.id.includes(o)),
);

if (args.child) {
  // The child: one model, its row on stdout after the mark.
  const m = models.find((x) => x.id === args.child);
  if (!m) throw new Error(`--child: no model ${args.child}`);
  const ctx = await acquireDevice();
  const row = await runOne(m, ctx);
  console.log(`${CHILD_MARK}${JSON.stringify(row)}`);
  ctx.device.destroy();
  process.exit(0);
}

const ctx = await acquireDevice();
const adapter = `${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}`;
ctx.device.destroy();
console.log(
  `adapter: ${adapter}; ${args.samples} samples per step, ${args.budget} s of fitting per model ` +
    `(${args.limit} s in all), family ${args.family}`,
);
const rows: Row[] = [];
const print = (row: Row) => {
  const detail =
    row.status === 'fitted' || row.status === 'slow'
      ? `D = ${row.dimension} ${row.family}, compile ${row.compileSeconds?.toFixed(1)} s, fit ${row.fitSeconds?.toFixed(1)} s, ` +
        `${row.steps} steps (${row.stopReason}), ELBO ${row.elbo?.toPrecision(6)}, k-hat ${row.khat?.toFixed(2) ?? '—'}` +
        (row.startScale !== undefined && row.startScale < 1 ? `, started at sd ${row.startScale}` : '')
      : (row.why ?? '');
  console.log(`${row.id.padEnd(76)} ${row.status.padEnd(11)} ${detail}`);
};

/** The row of a child that printed none: killed at the limit (hung), killed earlier (memory?), or crashed. */
function childRow(id: string, run: ReturnType<typeof spawnSync>, seconds: number): Row {
  if ((run.error || run.signal) && seconds >= args.limit - 1)
    return { id, status: 'hung', why: `no result within ${args.limit} s (killed)` };
  if (run.signal)
    return { id, status: 'failed', why: `killed by ${run.signal} after ${seconds.toFixed(0)} s (out of memory?)` };
  const stderr = oneLine(String(run.stderr ?? '').slice(-2000));
  return { id, status: 'failed', why: stderr || `exit ${run.status} with no message` };
}

const viteNode = join(REPO_ROOT, 'node_modules', 'vite-node', 'dist', 'cli.mjs');
const self = fileURLToPath(import.meta.url);
for (const m of models) {
  const childArgs = ['--child', m.id, '--samples', String(args.samples), '--budget', String(args.budget)];
  childArgs.push('--family', args.family, '--limit', String(args.limit));
  const childStarted = performance.now();
  const run = spawnSync(process.execPath, [viteNode, self, '--', ...childArgs], {
    encoding: 'utf8',
    timeout: args.limit * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = run.stdout?.split('\n').find((l) => l.startsWith(CHILD_MARK));
  const row: Row = line
    ? (JSON.parse(line.slice(CHILD_MARK.length)) as Row)
    : childRow(m.id, run, (performance.now() - childStarted) / 1000);
  rows.push(row);
  print(row);
  writeFileSync(
    join(REPO_ROOT, 'bench', 'results', 'stan-sweep.json'),
    `${JSON.stringify({ adapter, settings: args, date: new Date().toISOString(), rows }, null, 1)}\n`,
  );
}

const count = (s: Status) => rows.filter((r) => r.status === s).length;
console.log(
  `\n${rows.length} models: ${count('fitted')} fitted, ${count('slow')} still going at the budget, ` +
    `${count('failed')} failed, ${count('hung')} hung (killed at ${args.limit} s), ${count('refused')} refused ` +
    `their data, ${count('unsupported')} unsupported, ${count('no-data')} without data (adapter ${adapter})`,
);
for (const r of rows.filter((x) => x.status === 'failed' || x.status === 'hung'))
  console.log(`${r.status}: ${r.id}: ${r.why}`);
process.exit(count('failed') + count('hung') > 0 ? 1 : 0);
