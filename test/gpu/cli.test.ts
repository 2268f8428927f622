/** `webgpu-vi fit` as a user runs it: flags, the summary table, the result JSON contract, exit codes. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalMean } from '../../src/models/normal-mean';
import { readStanCsv } from '../../src/vi/stan-csv';
import { cli } from './cli-run';

describe('webgpu-vi fit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-vi-cli-'));

  it('fits, prints a summary table and writes the documented result JSON', () => {
    const out = join(dir, 'result.json');
    const run = cli(
      'fit',
      '--model',
      'normal-mean',
      '--samples',
      '2048',
      '--steps',
      '400',
      '--seed',
      '3',
      '--out',
      out,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/adapter: /);
    expect(run.stderr).toMatch(/step +\d+ +ELBO/);
    // The passes after the optimizer, announced in order (10^5 diagnostic draws on a CPU adapter, 10^6 on a GPU).
    expect(run.stderr).toMatch(
      /^summary: \d+ draws of q\ndiagnostics: PSIS k-hat and corrected moments over 10{5,6} draws of q$/m,
    );
    expect(run.stdout).toMatch(/parameter +mean +sd +5% +50% +95%/);
    expect(run.stdout).toMatch(/^z +/m);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining([
        'model',
        'family',
        'seed',
        'adapter',
        'settings',
        'steps',
        'converged',
        'stopReason',
        'elbo',
        'params',
        'lambda',
        'timing',
      ]),
    );
    expect(result).toMatchObject({ model: 'normal-mean', family: 'meanfield', seed: 3 });
    expect(result.settings).toMatchObject({ samples: 2048, maxSteps: 400 });
    expect(result.params.names).toEqual(['z']);
    for (const key of ['mean', 'sd', 'q05', 'q50', 'q95']) expect(result.params[key]).toHaveLength(1);
    expect(result.elbo.trace[0]).toHaveLength(3);
    expect(result.timing.samplesPerSecond).toBeGreaterThan(0);
    const exact = normalMean.prepare(normalMean.defaultData()).exact;
    expect(Math.abs(result.params.mean[0] - (exact?.mean[0] as number))).toBeLessThan(
      0.1 * (exact?.sd[0] as number),
    );
  });

  it('prints k-hat after the table and writes the draws as a Stan CSV (--diagnostic-draws, --draws-csv)', () => {
    const out = join(dir, 'diag.json');
    const csvPath = join(dir, 'draws.csv');
    const run = cli(
      'fit',
      '--samples',
      '2048',
      '--steps',
      '400',
      '--draws',
      '1000',
      '--diagnostic-draws',
      '20000',
      '--draws-csv',
      csvPath,
      '--out',
      out,
    );
    expect(run.code, run.stderr).toBe(0);
    console.info(`[webgpu-vi cli]\n${run.stdout}`);
    // After the table: the diagnostic with its reading, and PSIS-corrected columns since k-hat is good.
    expect(run.stdout).toMatch(/parameter +mean +sd +5% +50% +95% +PSIS mean +PSIS sd/);
    expect(run.stdout).toMatch(
      /^PSIS diagnostic from 20,000 draws of q \([\d.]+ s\): k̂ = -?[\d.]+ < 0.5: q is close/m,
    );
    expect(run.stdout).toMatch(/^IW-ELBO -?[\d.]+ \(ELBO -?[\d.]+\); ESS of the smoothed weights/m);
    expect(run.stderr).not.toMatch(/warning/);
    expect(run.stderr).toMatch(/1000 draws written to .*draws\.csv \(CmdStan CSV\)/);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.settings.diagnosticDraws).toBe(20000);
    expect(Object.keys(result.diagnostics)).toEqual(
      expect.arrayContaining(['khat', 'status', 'level', 'reading', 'draws', 'iwElbo', 'ess', 'corrected']),
    );
    expect(result.diagnostics).toMatchObject({
      status: 'fitted',
      level: 'good',
      draws: 20000,
      invalidDraws: 0,
    });
    expect(result.diagnostics.khat).toBeLessThan(0.5);
    expect(result.diagnostics.corrected.usable).toBe(true);
    // The IW-ELBO is at least the ELBO in expectation; the last step's ELBO is a noisy estimate of it.
    expect(Math.abs(result.diagnostics.iwElbo - result.elbo.final)).toBeLessThan(0.2);
    const csv = readStanCsv(readFileSync(csvPath, 'utf8'));
    expect(csv.header).toEqual(['lp__', 'log_p__', 'log_g__', 'z']);
    expect(csv.config).toMatchObject({ model: 'normal-mean', method: 'variational', output_samples: '1000' });
    expect(csv.config.adapter).toBe(result.adapter);
    expect(csv.rows).toHaveLength(1001);
    expect(Math.fround(csv.rows[0]![3]!)).toBe(Math.fround(result.lambda.mean[0]));
    const draws = csv.rows.slice(1);
    // log_p__ - log_g__ is the log ratio up to one constant: close to constant for this nearly exact q.
    const ratios = draws.map((row) => row[1]! - row[2]!);
    const spread = Math.max(...ratios) - Math.min(...ratios);
    expect(spread).toBeLessThan(0.5);
    expect(draws.every((row) => row[2]! <= 0)).toBe(true);
  });

  it('warns on stderr when k-hat is above 0.7 (mean-field on a strongly correlated posterior)', () => {
    // Two nearly collinear predictors: the posterior of (beta[1], beta[2]) has correlation near -1.
    const n = 40;
    const x = Array.from({ length: n }, (_, i) => {
      const a = Math.sin(i * 1.7) * 2;
      return [a, a + 0.05 * Math.cos(i * 2.3)];
    });
    const data = join(dir, 'collinear.json');
    const y = x.map(([a, b], i) => (a as number) + (b as number) + 0.3 * Math.sin(i * 0.9));
    writeFileSync(data, JSON.stringify({ N: n, D: 2, X: x, y, sigma: 0.5, prior_sd: 10 }));
    const out = join(dir, 'collinear-result.json');
    const run = cli(
      'fit',
      '--model',
      'linreg',
      '--data',
      data,
      '--samples',
      '4096',
      '--steps',
      '1500',
      '--diagnostic-draws',
      '50000',
      '--out',
      out,
      '--quiet',
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    console.info(`[webgpu-vi cli] collinear linreg, mean-field: ${result.diagnostics.reading}`);
    expect(result.diagnostics.level).toBe('bad');
    expect(result.diagnostics.corrected.usable).toBe(false);
    expect(run.stderr).toMatch(/^webgpu-vi: warning: k̂ = [\d.]+ > 0.7: q is unreliable/m);
    expect(run.stdout).toMatch(/^PSIS diagnostic from 50,000 draws of q .*unreliable/m);
    expect(run.stdout).not.toMatch(/PSIS mean/);
  });

  it('reads Stan JSON data from --data', () => {
    const data = join(dir, 'data.json');
    writeFileSync(data, JSON.stringify({ N: 3, y: [10, 11, 12], sigma: 1, mu0: 0, tau0: 100 }));
    const run = cli(
      'fit',
      '--data',
      data,
      '--samples',
      '1024',
      '--steps',
      '1000',
      '--lr',
      '0.2',
      '--tol',
      '0.0001',
      '--quiet',
    );
    expect(run.code, run.stderr).toBe(0);
    const mean = Number(/^z +(\S+)/m.exec(run.stdout)?.[1]);
    expect(Math.abs(mean - 11)).toBeLessThan(0.2);
  });

  it.each([
    [['fit', '--lr', '0'], /setting "lr": expected a learning rate > 0/],
    [['fit', '--model', 'nope'], /unknown model "nope": expected one of normal-mean, linreg/],
    [['fit', '--samples', '1.5'], /--samples: expected an integer/],
    [['fit', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['fit', '--data', '/nonexistent.json'], /--data: cannot read/],
    [
      ['fit', '--diagnostic-draws', '999'],
      /setting "diagnosticDraws": expected an integer in \[1000, 16777216\]/,
    ],
  ])('refuses %j with exit status 2 and a message naming the field', (args, message) => {
    const run = cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('names a bad data field', () => {
    const data = join(dir, 'bad.json');
    writeFileSync(data, JSON.stringify({ N: 3, y: [1, 2], sigma: 1, mu0: 0, tau0: 1 }));
    const run = cli('fit', '--data', data);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /data field "y": expected an array of N = 3 numbers, got an array of length 2/,
    );
  });

  it('documents every flag in --help', () => {
    const run = cli('--help');
    expect(run.code).toBe(0);
    for (const flag of [
      '--model',
      '--data',
      '--family',
      '--flow-layers',
      '--flow-hidden',
      '--samples',
      '--steps',
      '--lr',
      '--seed',
      '--tol',
      '--out',
      '--diagnostic-draws',
      '--draws-csv',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });
});
