/**
 * The Stan back end on the host: the float64 interpreter's gradient against central finite differences, the
 * compiled twins of the built-in models against the built-ins' independent float64 references (test/reference),
 * Stan's transforms and its dropping of constants under `~`, and the diagnostics for what is not supported.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError, type StanData } from '../../src/models/data';
import { getModel } from '../../src/models/registry';
import { compileStan, StanLimitError, type CompiledStan } from '../../src/stan/compile';
import { evaluate } from '../../src/stan/interpret';
import { randomPoints } from '../gpu/model-check';
import { eightSchoolsReference } from '../reference/eight-schools';
import { hmmReference } from '../reference/hmm';
import { linregReference } from '../reference/linreg';
import { posteriordbModels } from '../stan/shared';
import { logisticReference } from '../reference/logistic';
import { finiteDifferenceGradient, normalMeanReference, type ReferenceModel } from '../reference/models';

const PDB = 'test/stan/posteriordb';
/** posteriordb models this back end compiles (copies with their licence under test/stan/posteriordb). */
const POSTERIORDB = [
  'arK-arK',
  'arma-arma11',
  'earnings-logearn_height',
  'eight_schools-eight_schools_noncentered',
  'garch-garch11',
  'hmm_example-hmm_example',
  'kidiq-kidscore_momiq',
  'kilpisjarvi_mod-kilpisjarvi',
  'low_dim_gauss_mix-low_dim_gauss_mix',
  'mesquite-logmesquite_logvolume',
  'sblrc-blr',
];

export function compileOrThrow(source: string, name = 'test'): CompiledStan {
  const r = compileStan(source, { name });
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
  return r;
}

const twin = (name: string) => readFileSync(`test/stan/twins/${name}.stan`, 'utf8');

function expectGradientMatchesFiniteDifferences(m: CompiledStan, data: StanData, scale: number): void {
  const host = m.host(data);
  const d = m.model.prepare(data).dimension;
  for (const z of randomPoints(4, d, scale, 7)) {
    const { grad } = m.logDensity(host, z);
    const fd = finiteDifferenceGradient((x) => m.logDensity(host, x).lp, z, 1e-5);
    const gs = 1 + Math.max(...Array.from(grad, Math.abs));
    grad.forEach((g, i) => expect(Math.abs(g - (fd[i] as number))).toBeLessThan(2e-6 * gs));
  }
}

describe('interpreter gradient = finite differences (posteriordb models)', () => {
  it.each(POSTERIORDB)('%s', (dir) => {
    const m = compileOrThrow(readFileSync(`${PDB}/${dir}/model.stan`, 'utf8'), dir);
    const data = JSON.parse(readFileSync(`${PDB}/${dir}/data.json`, 'utf8')) as StanData;
    expectGradientMatchesFiniteDifferences(m, data, 1);
  });
});

const TWINS: readonly [string, string, (data: StanData) => ReferenceModel][] = [
  ['normal_mean', 'normal-mean', normalMeanReference],
  ['linreg', 'linreg', linregReference],
  ['logistic', 'logistic', logisticReference],
  ['eight_schools', 'eight-schools', eightSchoolsReference],
  ['hmm', 'hmm', hmmReference],
];

describe('hmm_marginal', () => {
  const data = getModel('hmm').defaultData();
  const source = readFileSync('test/stan/hmm_marginal.stan', 'utf8');

  it("equals the hand-written hmm's float64 forward algorithm, value and gradient", () => {
    const m = compileOrThrow(source, 'hmm_marginal');
    const host = m.host(data);
    const ref = hmmReference(data);
    for (const z of randomPoints(8, 4, 2, 5)) {
      const got = m.logDensity(host, z);
      const want = ref.logJoint(z);
      expect(Math.abs(got.lp - want.lp)).toBeLessThan(1e-11 * (1 + Math.abs(want.lp)));
      got.grad.forEach((g, i) =>
        expect(Math.abs(g - (want.grad[i] as number))).toBeLessThan(1e-8 * (1 + Math.abs(g))),
      );
    }
  });

  it('rejects the point when rho is not a simplex or the sizes do not match', () => {
    const z = new Float64Array([0.3, -0.2, 1.1, 1.9]);
    const notSimplex = compileOrThrow(source.replace('rep_vector(1.0 / K, K)', 'rep_vector(0.6, K)'));
    const a = evaluate(notSimplex.program, notSimplex.host(data), z);
    expect(a.lp).toBe(-Infinity);
    expect(a.rejected).toMatch(/hmm_marginal: rho is not a simplex/);
    const wrongSize = compileOrThrow(
      source.replace('rep_vector(1.0 / K, K)', 'rep_vector(1.0 / (K + 1), K + 1)'),
    );
    const b = evaluate(wrongSize.program, wrongSize.host(data), z);
    expect(b.lp).toBe(-Infinity);
    expect(b.rejected).toMatch(/hmm_marginal: log_omega must be K x N/);
  });
});

