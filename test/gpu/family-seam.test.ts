/**
 * The family seam: a family registered from the test folder alone (test/families/isotropic.*) is accepted by
 * the settings, composed into every kernel and fitted, with no engine file knowing of it.
 * Its optimum is known: for a Gaussian posterior N(m, P^-1), KL(q || p) over q = N(mu, s^2 I) is smallest
 * at mu = m and s^2 = D / trace(P) (set d/ds^2 of trace(P) s^2 - D log s^2 to zero).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import type { ModelDefinition } from '../../src/models/types';
import { ViEngine } from '../../src/vi/engine';
import { familyNames, registerFamily } from '../../src/vi/families/registry';
import { resolveSettings } from '../../src/vi/settings';
import { ISOTROPIC } from '../families/isotropic';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

/**
 * A Gaussian "posterior" N(m, P^-1) with correlations, written as a model (its log density and gradient in
 * WGSL): the isotropic optimum s^2 = D / trace(P) differs from every marginal variance, so a family that
 * ignored its own layout, entropy or gradient would miss it.
 */
const PRECISION = [
  [4, 1.5, 0.5],
  [1.5, 2, 0.3],
  [0.5, 0.3, 1],
];
const MEAN = [1, -2, 0.5];
const gaussian: ModelDefinition = {
  name: 'correlated-gaussian',
  title: 'A correlated Gaussian',
  dataFields: [],
  defaultData: () => ({}),
  prepare: () => ({ dimension: 3, paramNames: ['x[1]', 'x[2]', 'x[3]'], constants: {}, buffers: [] }),
  wgsl: `
const M = vec4<f32>(${MEAN.join(', ')}, 0.0);
const P = mat4x4<f32>(${PRECISION.map((row) => [...row, 0].join(', ')).join(', ')}, 0.0, 0.0, 0.0, 0.0);
fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let d = (*z)[0] - M;
  let pd = P * d;
  (*grad)[0] = -pd;
  return -0.5 * dot(d, pd);
}
fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = (*z)[0];
}`,
};

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
