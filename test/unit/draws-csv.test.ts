/**
 * A fit's draws as CmdStan's variational CSV (src/vi/draws-csv.ts, no GPU): our settings under CmdStan's
 * keys, the mean row, log_p__ and log_g__ as given, dotted names; read back with readStanCsv.
 */
import { describe, expect, it } from 'vitest';
import { fitDrawsCsv } from '../../src/vi/draws-csv';
import type { DensityDrawSet, FitResult } from '../../src/vi/engine';
import { DEFAULT_SETTINGS } from '../../src/vi/settings';
import { readStanCsv } from '../../src/vi/stan-csv';

function fakeResult(family: string): FitResult {
  return {
    model: 'eight-schools',
    family,
    bound: 'ELBO',
    seed: 9,
    adapter: 'test adapter',
    settings: { ...DEFAULT_SETTINGS, family, seed: 9, samples: 4096, maxSteps: 3000, lr: 0.02, tol: 1e-3 },
    steps: 1234,
    converged: true,
    stopReason: 'mcse',
    message: 'converged',
    elbo: { trace: [], final: -40.5 },
    params: { names: [], mean: [], sd: [], q05: [], q50: [], q95: [] },
    histograms: [],
    lambda: { mean: [], sd: [], raw: [] },
    accuracy: {
      rule: 'optimum',
      optimizerError: 0.01,
      sampleError: null,
      stepSizes: [
        [0, 0.02],
        [900, 0.01],
      ],
      startScale: 1,
    },
    timing: { msPerStep: 1, samplesPerSecond: 1 },
    diagnostics: {
      khat: 0.4321,
      status: 'fitted',
      level: 'good',
      reading: 'k̂ = 0.43 < 0.5',
      draws: 1_000_000,
      invalidDraws: 0,
      iwElbo: -39.9,
      ess: 5e5,
      corrected: { mean: [], sd: [], usable: true },
      passes: 3,
      ms: 10,
    },
  };
}

const names = ['theta[1]', 'theta[2]', 'mu', 'tau'];
const draws: DensityDrawSet = {
  names,
  count: 3,
  stride: 4,
  values: Float32Array.of(1.5, -2.25, 0.125, 3, 4, 5, 6, 7, -1e-7, 8e9, 0, 1),
  logP: Float32Array.of(-41.25, -Infinity, -39.5),
  logG: Float32Array.of(-1.5, -0.25, -3.75),
  logQ: Float32Array.of(0, 0, 0),
  logRatio: Float32Array.of(0, 0, 0),
  meanRow: Float32Array.of(0.5, 0.25, 4.4, 3.3),
};

describe('fitDrawsCsv', () => {
  it("writes CmdStan's variational output for a fit, read back as Stan's", () => {
    const csv = readStanCsv(fitDrawsCsv(fakeResult('meanfield'), draws, { dataFile: 'my data.json' }));
    expect(csv.config).toMatchObject({
      model: 'eight-schools',
      method: 'variational',
      algorithm: 'meanfield',
      iter: '3000',
      grad_samples: '4096',
      elbo_samples: '4096',
      eta: '0.02',
      tol_rel_obj: '0.001',
      eval_elbo: String(DEFAULT_SETTINGS.evalEvery),
      output_samples: '3',
      seed: '9',
      file: 'my data.json',
      adapter: 'test adapter',
      family: 'meanfield',
      log_g: 'standard-normal',
      khat: '0.4321',
      iw_elbo: '-39.9',
      diagnostic_draws: '1000000',
      learning_rates: '0.02 from step 0; 0.01 from step 900',
    });
    expect(csv.header).toEqual(['lp__', 'log_p__', 'log_g__', 'theta.1', 'theta.2', 'mu', 'tau']);
    expect(csv.rows).toHaveLength(4);
    expect(Array.from(csv.rows[0]!).map(Math.fround)).toEqual([
      0,
      0,
      0,
      0.5,
      0.25,
      Math.fround(4.4),
      Math.fround(3.3),
    ]);
    for (let i = 0; i < 3; i++) {
      const row = Array.from(csv.rows[1 + i]!).map(Math.fround);
      expect(row).toEqual([0, draws.logP[i], draws.logG[i], ...draws.values.slice(4 * i, 4 * i + 4)]);
    }
  });

  it('names the full-rank algorithm as Stan does, and another family by its own name', () => {
    expect(readStanCsv(fitDrawsCsv(fakeResult('fullrank'), draws)).config.algorithm).toBe('fullrank');
    const other = readStanCsv(fitDrawsCsv(fakeResult('isotropic'), draws)).config;
    expect(other).toMatchObject({ algorithm: 'meanfield', family: 'isotropic', log_g: 'log-q' });
  });
});
