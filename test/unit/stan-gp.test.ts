/**
 * Gaussian-process kernels and symmetric eigendecompositions in the Stan back end, in the float64 interpreter,
 * against float64 formulas written here: gp_exp_quad_cov (one- and two-set, reals and vectors, cov_exp_quad)
 * element by element, its gradient in alpha and rho against central finite differences, posteriordb's
 * gp_pois_regr against its log density computed here (Cholesky by hand); eigenvalues_sym / eigenvectors_sym
 * (src/math/eigen.ts, on the host) by their defining properties (A v = lambda v, orthonormal, ascending, trace)
 * and a 2 x 2 closed form; the refusal of a parameter-dependent matrix.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../src/math/eigen';
import type { StanData } from '../../src/models/data';
import { compileStan, type CompiledStan } from '../../src/stan/compile';
import { randomPoints } from '../gpu/model-check';
import { finiteDifferenceGradient } from '../reference/models';

type Mat = number[][];

function compileOrThrow(source: string): CompiledStan {
  const r = compileStan(source, { name: 'test' });
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
  return r;
}

/** Stan's reported order of a matrix: column-major. */
const colMajor = (m: Mat): number[] => m[0]!.map((_, j) => m.map((row) => row[j]!)).flat();

/** alpha^2 exp(-|a - b|^2 / (2 rho^2)), the squared distance summed here. */
function kernel(a: readonly number[], b: readonly number[], alpha: number, rho: number): number {
  const d2 = a.reduce((s, ai, k) => s + (ai - b[k]!) ** 2, 0);
  return alpha * alpha * Math.exp(-d2 / (2 * rho * rho));
}

const gram = (xs: readonly number[][], ys: readonly number[][], alpha: number, rho: number): Mat =>
  xs.map((a) => ys.map((b) => kernel(a, b, alpha, rho)));

const X1 = [-1.5, 0.25, 0.5, 2];
const X2 = [0, 1.25, -3];
const V1 = [
  [0.5, -1],
  [1, 0.25],
  [2, 2],
];
const V2 = [
  [0, 0],
  [-0.5, 1.5],
];