describe('twins of the built-in models equal their float64 references', () => {
  it.each(TWINS)('%s', (file, builtin, reference) => {
    const model = getModel(builtin);
    const data = model.defaultData();
    const m = compileOrThrow(twin(file), file);
    const prepared = m.model.prepare(data);
    const builtinNames = model.prepare(data).paramNames;
    expect(prepared.dimension).toBe(model.prepare(data).dimension);
    const ref = reference(data);
    const host = m.host(data);
    for (const z of randomPoints(8, prepared.dimension, 1.5, 11)) {
      const got = m.logDensity(host, z);
      const want = ref.logJoint(z);
      expect(Math.abs(got.lp - want.lp)).toBeLessThan(1e-9 * (1 + Math.abs(want.lp)));
      got.grad.forEach((g, i) =>
        expect(Math.abs(g - (want.grad[i] as number))).toBeLessThan(1e-8 * (1 + Math.abs(g))),
      );
      // Every reported value of the built-in is reported by the twin under the same name.
      const values = m.reported(host, z);
      const wantReported = ref.reported(z);
      builtinNames.forEach((name, k) => {
        const at = prepared.paramNames.indexOf(name);
        expect(at, name).toBeGreaterThanOrEqual(0);
        expect(values[at]).toBeCloseTo(wantReported[k] as number, 10);
      });
    }
  });

  it('posteriordb eight schools (with ~) is the twin less constants', () => {
    const data = getModel('eight-schools').defaultData();
    const twinModel = compileOrThrow(twin('eight_schools'));
    const pdb = compileOrThrow(
      readFileSync(`${PDB}/eight_schools-eight_schools_noncentered/model.stan`, 'utf8'),
    );
    const [h1, h2] = [twinModel.host(data), pdb.host(data)];
    const diffs = randomPoints(5, 10, 2, 3).map(
      (z) => twinModel.logDensity(h1, z).lp - pdb.logDensity(h2, z).lp,
    );
    // ~ drops -log(sigma_j), the 2 pi's, normal(0, 5)'s and cauchy(0, 5)'s scales and pi, and the log 2.
    const sigma = data.sigma as number[];
    const dropped =
      -0.5 * (8 + 8 + 1) * Math.log(2 * Math.PI) -
      sigma.reduce((a, s) => a + Math.log(s), 0) -
      Math.log(5) -
      Math.log(5 * Math.PI) +
      Math.LN2;
    diffs.forEach((d) => expect(d).toBeCloseTo(dropped, 9));
  });
});

describe('transforms', () => {
  const src = `
data { real a; }
parameters {
  real<lower=a, upper=a + 2> b;
  real<offset=1, multiplier=3> c;
  ordered[3] o;
  simplex[4] s;
  vector<lower=0>[2] v;
  real<upper=b> u;
}
model { b ~ normal(0, 1); c ~ normal(1, 3); o ~ normal(0, 1); v ~ exponential(1); u ~ normal(0, 1); }`;
  const m = compileOrThrow(src);
  const data = { a: -0.5 };
  const prepared = m.model.prepare(data);

  it('has Stan dimensions and names', () => {
    // b, c, o (3), s (3 free), v (2), u
    expect(prepared.dimension).toBe(1 + 1 + 3 + 3 + 2 + 1);
    expect(prepared.paramNames).toEqual([
      'b',
      'c',
      'o[1]',
      'o[2]',
      'o[3]',
      's[1]',
      's[2]',
      's[3]',
      's[4]',
      'v[1]',
      'v[2]',
      'u',
    ]);
  });

  it('constrains as Stan does', () => {
    const host = m.host(data);
    for (const z of randomPoints(6, prepared.dimension, 3, 5)) {
      const x = m.reported(host, z);
      expect(x[0]).toBeCloseTo(-0.5 + 2 / (1 + Math.exp(-(z[0] as number))), 12);
      expect(x[1]).toBeCloseTo(1 + 3 * (z[1] as number), 12);
      expect(x[2]).toBe(z[2]);
      expect(x[3]).toBeCloseTo((x[2] as number) + Math.exp(z[3] as number), 12);
      const s = Array.from(x.subarray(5, 9));
      expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      s.forEach((p) => expect(p).toBeGreaterThan(0));
      // Stan's stick-breaking: s[1] = inv_logit(z - log(K - 1)).
      expect(s[0]).toBeCloseTo(1 / (1 + Math.exp(-((z[5] as number) - Math.log(3)))), 12);
      expect(x[11]).toBeLessThan(x[0] as number);
    }
  });

  it('log-Jacobians make the gradient consistent (finite differences)', () => {
    expectGradientMatchesFiniteDifferences(m, data, 2);
  });

  it('the simplex log-Jacobian integrates to 1 (K = 2: the density of theta ~ uniform on the simplex)', () => {
    const k2 = compileOrThrow('parameters { simplex[2] t; } model { }');
    const host = k2.host({});
    // integral over z of exp(log|J|) = the simplex's volume in t[1] = 1.
    let total = 0;
    const h = 0.01;
    for (let zz = -30; zz <= 30; zz += h) total += Math.exp(k2.logDensity(host, Float64Array.of(zz)).lp) * h;
    expect(total).toBeCloseTo(1, 6);
  });
});

