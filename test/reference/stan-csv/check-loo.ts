/**
 * Checks a draws CSV written by `webgpu-vi fit --draws-csv` the way an R user would use it: rstan reads it,
 * loo::psis takes log_p__ - log_g__ (test/reference/stan-csv/psis_with_loo.R), and its k-hat and ESS must
 * equal our CPU psis on the columns readStanCsv reads back (needs Rscript with r-cran-rstan and r-cran-loo).
 *   npm run fit -- --model eight-schools --draws 100000 --draws-csv /tmp/draws.csv
 *   npx vite-node test/reference/stan-csv/check-loo.ts /tmp/draws.csv
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { psis } from '../../../src/vi/diagnostics/psis';
import { readStanCsv } from '../../../src/vi/stan-csv';

const path = process.argv[2];
if (!path) throw new Error('usage: check-loo.ts DRAWS.csv');
const csv = readStanCsv(readFileSync(path, 'utf8'));
const logP = csv.header.indexOf('log_p__');
const logG = csv.header.indexOf('log_g__');
// The first row is q's mean (lp__ = log_p__ = log_g__ = 0): rstan drops it, and so do we.
const ratios = Float64Array.from(csv.rows.slice(1), (row) => (row[logP] as number) - (row[logG] as number));
const ours = psis(ratios);
const run = spawnSync('Rscript', [join(dirname(fileURLToPath(import.meta.url)), 'psis_with_loo.R'), path], {
  encoding: 'utf8',
});
if (run.status !== 0) throw new Error(`Rscript failed: ${run.error?.message ?? run.stderr}`);
const loo = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
  draws: number;
  khat: number;
  ess: number;
  loo: string;
  rstan: string;
};
const khatError = Math.abs(ours.khat - loo.khat);
const essError = Math.abs(ours.ess / loo.ess - 1);
console.log(
  `${path}: ${ratios.length} draws; loo ${loo.loo} (rstan ${loo.rstan} read ${loo.draws}): k-hat ${loo.khat}, ` +
    `ESS ${loo.ess}; ours: k-hat ${ours.khat}, ESS ${ours.ess}; |difference| ${khatError.toExponential(2)}, ` +
    `${essError.toExponential(2)} relative`,
);
process.exit(loo.draws === ratios.length && khatError < 1e-6 && essError < 1e-6 ? 0 : 1);
