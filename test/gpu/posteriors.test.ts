/**
 * Fits against known posteriors: linreg's exact Gaussian (full-rank recovers means, sds and correlations;
 * mean-field recovers the means), eight-schools and hmm against posteriordb's NUTS reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { eightSchools } from '../../src/models/eight-schools';
import { hmm } from '../../src/models/hmm';
import { linreg, linregExactPosterior } from '../../src/models/linreg';
import type { ModelDefinition } from '../../src/models/types';
import { fullRankCholesky } from '../../src/vi/families/fullrank';
import { ViEngine, type FitResult } from '../../src/vi/engine';
import type { FitSettings } from '../../src/vi/settings';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

async function fit(model: ModelDefinition, settings: Partial<FitSettings>): Promise<FitResult> {
  // These tests check q's summaries; the PSIS diagnostic after the fit has its own tests (diagnostics.test.ts),
  // and 10^6 draws of linreg or hmm take 20-40 s on a CPU adapter.
  const engine = await ViEngine.create(ctx, model, model.defaultData(), {
    diagnosticDraws: 10_000,
    ...settings,
  });
  const result = await engine.fit();
  engine.destroy();
  console.info(`[webgpu-vi] ${model.name} ${result.family}: ${result.message}; ELBO ${result.elbo.final}`);
  return result;
}

function report(result: FitResult, target: { mean: readonly number[]; sd: readonly number[] }, what: string) {
  const rows = result.params.names.map(
    (name, i) =>
      `${name}: mean ${result.params.mean[i]?.toFixed(3)} (${what} ${target.mean[i]?.toFixed(3)}), ` +
      `sd ${result.params.sd[i]?.toFixed(3)} (${what} ${target.sd[i]?.toFixed(3)})`,
  );
  console.info(`[webgpu-vi] ${result.model} ${result.family}\n  ${rows.join('\n  ')}`);
}

describe('linreg (exact Gaussian posterior with correlations)', () => {
  const exact = linregExactPosterior(linreg.defaultData());
  const sd = exact.cov.map((row, i) => Math.sqrt(row[i] as number));

  it('full-rank (STL estimator) recovers the means (0.05 sd), sds (5%) and correlations', async () => {
    // Sticking the landing: its gradient noise vanishes as q approaches this exactly Gaussian posterior.
    const result = await fit(linreg, {
      family: 'fullrank',
      estimator: 'stl',
      optimizer: 'adam',
      samples: 4096,
      maxSteps: 3000,
      tol: 1e-4,
      lr: 0.02,
    });
    report(result, { mean: exact.mean, sd }, 'exact');
    expect(result.converged).toBe(true);
    exact.mean.forEach((m, i) => {
      expect(Math.abs((result.params.mean[i] as number) - m)).toBeLessThan(0.05 * (sd[i] as number));
      expect(Math.abs((result.params.sd[i] as number) / (sd[i] as number) - 1)).toBeLessThan(0.05);
    });
    // q's covariance L L^T against the exact one, as correlations.
    const d = exact.mean.length;
    const l = fullRankCholesky(Float32Array.from(result.lambda.raw), d);
    for (let r = 0; r < d; r++) {
      for (let c = 0; c < r; c++) {
        let cov = 0;
        for (let k = 0; k <= c; k++) cov += (l[r * d + k] as number) * (l[c * d + k] as number);
        const qCorr = cov / ((result.lambda.sd[r] as number) * (result.lambda.sd[c] as number));
        const exactCorr = (exact.cov[r]?.[c] as number) / ((sd[r] as number) * (sd[c] as number));
        expect(Math.abs(qCorr - exactCorr)).toBeLessThan(0.05);
      }
    }
    // Adam's thousands of steps of 4096 samples: about 2 minutes on a 2-core CPU adapter, more under load.
  }, 600_000);

  it('mean-field recovers the means', async () => {
    const result = await fit(linreg, {
      family: 'meanfield',
      samples: 4096,
      maxSteps: 3000,
      tol: 1e-4,
      lr: 0.02,
    });
    report(result, { mean: exact.mean, sd }, 'exact');
    exact.mean.forEach((m, i) =>
      expect(Math.abs((result.params.mean[i] as number) - m)).toBeLessThan(0.05 * (sd[i] as number)),
    );
  });
});

describe.each([
  { model: eightSchools, settings: { samples: 4096, maxSteps: 4000, tol: 1e-4, lr: 0.02 } },
  { model: hmm, settings: { samples: 4096, maxSteps: 3000, tol: 1e-4, lr: 0.02 } },
])('$model.name against posteriordb', ({ model, settings }) => {
  it('means within 0.25 reference sd (sds reported beside the reference)', async () => {
    const reference = model.prepare(model.defaultData()).reference;
    if (!reference) throw new Error(`${model.name} has a posteriordb reference for its default data`);
    const result = await fit(model, settings);
    report(result, reference, 'reference');
    reference.mean.forEach((m, i) =>
      expect(Math.abs((result.params.mean[i] as number) - m)).toBeLessThan(
        0.25 * (reference.sd[i] as number),
      ),
    );
  });
});