describe('vector language: the vectorised forms equal the same model written with loops', () => {
  const data = JSON.parse(readFileSync('test/stan/vector_language.json', 'utf8')) as StanData;
  const head = `data { int N; int K; array[N] int g; vector[N] x; matrix[N, 2] X; array[N] int y; }
parameters { vector[K] a; real<lower=0> s; vector[2] b; real c; }`;
  const vectorised = compileOrThrow(readFileSync('test/stan/vector_language.stan', 'utf8'));
  const loops = compileOrThrow(`${head}
model {
  for (n in 1:N) x[n] ~ normal(a[g[n]], s);
  real m = mean(x);
  real v = 0;
  for (n in 1:N) v += square(x[n] - m);
  for (n in 2:4) target += normal_lpdf(x[n] | c, sqrt(v / (N - 1)) * s);
  target += b[1] + c * b[2] + b[1] * b[1] + 2 * b[2] + 2 * (b[1] + b[2]);
  real am = mean(a);
  real va = 0;
  for (k in 1:K) va += square(a[k] - am);
  target += va / (K - 1);
  for (n in 1:N) y[n] ~ bernoulli_logit(c + X[n, 1] * b[1] + X[n, 2] * b[2]);
  target += 2 * b[1] + b[2];
}`);

  it('multi-indexes, ranges, matrix literals, rep_matrix, sd, variance and a GLM', () => {
    const [h1, h2] = [vectorised.host(data), loops.host(data)];
    for (const z of randomPoints(6, 7, 1.5, 9)) {
      const a = vectorised.logDensity(h1, z);
      const b = loops.logDensity(h2, z);
      expect(a.lp).toBeCloseTo(b.lp, 10);
      a.grad.forEach((g, i) => expect(g).toBeCloseTo(b.grad[i] as number, 10));
    }
    expectGradientMatchesFiniteDifferences(vectorised, data, 1);
  });
});

describe('assignment to ranges and multi-indexes', () => {
  it('equals the element-by-element assignments (and cumulative_sum its sums)', () => {
    const data = { N: 5, g: [2, 1, 3, 3, 1], x: [0.5, -1.2, 2.0, 0.3, -0.7] };
    const head = 'data { int N; array[N] int g; vector[N] x; } parameters { vector[3] a; }';
    const ranged = compileOrThrow(`${head}
model {
  vector[N] m;
  m[1:2] = x[4:5] .* a[1:2];
  m[3:N] = a[g[1:3]];
  matrix[2, 3] M;
  M[1] = a';
  M[2, :] = 2 * a';
  m[{5, 1}] = M[:, 3];
  target += -dot_self(m - x) + sum(cumulative_sum(a));
}`);
    const loops = compileOrThrow(`${head}
model {
  vector[N] m;
  m[1] = x[4] * a[1];
  m[2] = x[5] * a[2];
  for (n in 3:N) m[n] = a[g[n - 2]];
  m[5] = a[3];
  m[1] = 2 * a[3];
  for (n in 1:N) target += -square(m[n] - x[n]);
  target += 3 * a[1] + 2 * a[2] + a[3];
}`);
    const [h1, h2] = [ranged.host(data), loops.host(data)];
    for (const z of randomPoints(4, 3, 1.5, 13)) {
      const a = ranged.logDensity(h1, z);
      const b = loops.logDensity(h2, z);
      expect(a.lp).toBeCloseTo(b.lp, 10);
      a.grad.forEach((g, i) => expect(g).toBeCloseTo(b.grad[i] as number, 10));
    }
  });
});

