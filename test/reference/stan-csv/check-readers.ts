/**
 * Checks that Stan's own readers read our variational CSV (src/vi/stan-csv.ts) as they read CmdStan's:
 * writes test/reference/stan-csv/sample.ts's draws to a temporary folder with the values we expect, then
 * runs rstan's read_stan_csv (needs Rscript with r-cran-rstan) and cmdstanpy's from_csv (needs python3
 * able to import cmdstanpy; set PYTHONPATH). A reader that is missing is reported, not skipped silently.
 *   npx vite-node test/reference/stan-csv/check-readers.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStanVariationalCsv } from '../../../src/vi/stan-csv';
import { SAMPLE_NAMES, SAMPLE_STRIDE, sampleCsvInput } from './sample';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stan-csv-'));
const input = sampleCsvInput();
const csvPath = join(dir, 'eight_schools-variational.csv');
writeFileSync(csvPath, writeStanVariationalCsv(input));
const count = input.logP.length;
const values: number[] = [];
for (let i = 0; i < count; i++) {
  for (let j = 0; j < SAMPLE_NAMES.length; j++) values.push(input.draws[i * SAMPLE_STRIDE + j] as number);
}
const finite = (v: number) => (Number.isFinite(v) ? v : v > 0 ? 'Inf' : '-Inf');
const expected = {
  draws: count,
  names: SAMPLE_NAMES,
  pars: ['mu', 'tau', 'theta', 'L'],
  eta: input.settings.eta,
  mean: Array.from(input.mean),
  values,
  logP: Array.from(input.logP, finite),
  logG: Array.from(input.logG),
};
const expectedPath = join(dir, 'expected.json');
writeFileSync(expectedPath, JSON.stringify(expected));
console.log(`wrote ${csvPath}`);

let failed = false;
for (const [reader, command, args] of [
  ['rstan', 'Rscript', [join(here, 'check_with_rstan.R'), csvPath, expectedPath]],
  [
    'cmdstanpy',
    process.env.PYTHON ?? 'python3',
    [join(here, 'check_with_cmdstanpy.py'), csvPath, expectedPath],
  ],
] as const) {
  const run = spawnSync(command, args, { encoding: 'utf8' });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  if (run.error || /No module named 'cmdstanpy'|there is no package called/.test(output)) {
    console.log(`${reader}: not available here (${run.error?.message ?? output.split('\n').pop()})`);
    continue;
  }
  console.log(`${reader}: ${run.status === 0 ? 'passed' : 'FAILED'}\n${output}`);
  failed ||= run.status !== 0;
}
process.exit(failed ? 1 : 0);