describe('gp_exp_quad_cov', () => {
  it('equals alpha^2 exp(-d^2 / (2 rho^2)) for reals and vectors, one and two sets, and cov_exp_quad', () => {
    const m =
      compileOrThrow(`data { array[4] real x1; array[3] real x2; array[3] vector[2] v1; array[2] vector[2] v2; }
parameters { real<lower=0> alpha; real<lower=0> rho; }
model { alpha ~ normal(0, 1); rho ~ normal(0, 1); }
generated quantities {
  matrix[4, 4] k1 = gp_exp_quad_cov(x1, alpha, rho);
  matrix[4, 3] k2 = gp_exp_quad_cov(x1, x2, alpha, rho);
  matrix[3, 3] k3 = gp_exp_quad_cov(v1, alpha, rho);
  matrix[3, 2] k4 = gp_exp_quad_cov(v1, v2, alpha, rho);
  matrix[4, 4] k5 = cov_exp_quad(x1, alpha, rho);
}`);
    const host = m.host({ x1: X1, x2: X2, v1: V1, v2: V2 });
    const [alpha, rho] = [1.7, 0.8];
    const r = m.reported(host, Float64Array.from([Math.log(alpha), Math.log(rho)]));
    expect(r[0]).toBeCloseTo(alpha, 14);
    const s = X1.map((x) => [x]);
    const want = [
      gram(s, s, alpha, rho),
      gram(
        s,
        X2.map((x) => [x]),
        alpha,
        rho,
      ),
      gram(V1, V1, alpha, rho),
      gram(V1, V2, alpha, rho),
      gram(s, s, alpha, rho),
    ].flatMap(colMajor);
    expect(r.length).toBe(2 + want.length);
    want.forEach((w, k) => expect(r[2 + k]).toBeCloseTo(w, 13));
    // The diagonal of a one-set kernel is alpha^2 exactly (distance 0).
    expect(r[2]).toBe(alpha * alpha);
  });

  it('its gradient in alpha and rho (parameters, through a weighted sum) = finite differences', () => {
    const m = compileOrThrow(`data { array[3] vector[2] v; matrix[3, 3] W; array[4] real x; }
parameters { real alpha; real rho; }
model {
  target += sum(gp_exp_quad_cov(v, alpha, rho) .* W);
  target += sum(gp_exp_quad_cov(x, alpha, rho + 1));
}`);
    const W = [
      [0.5, -1, 2],
      [0.3, 1, -0.7],
      [1.1, 0.2, -2],
    ];
    const host = m.host({ v: V1, W, x: X1 });
    const s = X1.map((x) => [x]);
    for (const z of randomPoints(4, 2, 1.5, 81)) {
      const [alpha, rho] = [z[0]!, z[1]!];
      const want =
        gram(V1, V1, alpha, rho).reduce((t, row, i) => t + row.reduce((u, k, j) => u + k * W[i]![j]!, 0), 0) +
        gram(s, s, alpha, rho + 1)
          .flat()
          .reduce((a, b) => a + b, 0);
      const { lp, grad } = m.logDensity(host, z);
      expect(lp).toBeCloseTo(want, 11);
      const fd = finiteDifferenceGradient((w) => m.logDensity(host, w).lp, z, 1e-5);
      grad.forEach((g, i) => expect(Math.abs(g - fd[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(g))));
    }
  });

  it('two sets of vectors of different lengths reject (Stan throws)', () => {
    const m = compileOrThrow(`data { int d; array[2] vector[2] a; array[2] vector[d] b; }
parameters { real<lower=0> rho; }
model { target += sum(gp_exp_quad_cov(a, b, 1.0, rho)); }`);
    const z = Float64Array.from([0]);
    expect(m.logDensity(m.host({ d: 2, a: V2, b: V2 }), z).lp).toBeCloseTo(
      gram(V2, V2, 1, 1)
        .flat()
        .reduce((a, b) => a + b, 0),
      13,
    );
    expect(
      m.logDensity(
        m.host({
          d: 3,
          a: V2,
          b: [
            [0, 0, 1],
            [1, 1, 1],
          ],
        }),
        z,
      ).lp,
    ).toBe(-Infinity);
  });

  it('posteriordb gp_pois_regr (kernel + diag_matrix, cholesky_decompose, L * f_tilde) = its density by hand', () => {
    const dir = 'test/stan/posteriordb/gp_pois_regr-gp_pois_regr';
    const m = compileOrThrow(readFileSync(`${dir}/model.stan`, 'utf8'));
    const data = JSON.parse(readFileSync(`${dir}/data.json`, 'utf8')) as {
      N: number;
      x: number[];
      k: number[];
    };
    const host = m.host(data as unknown as StanData);
    const N = data.N;
    expect(m.model.prepare(data as unknown as StanData).dimension).toBe(N + 2);
    // The log density up to a constant (what `~` keeps), with the log-Jacobians of rho and alpha.
    const byHand = (z: Float64Array): number => {
      const [rho, alpha] = [Math.exp(z[0]!), Math.exp(z[1]!)];
      const ft = Array.from(z.slice(2));
      const pts = data.x.map((x) => [x]);
      const K = gram(pts, pts, alpha, rho).map((row, i) => row.map((v, j) => v + (i === j ? 1e-10 : 0)));
      const L: Mat = K.map(() => new Array<number>(N).fill(0));
      for (let i = 0; i < N; i++)
        for (let j = 0; j <= i; j++) {
          let s = K[i]![j]!;
          for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
          L[i]![j] = i === j ? Math.sqrt(s) : s / L[j]![j]!;
        }
      const f = L.map((row) => row.reduce((s, l, j) => s + l * ft[j]!, 0));
      return (
        z[0]! +
        z[1]! +
        (24 * Math.log(rho) - 4 * rho) -
        (alpha * alpha) / 8 -
        ft.reduce((s, v) => s + v * v, 0) / 2 +
        f.reduce((s, fi, i) => s + data.k[i]! * fi - Math.exp(fi), 0)
      );
    };
    const points = randomPoints(4, N + 2, 0.5, 91);
    const base = m.logDensity(host, points[0]!).lp - byHand(points[0]!);
    for (const z of points) {
      const { lp, grad } = m.logDensity(host, z);
      expect(lp - byHand(z)).toBeCloseTo(base, 8);
      const fd = finiteDifferenceGradient((w) => m.logDensity(host, w).lp, z, 1e-5);
      const gs = 1 + Math.max(...Array.from(grad, Math.abs));
      grad.forEach((g, i) => expect(Math.abs(g - fd[i]!)).toBeLessThan(2e-6 * gs));
    }
    // f is reported after rho and alpha (f_tilde is a parameter, reported too: rho, alpha, f_tilde, f).
    const names = m.model.prepare(data as unknown as StanData).paramNames;
    expect(names.slice(0, 3)).toEqual(['rho', 'alpha', 'f_tilde[1]']);
    expect(names.at(-1)).toBe(`f[${N}]`);
  });

  it('dims (as mcycle_gp uses it: dims(x)[1] of an array of vectors) is the shape', () => {
    const m = compileOrThrow(`data { array[2] matrix[3, 4] a; array[5] vector[2] v; }
parameters { real x; } model { x ~ normal(0, 1); }
generated quantities { array[3] int d = dims(a); int nb = dims(v)[1]; int dd = dims(v)[2]; int n = size(dims(x)); }`);
    const a = [0, 1].map(() => [0, 1, 2].map(() => [1, 2, 3, 4]));
    const v = [0, 1, 2, 3, 4].map((i) => [i, -i]);
    const r = m.reported(m.host({ a, v }), Float64Array.from([0.5]));
    expect(Array.from(r.slice(1))).toEqual([2, 3, 4, 5, 2, 0]);
  });

  it('diag_matrix, identity_matrix, diagonal and add_diag = by hand', () => {
    const m = compileOrThrow(`data { vector[3] v; matrix[3, 3] M; }
parameters { real x; } model { x ~ normal(0, 1); }
generated quantities {
  matrix[3, 3] d = diag_matrix(v);
  matrix[3, 3] i = identity_matrix(3);
  vector[3] g = diagonal(M);
  matrix[3, 3] a = add_diag(M, 0.5);
  matrix[3, 3] b = add_diag(M, v);
}`);
    const v = [0.5, -2, 1.5];
    const M = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 10],
    ];
    const r = m.reported(m.host({ v, M }), Float64Array.from([0]));
    const diag = (f: (i: number) => number): Mat =>
      [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? f(i) : 0)));
    const want = [
      ...colMajor(diag((i) => v[i]!)),
      ...colMajor(diag(() => 1)),
      1,
      5,
      10,
      ...colMajor(M.map((row, i) => row.map((x, j) => x + (i === j ? 0.5 : 0)))),
      ...colMajor(M.map((row, i) => row.map((x, j) => x + (i === j ? v[i]! : 0)))),
    ];
    expect(Array.from(r.slice(1))).toEqual(want);
  });
});

