/**
 * Accurate by default: at the default settings, exact Gaussian posteriors are recovered to within the
 * project's stated accuracy (means within 0.05 posterior sd, sds within 5 %), including a correlated one
 * whose covariance has condition number >= 10^4; the host L-BFGS is bitwise reproducible; a run that
 * diverges still reports finite summaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { linreg, linregExactPosterior } from '../../src/models/linreg';
import { normalMean } from '../../src/models/normal-mean';
import type { ModelDefinition } from '../../src/models/types';
import { ViEngine, type FitResult } from '../../src/vi/engine';
import { DEFAULT_SETTINGS } from '../../src/vi/settings';
import { correlatedLinregData } from '../../bench/accuracy/data';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

async function fit(model: ModelDefinition, data: Record<string, unknown>, settings = {}): Promise<FitResult> {
  const engine = await ViEngine.create(ctx, model, data, settings);
  const result = await engine.fit();
  engine.destroy();
  return result;
}

function errors(result: FitResult, mean: readonly number[], sd: readonly number[]) {
  return {
    mean: Math.max(
      ...result.params.mean.map((m, i) => Math.abs(m - (mean[i] as number)) / (sd[i] as number)),
    ),
    sd: Math.max(...result.params.sd.map((s, i) => Math.abs(s / (sd[i] as number) - 1))),
  };
}

function log(label: string, result: FitResult, e: { mean: number; sd: number }): void {
  console.info(
    `[webgpu-vi] ${label} (${result.settings.optimizer}, ${result.settings.family}): ${result.message}; ` +
      `mean error ${e.mean.toFixed(4)} sd, sd error ${(100 * e.sd).toFixed(2)} %; ` +
      `estimated optimizer error ${result.accuracy.optimizerError}, sample error ${result.accuracy.sampleError}`,
  );
}

/** Precision matrix from a covariance (Gauss-Jordan; small and well tested elsewhere). */
function inverse(a: readonly (readonly number[])[]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]?.[c] as number) > Math.abs(m[p]?.[c] as number)) p = r;
    [m[c], m[p]] = [m[p] as number[], m[c] as number[]];
    const pivot = m[c]?.[c] as number;
    m[c] = (m[c] as number[]).map((v) => v / pivot);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]?.[c] as number;
      m[r] = (m[r] as number[]).map((v, j) => v - f * ((m[c] as number[])[j] as number));
    }
  }
  return m.map((row) => row.slice(n));
}

describe('at the default settings', () => {
  it('normal-mean: the exact posterior', async () => {
    const exact = normalMean.prepare(normalMean.defaultData()).exact;
    if (!exact) throw new Error('normal-mean has an exact posterior');
    const result = await fit(normalMean, normalMean.defaultData());
    const e = errors(result, exact.mean, exact.sd);
    log('normal-mean', result, e);
    expect(result.converged).toBe(true);
    expect(e.mean).toBeLessThan(0.05);
    expect(e.sd).toBeLessThan(0.05);
  });

  describe('a correlated linear regression (condition number >= 10^4)', () => {
    const data = correlatedLinregData();
    const exact = linregExactPosterior(data);
    const sd = exact.cov.map((row, j) => Math.sqrt(row[j] as number));

    it('full-rank: the exact means and sds', async () => {
      const result = await fit(linreg, data, { family: 'fullrank' });
      const e = errors(result, exact.mean, sd);
      log('linreg-correlated', result, e);
      expect(result.converged).toBe(true);
      expect(e.mean).toBeLessThan(0.05);
      expect(e.sd).toBeLessThan(0.05);
    });

    it("mean-field: the exact means, and the family's own optimum sds (1 / sqrt of the precision's diagonal)", async () => {
      const precision = inverse(exact.cov);
      const optimumSd = precision.map((row, j) => 1 / Math.sqrt(row[j] as number));
      const result = await fit(linreg, data, { family: 'meanfield' });
      const e = errors(result, exact.mean, sd);
      const eOptimum = errors(result, exact.mean, optimumSd);
      log('linreg-correlated mean-field', result, eOptimum);
      expect(result.converged).toBe(true);
      expect(e.mean).toBeLessThan(0.05);
      expect(eOptimum.sd).toBeLessThan(0.05);
    });
  });
});

describe('L-BFGS on fixed samples', () => {
  it('is bitwise reproducible from its seed', async () => {
    const run = () =>
      fit(normalMean, normalMean.defaultData(), { optimizer: 'lbfgs', samples: 2048, seed: 4 });
    const [a, b] = [await run(), await run()];
    expect(b.lambda.raw).toEqual(a.lambda.raw);
    expect(b.elbo.trace).toEqual(a.elbo.trace);
    expect(b.steps).toBe(a.steps);
  });
});

describe('a learning rate far too large', () => {
  it('diverges, keeps the last usable lambda and reports finite summaries', async () => {
    const result = await fit(normalMean, normalMean.defaultData(), {
      optimizer: 'adam',
      lr: 1e9,
      samples: 1024,
    });
    expect(DEFAULT_SETTINGS.lr).toBe('auto');
    expect(result.stopReason).toBe('diverged');
    expect(result.lambda.raw.every(Number.isFinite)).toBe(true);
    for (const key of ['mean', 'sd', 'q05', 'q50', 'q95'] as const) {
      expect(result.params[key].every(Number.isFinite), key).toBe(true);
    }
    expect(result.params.sd[0]).toBeGreaterThan(0);
  });
});
