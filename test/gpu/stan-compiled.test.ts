/**
 * Models compiled from Stan on the GPU: the generated WGSL's log density, gradient and reported values match the
 * float64 interpreter (itself checked against finite differences and the built-ins' references in
 * test/unit/stan-backend.test.ts) at random points, and a short fit of a compiled model recovers an exact
 * posterior.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import type { StanData } from '../../src/models/data';
import { evaluateModel } from '../../src/models/evaluate';
import { normalMean } from '../../src/models/normal-mean';
import { getModel } from '../../src/models/registry';
import { compileStan, type CompiledStan } from '../../src/stan/compile';
import { ViEngine } from '../../src/vi/engine';
import { testDevice } from './gpu-context';
import { randomPoints } from './model-check';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

function compiled(path: string, name: string): CompiledStan {
  const r = compileStan(readFileSync(path, 'utf8'), { name });
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
  return r;
}

const PDB = 'test/stan/posteriordb';
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as StanData;

/**
 * [label, model file, data, tolerance relative to the largest gradient component, and of the reported values
 * (default 1e-5)]
 */
const CASES: readonly [string, string, () => StanData, number, number?][] = [
  ['twin normal_mean', 'test/stan/twins/normal_mean.stan', () => getModel('normal-mean').defaultData(), 1e-5],
  ['twin linreg', 'test/stan/twins/linreg.stan', () => getModel('linreg').defaultData(), 1e-5],
  [
    'twin eight_schools',
    'test/stan/twins/eight_schools.stan',
    () => getModel('eight-schools').defaultData(),
    1e-5,
  ],
  // The forward algorithm's 100 f32 log-sum-exps cost about 3 more digits than the others.
  ['twin hmm', 'test/stan/twins/hmm.stan', () => getModel('hmm').defaultData(), 2e-3],
  ['garch11', `${PDB}/garch-garch11/model.stan`, () => json(`${PDB}/garch-garch11/data.json`), 1e-5],
  ['vector language', 'test/stan/vector_language.stan', () => json('test/stan/vector_language.json'), 1e-5],
  [
    'low_dim_gauss_mix',
    `${PDB}/low_dim_gauss_mix-low_dim_gauss_mix/model.stan`,
    () => json(`${PDB}/low_dim_gauss_mix-low_dim_gauss_mix/data.json`),
    1e-5,
  ],
  // User-defined functions, inlined: pure, with statements, early returns, _lpdf with ~, _lp, void, int.
  [
    'functions language',
    'test/stan/functions_language.stan',
    () => json('test/stan/functions_language.json'),
    1e-5,
  ],
  [
    'losscurve_sislob (functions)',
    `${PDB}-models/loss_curves-losscurve_sislob/model.stan`,
    () => json(`${PDB}-models/loss_curves-losscurve_sislob/data.json`),
    1e-5,
  ],
  // D = 87 and 90: parameters read straight from z and the linear predictor mu recomputed at each read
  // (src/stan/unstored.ts), and the non-centred alpha a stored transformed parameter that mu reads.
  [
    'radon county intercept (unstored locals)',
    `${PDB}-models/radon_mn-radon_county_intercept/model.stan`,
    () => json(`${PDB}-models/radon_mn-radon_county_intercept/data.json`),
    1e-5,
  ],
  [
    'radon non-centred (unstored locals)',
    `${PDB}-models/radon_mn-radon_hierarchical_intercept_noncentered/model.stan`,
    () => json(`${PDB}-models/radon_mn-radon_hierarchical_intercept_noncentered/data.json`),
    1e-5,
  ],
  ['dirichlet', 'test/stan/dirichlet.stan', () => json('test/stan/dirichlet.json'), 1e-5],
  ['lcdf and lccdf', 'test/stan/cdfs.stan', () => json('test/stan/cdfs.json'), 1e-5],
  ['multivariate', 'test/stan/multivariate.stan', () => json('test/stan/multivariate.json'), 1e-5],
  ['matrix types', 'test/stan/matrix_types.stan', () => json('test/stan/matrix_types.json'), 1e-5],
  ['lkj and matrix functions', 'test/stan/lkj.stan', () => json('test/stan/lkj.json'), 1e-5],
  // gp_exp_quad_cov (reals, vectors, two sets), its Cholesky factor in the transformed parameters, eigen of data.
  ['gaussian process', 'test/stan/gp.stan', () => json('test/stan/gp.json'), 1e-5],
  // Generated quantities with _rng: the WGSL's draws (shaders/stan/rng.wgsl) are the interpreter's, draw by draw
  // (the same Philox stream keyed by z; ints exactly, reals to the f32 rounding of log, cos and exp of them:
  // measured up to 3e-5 relative).
  ['generated quantities with _rng', 'test/stan/rng.stan', () => json('test/stan/rng.json'), 1e-5, 2e-4],
];

describe('compiled WGSL = float64 interpreter', () => {
  it.each(CASES)('%s', async (label, path, data, tolerance, reportedTolerance = 1e-5) => {
    const m = compiled(path, label.replace(/\W+/g, '-'));
    const d = data();
    const prepared = m.model.prepare(d);
    const host = m.host(d);
    const points = randomPoints(8, prepared.dimension, 1, 21);
    // As written, and with its loops over sizes unrolled as the engine compiles it on a CPU adapter.
    for (const unrolled of [false, true]) {
      const gpu = await evaluateModel(ctx, m.model, prepared, points, 1, unrolled);
      check(gpu);
    }
    function check(gpu: Awaited<ReturnType<typeof evaluateModel>>): void {
      points.forEach((z, i) => {
        const want = m.logDensity(host, z);
        const got = gpu[i];
        if (!got) throw new Error(`no GPU result for point ${i}`);
        expect(Math.abs(got.logJoint - want.lp)).toBeLessThan(2e-6 * (1 + Math.abs(want.lp)));
        const scale = 1 + Math.max(...Array.from(want.grad, Math.abs));
        want.grad.forEach((g, k) =>
          expect(Math.abs((got.gradient[k] as number) - g)).toBeLessThan(tolerance * scale),
        );
        const reported = m.reported(host, z);
        expect(got.reported.length).toBe(prepared.paramNames.length);
        reported.forEach((v, k) =>
          expect(Math.abs((got.reported[k] as number) - v)).toBeLessThan(
            reportedTolerance * (1 + Math.abs(v)),
          ),
        );
      });
    }
  });
});

describe('fitting a compiled model', () => {
  it('the normal_mean twin recovers the exact posterior', async () => {
    const m = compiled('test/stan/twins/normal_mean.stan', 'normal_mean');
    const data = normalMean.defaultData();
    const exact = normalMean.prepare(data).exact;
    if (!exact) throw new Error('normal-mean has an exact posterior');
    const engine = await ViEngine.create(ctx, m.model, data, {
      family: 'meanfield',
      samples: 1024,
      diagnosticDraws: 10_000,
    });
    const result = await engine.fit();
    engine.destroy();
    console.info(
      `[webgpu-vi] stan normal_mean: ${result.message}; mean ${result.params.mean[0]}, sd ${result.params.sd[0]}`,
    );
    expect(result.params.names).toEqual(['z']);
    const sd = exact.sd[0] as number;
    expect(Math.abs((result.params.mean[0] as number) - (exact.mean[0] as number))).toBeLessThan(0.05 * sd);
    expect(Math.abs((result.params.sd[0] as number) / sd - 1)).toBeLessThan(0.05);
  });
});
