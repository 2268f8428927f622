/**
 * Which locals the WGSL need not store (src/stan/unstored.ts): copies of z, and locals defined once, element by
 * element, or scalars once in few operations, from values that never change. Storing is the safe side; these cases must be stored: a second
 * assignment, a value that reads itself or a local still changing, and a draw (each evaluation advances the stream).
 * The numbers (recomputed reads give the stored values and gradients) are checked on the GPU against the float64
 * interpreter in test/gpu/stan-compiled.test.ts (the radon cases).
 */
import { describe, expect, it } from 'vitest';
import { compileStan } from '../../src/stan/compile';
import { unstoredLocals } from '../../src/stan/unstored';

function unstoredNames(source: string): string[] {
  const r = compileStan(source, { name: 'test' });
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
  const { program } = r;
  const unstored = unstoredLocals(program);
  return program.locals.filter((l) => unstored.has(l.id)).map((l) => l.name);
}

const DATA = 'data { int N; vector[N] x; vector[N] y; array[N] int<lower=1, upper=N> g; }';

describe('unstored locals', () => {
  it('an unconstrained parameter is a copy of z; a bounded one is recomputed, scalar or vector', () => {
    const names = unstoredNames(
      `${DATA} parameters { vector[N] a; matrix[2, 3] m; real<lower=0> s; vector<lower=0>[N] v; } model { }`,
    );
    expect(names).toEqual(['a', 'm', 's', 'v']);
  });

  it('a scalar is recomputed only when assigned once, unconditionally, from few operations', () => {
    const names = unstoredNames(
      `${DATA} parameters { real a; }
      model {
        real cheap = exp(a) + 1;
        real summed = sum(x) * a;
        real branch;
        real twice = a;
        if (a > 0) branch = a; else branch = -a;
        twice = twice * 2;
        target += cheap + summed + branch + twice;
      }`,
    );
    expect(names).toEqual(['a', 'cheap']);
  });

  it('an element assigned in a branch of its loop is stored', () => {
    const names = unstoredNames(
      `${DATA} parameters { vector[N] a; }
      model { vector[N] mu; for (n in 1:N) { if (x[n] > 0) mu[n] = a[n]; } y ~ normal(mu, 1); }`,
    );
    expect(names).not.toContain('mu');
  });

  it('a linear predictor assigned once is recomputed, also through a stored settled local', () => {
    const names = unstoredNames(
      `${DATA} parameters { vector[N] a; real b; real<lower=0> s; }
      transformed parameters { vector[N] t = s * a; }
      model { vector[N] mu; for (n in 1:N) mu[n] = t[g[n]] + b * x[n]; y ~ normal(mu, s); }`,
    );
    expect(names).toEqual(expect.arrayContaining(['a', 'b', 't', 'mu']));
  });

  it('a second assignment, a value reading itself, a changing local and a draw are stored', () => {
    const names = unstoredNames(
      `${DATA} parameters { vector[N] a; }
      model {
        vector[N] twice = a; vector[N] cum; vector[N] late; real r;
        twice[1] = 0;
        cum[1] = a[1];
        for (n in 2:N) cum[n] = cum[n - 1] + a[n];
        for (n in 1:N) { r = a[n] * 2; late[n] = r + 1; }
        y ~ normal(twice + cum + late, 1);
      }
      generated quantities { vector[N] draw; for (n in 1:N) draw[n] = normal_rng(a[n], 1); }`,
    );
    expect(names).toEqual(['a']);
  });
});
