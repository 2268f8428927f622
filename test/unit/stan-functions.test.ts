/**
 * User-defined functions in the Stan back end (inlined at each call by lower.ts), and the vector functions
 * that build values from pieces (append_row/append_col, segment, head, tail, sub_col, sub_row, softmax,
 * to_vector of a matrix): each program equals the same program written inline with loops, in value and gradient
 * (float64 interpreter), and its gradient equals central finite differences.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StanData } from '../../src/models/data';
import { compileStan, type CompiledStan } from '../../src/stan/compile';
import { randomPoints } from '../gpu/model-check';
import { finiteDifferenceGradient } from '../reference/models';

function compileOrThrow(source: string, name = 'test'): CompiledStan {
  const r = compileStan(source, { name });
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
  return r;
}

function expectSameDensity(
  a: CompiledStan,
  b: CompiledStan,
  data: StanData,
  dim: number,
  seed: number,
): void {
  const [ha, hb] = [a.host(data), b.host(data)];
  expect(a.model.prepare(data).dimension).toBe(dim);
  expect(b.model.prepare(data).dimension).toBe(dim);
  for (const z of randomPoints(5, dim, 1.5, seed)) {
    const x = a.logDensity(ha, z);
    const y = b.logDensity(hb, z);
    expect(Number.isFinite(x.lp)).toBe(true);
    expect(x.lp).toBeCloseTo(y.lp, 10);
    x.grad.forEach((g, i) => expect(g).toBeCloseTo(y.grad[i] as number, 10));
    const ra = a.reported(ha, z);
    const rb = b.reported(hb, z);
    expect(ra.length).toBe(rb.length);
    ra.forEach((v, i) => expect(v).toBeCloseTo(rb[i] as number, 10));
    const fd = finiteDifferenceGradient((p) => a.logDensity(ha, p).lp, z, 1e-5);
    const gs = 1 + Math.max(...Array.from(x.grad, Math.abs));
    x.grad.forEach((g, i) => expect(Math.abs(g - (fd[i] as number))).toBeLessThan(2e-6 * gs));
  }
}

describe('user-defined functions equal the same program written inline', () => {
  const data = JSON.parse(readFileSync('test/stan/functions_language.json', 'utf8')) as StanData;
  const withFunctions = compileOrThrow(readFileSync('test/stan/functions_language.stan', 'utf8'));
  const inline = compileOrThrow(`
data { int N; vector[N] x; }
transformed data {
  vector[N] x2 = 2.0 * x;
  int npos = 0;
  for (i in 1:N) if (x[i] > 0) npos += 1;
}
parameters { vector[3] a; real<lower=0> s; }
transformed parameters {
  real q = square(a[1]) + 1;
  vector[3] b = a * s;
}
model {
  a ~ normal(0, 2);
  x2 ~ normal(a[2], s);
  target += normal_lpdf(x | a[3], s);
  {
    real f = 0.5;
    int found = 0;
    for (i in 1:3) if (found == 0 && a[i] > 0.5) { f = a[i]; found = 1; }
    real g = 0.25;
    found = 0;
    for (i in 1:3) if (found == 0 && b[i] > 0.25) { g = b[i]; found = 1; }
    target += f * npos + g;
  }
  target += q + 1.5 + (N + 1) * a[1];
  s ~ lognormal(0, 1);
}`);

  it('in value, gradient and reported values (pure, statement, early-return, _lpdf, _lp, void, int)', () => {
    expectSameDensity(withFunctions, inline, data, 4, 21);
  });

  it('a user _lpdf keeps its constants with target += and drops them with ~ (as Stan)', () => {
    const src = (stmt: string) => `
functions { real my_normal_lpdf(real y, real mu) { return normal_lupdf(y | mu, 1); } }
parameters { real mu; } model { ${stmt} }`;
    const tilde = compileOrThrow(src('1.5 ~ my_normal(mu);'));
    const full = compileOrThrow(src('target += my_normal_lpdf(1.5 | mu);'));
    const z = Float64Array.of(0.3);
    const [ht, hf] = [tilde.host({}), full.host({})];
    expect(tilde.logDensity(ht, z).lp).toBeCloseTo(-0.5 * 1.2 ** 2, 12);
    expect(full.logDensity(hf, z).lp).toBeCloseTo(-0.5 * 1.2 ** 2 - 0.5 * Math.log(2 * Math.PI), 12);
  });

  it('a while condition calling a function with statements re-runs them before each test', () => {
    const m = compileOrThrow(`
functions {
  int count_above(vector v, real t) {
    int n = 0;
    for (i in 1:rows(v)) if (v[i] > t) n += 1;
    return n;
  }
}
data { int N; vector[N] x; }
transformed data {
  real t = -10;
  while (count_above(x, t) > 1) t += 0.25;
}
parameters { real a; }
model { target += -square(a - t); }`);
    // x = [0.5, -1.2, 2.0, 0.3]: count_above(x, t) <= 1 first at t = 0.5 (only 2.0 is above it).
    const host = m.host(data);
    expect(m.logDensity(host, Float64Array.of(0.5)).lp).toBe(0);
    expect(m.logDensity(host, Float64Array.of(1.5)).lp).toBeCloseTo(-1, 12);
  });

  it('a recursive function is a diagnostic naming it', () => {
    const r = compileStan('functions { real f(real x) { return f(x); } } parameters { real y; } model { }');
    expect('diagnostics' in r).toBe(true);
    if (!('diagnostics' in r)) return;
    expect(r.diagnostics[0]?.message).toMatch(/'f'.*recursive/);
  });

  it('a local whose size depends on a loop variable is refused with its line', () => {
    const r = compileStan(`functions { real f(vector v) { vector[rows(v)] w = v; return sum(w); } }
data { array[2] int n; } parameters { vector[3] a; }
model { for (i in 1:2) target += f(a[1:n[i]]); }`);
    expect('diagnostics' in r).toBe(true);
    if (!('diagnostics' in r)) return;
    expect(r.diagnostics[0]).toMatchObject({ line: 1 });
    expect(r.diagnostics[0]?.message).toContain('size');
  });
});

describe('append_row, append_col, segment, head, tail, sub_col, sub_row, softmax, to_vector(matrix)', () => {
  const data = {
    N: 4,
    x: [0.5, -1.2, 2.0, 0.3],
    M: [
      [1, 2, 3],
      [4, 5, 6],
    ],
  };
  const head = 'data { int N; vector[N] x; matrix[2, 3] M; } parameters { vector[3] a; }';
  const pieces = compileOrThrow(`${head}
model {
  vector[N + 3] v = append_row(x, a);
  target += -dot_self(append_row(a[1], segment(v, 2, 3)));
  target += sum(head(v, 2)) + 2 * sum(tail(v, 2));
  row_vector[6] r = append_col(a', a');
  target += r * to_vector(M);
  target += sum(append_row(M, a') * a);
  target += sum(sub_col(append_col(M, head(a, 2)), 1, 4, 2));
  target += 3 * sum(sub_row(append_row(M, a'), 3, 2, 2));
  target += log_softmax(a)[2] + softmax(a)[3];
}`);
  const loops = compileOrThrow(`${head}
model {
  target += -(square(a[1]) + square(x[2]) + square(x[3]) + square(x[4]));
  target += x[1] + x[2] + 2 * (a[2] + a[3]);
  target += 6 * a[1] + 7 * a[2] + 8 * a[3];
  for (j in 1:3) target += (M[1, j] + M[2, j]) * a[j];
  target += dot_self(a);
  target += a[1] + a[2];
  target += 3 * (a[2] + a[3]);
  target += a[2] - log_sum_exp(a) + exp(a[3] - log_sum_exp(a));
}`);

  it('equal their element-by-element forms', () => {
    expectSameDensity(pieces, loops, data, 3, 5);
  });
});

describe('dirichlet', () => {
  it('target += dirichlet_lpdf equals scipy.stats.dirichlet.logpdf (known answers)', () => {
    const m = compileOrThrow(`data { simplex[3] th; vector[3] al; } parameters { real x; }
model { target += dirichlet_lpdf(th | al); x ~ normal(0, 1); }`);
    const lp = (th: number[], al: number[]) => m.logDensity(m.host({ th, al }), Float64Array.of(0)).lp;
    // scipy.stats.dirichlet.logpdf([0.2, 0.3, 0.5], [1.5, 2, 3]) and ([0.6, 0.1, 0.3], [0.7, 1.2, 2.5])
    expect(lp([0.2, 0.3, 0.5], [1.5, 2, 3])).toBeCloseTo(1.695210995269564, 11);
    expect(lp([0.6, 0.1, 0.3], [0.7, 1.2, 2.5])).toBeCloseTo(-0.25730107353432796, 11);
  });

  it('~ drops the normalising terms of a data alpha; keeps them for a parameter alpha', () => {
    const data = { al: [1.5, 2, 3] };
    const src = (stmt: string) => `data { vector[3] al; } parameters { simplex[3] th; } model { ${stmt} }`;
    const tilde = compileOrThrow(src('th ~ dirichlet(al);'));
    const full = compileOrThrow(src('target += dirichlet_lpdf(th | al);'));
    const explicit = compileOrThrow(
      src('target += lgamma(sum(al)) - sum(lgamma(al)) + dot_product(al - 1, log(th));'),
    );
    expectSameDensity(full, explicit, data, 2, 3);
    const [ht, hf] = [tilde.host(data), full.host(data)];
    for (const z of randomPoints(4, 2, 1.5, 8)) {
      // lgamma(6.5) - lgamma(1.5) - lgamma(2) - lgamma(3)
      expect(full.logDensity(hf, z).lp - tilde.logDensity(ht, z).lp).toBeCloseTo(5.090197116932439, 10);
    }
    const head = 'parameters { vector<lower=0>[3] al; array[2] simplex[3] th; }';
    const vectorised = compileOrThrow(
      `${head} model { al ~ gamma(2, 1); for (m in 1:2) th[m] ~ dirichlet(al); }`,
    );
    const loop = compileOrThrow(`${head} model {
  al ~ gamma(2, 1);
  for (m in 1:2) target += lgamma(sum(al)) - sum(lgamma(al)) + dot_product(al - 1, log(th[m]));
}`);
    expectSameDensity(vectorised, loop, {}, 7, 4);
  });
});

describe('generated quantities', () => {
  const src = `
functions { real twice(real x) { return 2 * x; } }
data { int N; vector[N] y; }
parameters { real mu; real<lower=0> sigma; }
transformed parameters { real v = square(sigma); }
model { y ~ normal(mu, sigma); }
generated quantities {
  real mu2 = twice(mu);
  array[2] int flags;
  flags[1] = mu > 0;
  flags[2] = 7;
  vector[N] resid;
  for (n in 1:N) resid[n] = y[n] - mu;
  real ss = 0;
  { real acc = 0; for (n in 1:N) acc += square(resid[n]); ss = acc / v; }
}`;
  const data = { N: 3, y: [1.2, 0.4, 2.1] };

  it('are reported after the transformed parameters, named as Stan prints them, with their values', () => {
    const m = compileOrThrow(src);
    expect(m.warnings.filter((w) => w.severity === 'warning')).toEqual([]);
    const prepared = m.model.prepare(data);
    expect(prepared.dimension).toBe(2);
    expect(prepared.paramNames).toEqual([
      'mu',
      'sigma',
      'v',
      'mu2',
      'flags[1]',
      'flags[2]',
      'resid[1]',
      'resid[2]',
      'resid[3]',
      'ss',
    ]);
    const host = m.host(data);
    for (const z of randomPoints(4, 2, 1.5, 17)) {
      const [mu, sigma] = [z[0] as number, Math.exp(z[1] as number)];
      const r = Array.from(m.reported(host, z));
      const resid = data.y.map((y) => y - mu);
      const ss = resid.reduce((a, x) => a + x * x, 0) / (sigma * sigma);
      const want = [mu, sigma, sigma * sigma, 2 * mu, mu > 0 ? 1 : 0, 7, ...resid, ss];
      expect(r.length).toBe(want.length);
      r.forEach((v, i) => expect(v).toBeCloseTo(want[i] as number, 12));
    }
  });

  it('do not change the log density', () => {
    const withGq = compileOrThrow(src);
    const without = compileOrThrow(src.replace(/generated quantities \{[\s\S]*$/, ''));
    const [h1, h2] = [withGq.host(data), without.host(data)];
    for (const z of randomPoints(3, 2, 1.5, 19)) {
      const a = withGq.logDensity(h1, z);
      const b = without.logDensity(h2, z);
      expect(a.lp).toBe(b.lp);
      expect(Array.from(a.grad)).toEqual(Array.from(b.grad));
    }
  });

  it('with an unsupported _rng are left out with a warning naming it, and the model still compiles', () => {
    const m = compileOrThrow(`parameters { real mu; } model { mu ~ normal(0, 1); }
generated quantities {
  real a = mu;
  real y_rep = skew_normal_rng(mu, 1, 2);
}`);
    const w = m.warnings.find((x) => x.severity === 'warning');
    expect(w?.message).toMatch(/generated quantities are not computed.*skew_normal_rng/);
    expect(w?.line).toBe(4);
    expect(m.model.prepare({}).paramNames).toEqual(['mu']);
  });
});

describe('log CDFs and CCDFs', () => {
  // scipy.stats: norm, logistic, cauchy, laplace, lognorm (scale = e^mu), expon (scale = 1 / rate) logcdf / logsf
  const CASES: readonly [string, string, number][] = [
    ['normal_lcdf', '0.7 | -0.3, 1.6', -0.30922653536945727],
    ['normal_lccdf', '0.7 | -0.3, 1.6', -1.3243133737528388],
    ['normal_lcdf', '-9.0 | 0.5, 1.0', -48.30601929896523],
    ['normal_lccdf', '-9.0 | 0.5, 1.0', -1.0494515075362604e-21],
    ['logistic_lcdf', '0.7 | -0.3, 1.6', -0.42870067827651864],
    ['logistic_lccdf', '0.7 | -0.3, 1.6', -1.0537006782765186],
    ['cauchy_lcdf', '0.7 | -0.3, 1.6', -0.38889168247399575],
    ['cauchy_lccdf', '0.7 | -0.3, 1.6', -1.1326066585837447],
    ['cauchy_lccdf', '1e4 | 0, 1', -10.355070261158916],
    ['double_exponential_lcdf', '0.7 | -0.3, 1.6', -0.3114704035159386],
    ['double_exponential_lccdf', '0.7 | -0.3, 1.6', -1.3181471805599452],
    ['double_exponential_lcdf', '-1.1 | -0.3, 1.6', -1.1931471805599454],
    ['double_exponential_lccdf', '-1.1 | -0.3, 1.6', -0.3613506148087591],
    ['lognormal_lcdf', '0.7 | -0.3, 1.6', -0.7218107127124438],
    ['lognormal_lccdf', '0.7 | -0.3, 1.6', -0.6652824044746327],
    ['exponential_lcdf', '0.7 | 2.5', -0.1908868666935469],
    ['exponential_lccdf', '0.7 | 2.5', -1.75],
    // scipy.stats.t(df, loc, scale).logcdf / .logsf
    ['student_t_lcdf', '0.7 | 3, -0.3, 1.6', -0.33987549485303675],
    ['student_t_lccdf', '0.7 | 3, -0.3, 1.6', -1.2443051525905544],
    ['student_t_lccdf', '50 | 2.5, 0, 1', -10.11045082776566],
    ['student_t_lcdf', '-30 | 4, 0, 1', -12.513568916063136],
    ['student_t_lcdf', '0.1 | 7.5, 0, 1', -0.6189355935516616],
    ['student_t_lccdf', '-2.2 | 1.5, 0.4, 2', -0.19725006932546393],
    ['student_t_lccdf', '0 | 3, 0, 36', -Math.LN2],
  ];

  it.each(CASES)('%s(%s) equals scipy', (fn, args, want) => {
    const m = compileOrThrow(`parameters { real x; } model { x ~ normal(0, 1); target += ${fn}(${args}); }`);
    const lp = m.logDensity(m.host({}), Float64Array.of(0)).lp;
    expect(Math.abs(lp - want)).toBeLessThan(1e-13 * Math.max(1, Math.abs(want)) + 1e-30);
  });

  it('student_t with a parameter nu is refused, naming it', () => {
    const r = compileStan(
      'parameters { real<lower=1> nu; } model { target += student_t_lccdf(1 | nu, 0, 1); }',
    );
    expect('diagnostics' in r && r.diagnostics[0]?.message).toMatch(
      /student_t_lccdf with a parameter-dependent nu/,
    );
  });

  it('vectorised over y and differentiated in every argument (finite differences)', () => {
    const m = compileOrThrow(readFileSync('test/stan/cdfs.stan', 'utf8'));
    const data = JSON.parse(readFileSync('test/stan/cdfs.json', 'utf8')) as StanData;
    const host = m.host(data);
    for (const z of randomPoints(5, 3, 1, 23)) {
      const { lp, grad } = m.logDensity(host, z);
      expect(Number.isFinite(lp)).toBe(true);
      const fd = finiteDifferenceGradient((p) => m.logDensity(host, p).lp, z, 1e-5);
      const gs = 1 + Math.max(...Array.from(grad, Math.abs));
      grad.forEach((g, i) => expect(Math.abs(g - (fd[i] as number))).toBeLessThan(2e-6 * gs));
    }
  });
});

describe('categorical and categorical_logit', () => {
  it('equal log theta[y] and beta[y] - log_sum_exp(beta) (scipy), summed over an int array', () => {
    const m = compileOrThrow(`data { vector[3] b; simplex[3] th; } parameters { real x; }
model {
  x ~ normal(0, 1);
  target += categorical_logit_lpmf({3, 1} | b) + categorical_lpmf(2 | th);
}`);
    const host = m.host({ b: [0.3, -1.2, 2.0], th: [0.2, 0.5, 0.3] });
    // b[3] - logsumexp(b) + b[1] - logsumexp(b), scipy.special.logsumexp; log 0.5
    const want = -0.20167124495279065 - 1.9016712449527906 + Math.log(0.5);
    expect(m.logDensity(host, Float64Array.of(0)).lp).toBeCloseTo(want, 12);
  });

  it('~ on a simplex parameter equals the explicit sum; on data it is dropped', () => {
    const data = { y: [2, 3, 3, 1] };
    const head = 'data { array[4] int y; } parameters { simplex[3] th; vector[3] b; }';
    const tilde = compileOrThrow(`${head} model { y ~ categorical(th); y ~ categorical_logit(b); }`);
    const loop = compileOrThrow(`${head} model {
  for (n in 1:4) target += log(th[y[n]]) + b[y[n]] - log_sum_exp(b);
}`);
    expectSameDensity(tilde, loop, data, 5, 29);
    const dropped = compileOrThrow(
      'data { array[2] int y; simplex[3] th; } parameters { real x; } model { y ~ categorical(th); }',
    );
    const h = dropped.host({ y: [1, 2], th: [0.2, 0.5, 0.3] });
    expect(dropped.logDensity(h, Float64Array.of(0.4)).lp).toBe(0);
  });
});
