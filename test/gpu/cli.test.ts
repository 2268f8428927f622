/** `webgpu-vi fit` as a user runs it: flags, the summary table, the result JSON contract, exit codes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalMean } from '../../src/models/normal-mean';

function cli(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['node_modules/vite-node/dist/cli.mjs', 'src/cli/main.ts', ...args],
    {
      encoding: 'utf8',
      timeout: 240_000,
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

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
      '--samples',
      '--steps',
      '--lr',
      '--seed',
      '--tol',
      '--out',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });
});