describe('weibull (the length-scale prior of posteriordb hierarchical_gp)', () => {
  it('weibull_lpdf = scipy.stats.weibull_min.logpdf; its gradient = finite differences; ~ drops the data terms', () => {
    // scipy 1.17: weibull_min.logpdf(y, alpha, scale=sigma).
    const SCIPY: readonly [number, number, number, number][] = [
      [0.7, 1.5, 2.0, -1.0196559271096064],
      [3.2, 0.8, 1.1, -2.8816862443219735],
      [1.0, 5.0, 0.9, 0.442731709880203],
      [30.0, 30.0, 29.0, -1.747969805571771],
    ];
    const m = compileOrThrow(`data { real y0; real a0; real s0; }
parameters { real<lower=0> y; real<lower=0> a; real<lower=0> s; }
model { target += weibull_lpdf(y | a, s); }
generated quantities { real at_data = weibull_lpdf(y0 | a0, s0); }`);
    for (const [y, a, s, want] of SCIPY) {
      const host = m.host({ y0: y, a0: a, s0: s });
      const z = Float64Array.from([y, a, s].map(Math.log));
      // The log density on z: the lpdf plus the three log-Jacobians.
      expect(m.logDensity(host, z).lp).toBeCloseTo(want + z[0]! + z[1]! + z[2]!, 12);
      expect(m.reported(host, z)[3]).toBeCloseTo(want, 12);
    }
    const host = m.host({ y0: 1, a0: 1, s0: 1 });
    for (const z of randomPoints(4, 3, 1, 7)) {
      const { grad } = m.logDensity(host, z);
      const fd = finiteDifferenceGradient((w) => m.logDensity(host, w).lp, z, 1e-5);
      grad.forEach((g, i) => expect(Math.abs(g - fd[i]!)).toBeLessThan(1e-6 * (1 + Math.abs(g))));
    }
    // y ~ weibull(a, s) with data a and s keeps (a - 1) log y - (y / s)^a only.
    const tilde = compileOrThrow(`parameters { real<lower=0> y; } model { y ~ weibull(1.5, 2); }`);
    const y = 0.7;
    const lp = tilde.logDensity(tilde.host({}), Float64Array.from([Math.log(y)])).lp;
    expect(lp).toBeCloseTo(0.5 * Math.log(y) - (y / 2) ** 1.5 + Math.log(y), 13);
  });
});