describe('diagnostics', () => {
  it('names the unsupported construct and its line', () => {
    // The eigenvectors of a parameter-dependent matrix (Sigma1 = var1 * exp(xd * bw1)).
    const model = `${PDB}-models/synthetic_grid_RBF_kernels-kronecker_gp/model.stan`;
    const r = compileStan(readFileSync(model, 'utf8'));
    expect('diagnostics' in r).toBe(true);
    if (!('diagnostics' in r)) return;
    expect(r.diagnostics[0]?.line).toBe(63);
    expect(r.diagnostics[0]?.message).toContain('eigenvectors_sym of a parameter-dependent matrix');
  });

  it('reports a syntax error from the parser', () => {
    const r = compileStan('parameters { real x } model { }');
    expect('diagnostics' in r && r.diagnostics[0]?.severity).toBe('error');
  });

  it('an unknown distribution is a diagnostic at its name', () => {
    const r = compileStan('parameters { real x; }\nmodel {\n  x ~ wishart_thing(1);\n}');
    expect('diagnostics' in r && r.diagnostics[0]).toMatchObject({ line: 3, column: 7 });
  });

  it('a model whose derivatives outgrow WGSL function memory is refused at prepare, saying why', () => {
    // m is assigned twice, so it is stored: 400 values with 400 derivatives each.
    const m = compileOrThrow(
      'data { int N; } parameters { vector[N] x; } model { vector[N] m = 2 * x; m[1] = x[1]; x ~ normal(m, 1); }',
    );
    expect(m.model.prepare({ N: 20 }).dimension).toBe(20);
    expect(() => m.model.prepare({ N: 400 })).toThrow(StanLimitError);
    expect(() => m.model.prepare({ N: 400 })).toThrow(/"m" \(400 values/);
  });

  it('a model reporting more values than one draw may hold in function memory is refused at prepare', () => {
    // 16384 reported values fill 65536 bytes exactly; one more is refused, naming the largest.
    const m = compileOrThrow(
      'data { int N; } parameters { real x; } model { x ~ normal(0, 1); } ' +
        'generated quantities { vector[N] y = rep_vector(x, N); }',
    );
    expect(m.model.prepare({ N: 16383 }).paramNames).toHaveLength(16384);
    expect(() => m.model.prepare({ N: 16384 })).toThrow(StanLimitError);
    expect(() => m.model.prepare({ N: 16384 })).toThrow(
      /reports 16385 values .*the largest: "y" 16384, "x" 1\)/,
    );
  });

  it('parameters and locals defined once from them are not stored, so a large D fits', () => {
    // x is a copy of z and mu is recomputed at each read (src/stan/unstored.ts): nothing of size N is stored.
    const m = compileOrThrow(
      'data { int N; vector[N] y; } parameters { vector[N] x; real b; } ' +
        'model { vector[N] mu; for (n in 1:N) mu[n] = b + x[n]; y ~ normal(mu, 1); x ~ normal(0, 1); }',
    );
    expect(m.model.prepare({ N: 400, y: Array.from({ length: 400 }, (_, i) => i / 400) }).dimension).toBe(
      401,
    );
    const wgsl = m.model.wgsl;
    expect(wgsl).not.toMatch(/var l\d+: array<Dual/);
  });

  it('data errors name the field', () => {
    const m = compileOrThrow(twin('linreg'));
    const data = { ...getModel('linreg').defaultData(), y: [1, 2] };
    expect(() => m.model.prepare(data)).toThrow(DataError);
    try {
      m.model.prepare(data);
    } catch (e) {
      expect((e as DataError).field).toBe('y');
    }
  });
});

describe('generated WGSL names', () => {
  it('never declare one of WGSL’s type names, in any posteriordb model', () => {
    // low_dim_gauss_mix_collapse's 33rd index temporary was `let i32 = …`, which Tint refuses.
    const TYPE_NAMES = /\b(?:let|var|const)\s+(i32|u32|f32|f16|bool)\b/;
    let checked = 0;
    for (const m of posteriordbModels()) {
      const r = compileStan(m.source, { name: m.id });
      if ('diagnostics' in r) continue;
      expect(r.model.wgsl.match(TYPE_NAMES)?.[0], m.id).toBeUndefined();
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});
