/** `webgpu-vi fit --model model.stan`: a Stan program fitted from the command line, and its compile errors. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalMean } from '../../src/models/normal-mean';

function cli(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ['node_modules/vite-node/dist/cli.mjs', 'src/cli/main.ts', ...args],
    { encoding: 'utf8', timeout: 240_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('webgpu-vi fit --model <file>.stan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-vi-stan-cli-'));

  it('compiles and fits a Stan program to Stan-JSON data', () => {
    const data = join(dir, 'data.json');
    writeFileSync(data, JSON.stringify(normalMean.defaultData()));
    const run = cli(
      'fit',
      '--model',
      'test/stan/twins/normal_mean.stan',
      '--data',
      data,
      '--samples',
      '1024',
      '--quiet',
    );
    expect(run.code, run.stderr).toBe(0);
    const row = run.stdout.match(/^z +(-?[\d.]+) +([\d.]+)/m);
    expect(row, run.stdout).not.toBeNull();
    const exact = normalMean.prepare(normalMean.defaultData()).exact;
    expect(Math.abs(Number(row?.[1]) - (exact?.mean[0] as number))).toBeLessThan(
      0.1 * (exact?.sd[0] as number),
    );
  });

  it('prints compile errors as file:line:column with the source line, and exits 2', () => {
    const bad = join(dir, 'bad.stan');
    writeFileSync(bad, 'parameters {\n  real x;\n}\nmodel {\n  x ~ no_such_distribution(1);\n}\n');
    const run = cli('fit', '--model', bad, '--data', bad);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}:5:7:`);
    expect(run.stderr).toContain('  x ~ no_such_distribution(1);');
    expect(run.stderr).toMatch(/\n {6}\^+/);
  });

  it('asks for --data with a Stan program', () => {
    const run = cli('fit', '--model', 'test/stan/twins/normal_mean.stan');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--data is required/);
  });
});
