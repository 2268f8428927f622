/** `webgpu-vi fit --model model.stan`: a Stan program fitted from the command line, and its compile errors. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Phi } from '../../src/math/special';
import { normalMean } from '../../src/models/normal-mean';
import { cli } from './cli-run';

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

  it('reports generated quantities after the parameters, in the summary and the result JSON', () => {
    const data = join(dir, 'data.json');
    writeFileSync(data, JSON.stringify(normalMean.defaultData()));
    const model = join(dir, 'gq.stan');
    const twin = readFileSync('test/stan/twins/normal_mean.stan', 'utf8');
    writeFileSync(model, `${twin}\ngenerated quantities {\n  real mu2 = z * 2;\n  int pos = z > 0;\n}\n`);
    const out = join(dir, 'gq.json');
    const run = cli('fit', '--model', model, '--data', data, '--samples', '256', '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^mu2 +-?[\d.]+ +[\d.]+/m);
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      params: { names: string[]; mean: number[]; sd: number[] };
      settings: { draws: number };
    };
    expect(result.params.names).toEqual(['z', 'mu2', 'pos']);
    const [mean, sd] = [result.params.mean, result.params.sd];
    // The same draws of z, doubled (f32): mean and sd exactly twice z's up to rounding.
    expect(Math.abs((mean[1] as number) - 2 * (mean[0] as number))).toBeLessThan(
      1e-5 * (1 + Math.abs(mean[1]!)),
    );
    expect(Math.abs((sd[1] as number) / (2 * (sd[0] as number)) - 1)).toBeLessThan(1e-4);
    // pos is 1 on the draws with z > 0: its mean is their share, P(z > 0) under q = Phi(mean / sd) (q is normal).
    const p = Phi((mean[0] as number) / (sd[0] as number));
    const draws = result.settings.draws;
    expect(Math.abs((mean[2] as number) - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / draws) + 1e-3);
  });

  it("starts narrower when the bound overflows f32 at sd 1, and fits arma11 to posteriordb's NUTS reference", () => {
    // arma11's err[t] = y[t] - mu - phi y[t-1] - theta err[t-1] compounds |theta| > 1 over T = 200: some draws of
    // N(0, I) overflow f32, so the bound there is not finite (it diverged at its first step before).
    const folder = 'test/stan/posteriordb/arma-arma11';
    const out = join(dir, 'arma.json');
    const run = cli(
      'fit',
      '--model',
      `${folder}/model.stan`,
      '--data',
      `${folder}/data.json`,
      '--family',
      'fullrank',
      '--samples',
      '512',
      '--diagnostic-draws',
      '10000',
      '--out',
      out,
      '--quiet',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('q started from sd 0.25: the bound was not finite in f32 at sd 1');
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      converged: boolean;
      accuracy: { startScale: number };
      params: { names: string[]; mean: number[]; sd: number[] };
    };
    const reference = JSON.parse(readFileSync(`${folder}/reference.json`, 'utf8')) as {
      names: string[];
      mean: number[];
      sd: number[];
    };
    expect(result.converged).toBe(true);
    expect(result.accuracy.startScale).toBe(0.25);
    expect(result.params.names).toEqual(reference.names);
    reference.names.forEach((name, i) => {
      const sd = reference.sd[i] as number;
      expect(
        Math.abs((result.params.mean[i] as number) - (reference.mean[i] as number)) / sd,
        name,
      ).toBeLessThan(0.2);
      expect(Math.abs((result.params.sd[i] as number) / sd - 1), name).toBeLessThan(0.15);
    });
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
