/**
 * The family seam: a family registered from the test folder alone (test/families/isotropic.*) is accepted by
 * the settings, composed into every kernel and fitted, with no engine file knowing of it.
 * Its optimum is known: for a Gaussian posterior N(m, P^-1), KL(q || p) over q = N(mu, s^2 I) is smallest
 * at mu = m and s^2 = D / trace(P) (set d/ds^2 of trace(P) s^2 - D log s^2 to zero).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { ViEngine } from '../../src/vi/engine';
import { familyNames, registerFamily } from '../../src/vi/families/registry';
import { resolveSettings } from '../../src/vi/settings';
import { ISOTROPIC } from '../families/isotropic';
import { gaussianModel } from '../models/gaussian';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

/**
 * A Gaussian "posterior" N(m, P^-1) with correlations (test/models/gaussian.ts): the isotropic optimum
 * s^2 = D / trace(P) differs from every marginal variance, so a family that ignored its own layout, entropy or
 * gradient would miss it.
 */
const PRECISION = [
  [4, 1.5, 0.5],
  [1.5, 2, 0.3],
  [0.5, 0.3, 1],
];
const MEAN = [1, -2, 0.5];
const gaussian = gaussianModel('correlated-gaussian', MEAN, PRECISION);

describe('a family registered from outside the engine', () => {
  it('is offered by the registry and accepted by the settings', () => {
    registerFamily(ISOTROPIC);
    expect(familyNames()).toContain('isotropic');
    expect(resolveSettings({ family: 'isotropic' }).family).toBe('isotropic');
    expect(() => registerFamily(ISOTROPIC)).toThrow(/already registered/);
  });

  it.each(['entropy', 'stl'])(
    'fits a correlated Gaussian to the isotropic optimum (%s estimator)',
    async (estimator) => {
      const trace = PRECISION.reduce((t, row, i) => t + (row[i] as number), 0);
      const optimalSd = Math.sqrt(MEAN.length / trace);
      const engine = await ViEngine.create(
        ctx,
        gaussian,
        {},
        {
          family: 'isotropic',
          estimator,
          samples: 2048,
          optimizer: 'adam',
          lr: 0.005,
        },
      );
      // A fixed number of steps, not a stopping rule: at lr 0.005 Adam's jitter is a fraction of a percent.
      await engine.runSteps(2000);
      const lambda = await engine.readLambda();
      engine.destroy();
      const { mean, sd } = ISOTROPIC.marginals(lambda, MEAN.length);
      console.info(
        `[webgpu-vi] isotropic (${estimator}): sd ${sd[0]} (optimum ${optimalSd}); ` +
          `means ${mean.map((m) => m.toFixed(4)).join(', ')} (exact ${MEAN.join(', ')})`,
      );
      expect(Math.abs((sd[0] as number) / optimalSd - 1)).toBeLessThan(0.01);
      mean.forEach((m, j) => expect(Math.abs(m - (MEAN[j] as number))).toBeLessThan(0.02 * optimalSd));
    },
  );
});
