import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accuracyWorkload } from '../../bench/accuracy/workloads';
import { accuracyAgainst, runStanPeer, StanPeerUnavailableError } from '../../bench/peers/stan/stan';

// No R here: these check the wrapper's arithmetic and that a missing R or rstan is reported as such.
describe('Stan peer wrapper (bench/peers/stan/stan.ts)', () => {
  const saved = process.env.RSCRIPT;
  afterEach(() => {
    if (saved === undefined) delete process.env.RSCRIPT;
    else process.env.RSCRIPT = saved;
  });

  it('scores means in reference sds and sds as relative errors, matching parameters by name', () => {
    const reference = { names: ['a', 'b'], mean: [0, 10], sd: [1, 2] };
    const fit = { names: ['b', 'a'], mean: [9, 0.25], sd: [2.2, 0.5] };
    const { meanError, sdError } = accuracyAgainst(fit, reference);
    expect(meanError).toBeCloseTo(0.5, 12); // b: |9 - 10| / 2
    expect(sdError).toBeCloseTo(0.5, 12); // a: |0.5 / 1 - 1|
    expect(() => accuracyAgainst({ names: ['a'], mean: [0], sd: [1] }, reference)).toThrow(/no "b"/);
  });

  it('rejects with StanPeerUnavailableError when Rscript is not installed', async () => {
    process.env.RSCRIPT = join(tmpdir(), 'no-such-Rscript');
    const run = runStanPeer(accuracyWorkload('normal-mean'), 'meanfield', 1);
    await expect(run).rejects.toBeInstanceOf(StanPeerUnavailableError);
    await expect(run).rejects.toThrow(/not found.*apt-get install -y r-cran-rstan/);
  });

  it('rejects with StanPeerUnavailableError when R has no rstan', async () => {
    // A stand-in for Rscript that answers as run_stan.R does without rstan: args are (driver, job, result).
    const dir = mkdtempSync(join(tmpdir(), 'fake-rscript-'));
    const fake = join(dir, 'Rscript');
    writeFileSync(
      fake,
      '#!/bin/sh\nprintf \'{"ok":false,"kind":"missing-rstan","error":"the R package rstan is missing"}\' > "$3"\n',
    );
    chmodSync(fake, 0o755);
    process.env.RSCRIPT = fake;
    const run = runStanPeer(accuracyWorkload('normal-mean'), 'meanfield', 1);
    await expect(run).rejects.toBeInstanceOf(StanPeerUnavailableError);
    await expect(run).rejects.toThrow(/rstan is missing/);
    rmSync(dir, { recursive: true, force: true });
  });
});
