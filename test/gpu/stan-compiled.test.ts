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
 * (default 1e-5), and of the log density relative to 1 + |lp| (default 2e-6), the variants checked: as written (false) and unrolled
 * (true), default both]
 */
const CASES: readonly [string, string, () => StanData, number, number?, number?, boolean[]?][] = [
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
  ['hmm_marginal', 'test/stan/hmm_marginal.stan', () => getModel('hmm').defaultData(), 1e-4],
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
  // Models with a parameter-dependent Cholesky factor: the f32 one adds a jitter of K 2^-23 S_ii to each pivot
  // (prim cholesky_pivot) that float64 does not, which moves the log density by a few 1e-6 relative here.
  ['lkj and matrix functions', 'test/stan/lkj.stan', () => json('test/stan/lkj.json'), 1e-5, 1e-5, 1e-5],
  // gp_exp_quad_cov (reals, vectors, two sets), its Cholesky factor in the transformed parameters, eigen of data.
  ['gaussian process', 'test/stan/gp.stan', () => json('test/stan/gp.json'), 1e-5, 1e-5, 1e-5],
  // Generated quantities with _rng: the WGSL's draws (shaders/stan/rng.wgsl) are the interpreter's, draw by draw
  // (the same Philox stream keyed by z; ints exactly, reals to the f32 rounding of log, cos and exp of them:
  // measured up to 3e-5 relative).
  ['generated quantities with _rng', 'test/stan/rng.stan', () => json('test/stan/rng.json'), 1e-5, 2e-4],
  // The inverse-CDF and gamma-based families, as written only: they add no loop over sizes for the unroller,
  // and each inlined rejection loop costs SwiftShader seconds to compile.
  [
    'more _rng families (inverse CDFs, gamma-based)',
    'test/stan/rng_families.stan',
    () => json('test/stan/rng.json'),
    1e-5,
    2e-4,
    undefined,
    [false],
  ],
  // ODE solvers (src/stan/ode.ts), Lotka–Volterra and a variadic decay: the same adaptive steps in f32 as in
  // float64 (tolerances at the f32 floor, 1e-5), so the WGSL differs by its rounding only, over about a hundred
  // steps of seven right-hand sides each (measured on SwiftShader: lp 1.3e-6, gradient 1.3e-5, values 2.5e-6).
  ['ODE solvers', 'test/stan/ode.stan', () => json('test/stan/ode.json'), 1e-4, 2e-5, 1e-5],
];

describe('compiled WGSL = float64 interpreter', () => {
  it.each(CASES)(
    '%s',
    async (
      label,
      path,
      data,
      tolerance,
      reportedTolerance = 1e-5,
      lpTolerance = 2e-6,
      variants = [false, true],
    ) => {
      const m = compiled(path, label.replace(/\W+/g, '-'));
      const d = data();
      const prepared = m.model.prepare(d);
      const host = m.host(d);
      const points = randomPoints(8, prepared.dimension, 1, 21);
      // As written, and with its loops over sizes unrolled as the engine compiles it on a CPU adapter.
      for (const unrolled of variants) {
        const gpu = await evaluateModel(ctx, m.model, prepared, points, 1, unrolled);
        check(gpu);
      }
      function check(gpu: Awaited<ReturnType<typeof evaluateModel>>): void {
        points.forEach((z, i) => {
          const want = m.logDensity(host, z);
          const got = gpu[i];
          if (!got) throw new Error(`no GPU result for point ${i}`);
          expect(Math.abs(got.logJoint - want.lp)).toBeLessThan(lpTolerance * (1 + Math.abs(want.lp)));
          const scale = 1 + Math.max(...Array.from(want.grad, Math.abs));
          want.grad.forEach((g, k) =>
            expect(Math.abs((got.gradient[k] as number) - g)).toBeLessThan(tolerance * scale),
          );
          const reported = m.reported(host, z);
          expect(got.reported.length).toBe(prepared.paramNames.length);
          reported.forEach((v, k) =>
            expect(
              Math.abs((got.reported[k] as number) - v),
              `${prepared.paramNames[k]}: ${got.reported[k]} against ${v}`,
            ).toBeLessThan(reportedTolerance * (1 + Math.abs(v))),
          );
        });
      }
    },
  );
});

describe('cholesky_decompose in f32', () => {
  it('a GP kernel that is positive definite only in float64 (gp_pois_regr, rho 12 to 90) does not reject', async () => {
    // Its 1e-10 jitter is below f32's resolution of the diagonal: without f32's own jitter (prim
    // cholesky_pivot) every one of these points rejected, and the first step of a fit from q's start diverged.
    const dir = `${PDB}/gp_pois_regr-gp_pois_regr`;
    const m = compiled(`${dir}/model.stan`, 'gp_pois_regr');
    const d = json(`${dir}/data.json`);
    const prepared = m.model.prepare(d);
    const host = m.host(d);
    const points: Float64Array[] = [];
    for (const rho of [12, 20, 33, 90])
      for (const alpha of [0.5, 1, 3]) {
        const z = randomPoints(1, prepared.dimension, 1, points.length + 5)[0]!;
        z[0] = Math.log(rho);
        z[1] = Math.log(alpha);
        points.push(z);
      }
    const gpu = await evaluateModel(ctx, m.model, prepared, points, 1, true);
    points.forEach((z, i) => {
      expect(Number.isFinite(m.logDensity(host, z).lp)).toBe(true);
      const got = gpu[i]!;
      expect(Number.isFinite(got.logJoint)).toBe(true);
      expect(Array.from(got.gradient).every(Number.isFinite)).toBe(true);
    });
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