/** Checks the defining properties of an eigendecomposition of the symmetric A. */
function expectEigen(
  A: Mat,
  values: ArrayLike<number>,
  vectors: (i: number, k: number) => number,
  tol: number,
) {
  const n = A.length;
  const scale = Math.max(1, ...A.flat().map(Math.abs));
  for (let k = 0; k < n; k++) {
    if (k > 0) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
    for (let i = 0; i < n; i++) {
      const Av = A[i]!.reduce((s, a, j) => s + a * vectors(j, k), 0);
      expect(Math.abs(Av - values[k]! * vectors(i, k))).toBeLessThan(tol * scale);
    }
    for (let l = 0; l < n; l++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors(i, k) * vectors(i, l);
      expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(tol);
    }
  }
  const trace = A.reduce((s, row, i) => s + row[i]!, 0);
  expect(Array.from(values).reduce((a, b) => a + b, 0)).toBeCloseTo(trace, 10);
}

describe('eigenvalues_sym and eigenvectors_sym', () => {
  it('symmetricEigen: A v = lambda v, orthonormal, ascending, for random, repeated and diagonal matrices', () => {
    let state = 12345;
    const u = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 4294967296 - 0.5;
    };
    for (const n of [1, 2, 5, 12]) {
      const B: Mat = Array.from({ length: n }, () => Array.from({ length: n }, u));
      const A = B.map((row, i) => row.map((_, j) => B[i]![j]! + B[j]![i]!));
      const { values, vectors } = symmetricEigen(A.flat(), n);
      expectEigen(A, values, (i, k) => vectors[i * n + k]!, 1e-12);
    }
    // A repeated eigenvalue: I + 2 e e^T / 3 (e = ones) has eigenvalues 1, 1, 3.
    const R: Mat = [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? 1 : 0) + 2 / 3));
    const r = symmetricEigen(R.flat(), 3);
    expectEigen(R, r.values, (i, k) => r.vectors[i * 3 + k]!, 1e-12);
    Array.from(r.values).forEach((v, k) => expect(v).toBeCloseTo([1, 1, 3][k]!, 13));
    // Already diagonal, unsorted: the values sorted, the vectors the permuted unit vectors.
    const d = symmetricEigen([3, 0, 0, 0, -1, 0, 0, 0, 2], 3);
    expect(Array.from(d.values)).toEqual([-1, 2, 3]);
    expect(Array.from(d.vectors).map(Math.abs)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it('of transformed data and of data in the model, on the host: a 2 x 2 closed form and a 4 x 4', () => {
    const m = compileOrThrow(`data { matrix[2, 2] A; matrix[4, 4] B; }
transformed data {
  vector[2] lam = eigenvalues_sym(A);
  matrix[2, 2] Q = eigenvectors_sym(A);
}
parameters { real x; }
model { x ~ normal(sum(eigenvalues_sym(B)), 1); }
generated quantities {
  vector[2] l2 = lam;
  matrix[2, 2] q2 = Q;
  vector[4] l4 = eigenvalues_sym(B);
  matrix[4, 4] q4 = eigenvectors_sym(B);
}`);
    const [a, b, c] = [2, -1.5, 0.5];
    const A = [
      [a, b],
      [b, c],
    ];
    const B = [
      [4, 1, 0.5, 0],
      [1, 3, -1, 0.2],
      [0.5, -1, 2, 1],
      [0, 0.2, 1, 1],
    ];
    const host = m.host({ A, B });
    const r = m.reported(host, Float64Array.from([0.3]));
    // [[a, b], [b, c]]: (a + c) / 2 -+ sqrt(((a - c) / 2)^2 + b^2), eigenvector of l (b, l - a) normalised.
    const h = Math.sqrt(((a - c) / 2) ** 2 + b * b);
    const lam = [(a + c) / 2 - h, (a + c) / 2 + h];
    expect(r[1]).toBeCloseTo(lam[0]!, 14);
    expect(r[2]).toBeCloseTo(lam[1]!, 14);
    const q = (i: number, k: number) => r[3 + k * 2 + i]!;
    for (let k = 0; k < 2; k++) {
      const w = [b, lam[k]! - a];
      const nw = Math.hypot(w[0]!, w[1]!);
      const sign = Math.sign(q(0, k) * w[0]! + q(1, k) * w[1]!);
      expect(q(0, k)).toBeCloseTo((sign * w[0]!) / nw, 14);
      expect(q(1, k)).toBeCloseTo((sign * w[1]!) / nw, 14);
    }
    const l4 = Array.from(r.slice(7, 11));
    expectEigen(B, l4, (i, k) => r[11 + k * 4 + i]!, 1e-12);
    // The model's sum of B's eigenvalues is its trace, 10: lp = -(x - 10)^2 / 2.
    const z = Float64Array.from([0.3]);
    expect(m.logDensity(host, z).lp).toBeCloseTo(-((0.3 - 10) ** 2) / 2, 12);
  });

  it('of a matrix that is not symmetric: prepare throws, as Stan does', () => {
    const m = compileOrThrow(`data { matrix[2, 2] A; } transformed data { vector[2] l = eigenvalues_sym(A); }
parameters { real x; } model { x ~ normal(l[1], 1); }`);
    expect(() =>
      m.host({
        A: [
          [1, 2],
          [0, 1],
        ],
      }),
    ).toThrow(/not symmetric/);
  });

  it('of a parameter-dependent matrix: refused with the function and its line', () => {
    for (const fn of ['eigenvalues_sym', 'eigenvectors_sym']) {
      const r = compileStan(
        `parameters { real<lower=0> s; }
transformed parameters {
  matrix[2, 2] S = [[s, 0.5], [0.5, s]];
  matrix[2, 2] E = rep_matrix(0, 2, 2);
  E[1, 1] = sum(${fn}(S));
}
model { s ~ lognormal(0, 1); }`,
        { name: 'test' },
      );
      expect('diagnostics' in r).toBe(true);
      if (!('diagnostics' in r)) return;
      expect(r.diagnostics[0]?.line).toBe(5);
      expect(r.diagnostics[0]?.message).toBe(
        `${fn} of a parameter-dependent matrix is not supported (only of data and transformed data, computed once on the host)`,
      );
    }
  });
});
