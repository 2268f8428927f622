/**
 * The Stan back end's multivariate densities and constrained matrix types, in the float64 interpreter, against
 * independent float64 computations written here: the multivariate normal by an explicit inverse and
 * determinant (Gauss-Jordan), the transforms built by hand from the unconstrained vector, their log-Jacobians
 * as finite-difference log|det J|, and every gradient against central finite differences.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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

/** Inverse and determinant by Gauss-Jordan elimination with partial pivoting. */
function inverseAndDet(a: Mat): { inv: Mat; det: number } {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    if (p !== c) {
      [m[p], m[c]] = [m[c]!, m[p]!];
      det = -det;
    }
    const piv = m[c]![c]!;
    det *= piv;
    m[c] = m[c]!.map((v) => v / piv);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      m[r] = m[r]!.map((v, j) => v - f * m[c]![j]!);
    }
  }
  return { inv: m.map((row) => row.slice(n)), det };
}

const matmul = (a: Mat, b: Mat): Mat =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const transpose = (a: Mat): Mat => a[0]!.map((_, j) => a.map((row) => row[j]!));

/** log N(y | mu, Sigma) from the explicit inverse and determinant. */
function mvnLogpdf(y: readonly number[], mu: readonly number[], sigma: Mat): number {
  const { inv, det } = inverseAndDet(sigma);
  const d = y.map((v, i) => v - mu[i]!);
  const q = d.reduce((s, di, i) => s + di * d.reduce((t, dj, j) => t + inv[i]![j]! * dj, 0), 0);
  return -0.5 * q - 0.5 * Math.log(det) - 0.5 * y.length * Math.log(2 * Math.PI);
}

/** The quadratic form alone: what `~` keeps when Sigma is data. */
function mvnQuad(y: readonly number[], mu: readonly number[], sigma: Mat): number {
  return (
    mvnLogpdf(y, mu, sigma) +
    0.5 * Math.log(inverseAndDet(sigma).det) +
    0.5 * y.length * Math.log(2 * Math.PI)
  );
}

function expectGradientsMatch(m: CompiledStan, data: StanData, dim: number, seed: number): void {
  const host = m.host(data);
  expect(m.model.prepare(data).dimension).toBe(dim);
  for (const z of randomPoints(4, dim, 1, seed)) {
    const { lp, grad } = m.logDensity(host, z);
    expect(Number.isFinite(lp)).toBe(true);
    const fd = finiteDifferenceGradient((x) => m.logDensity(host, x).lp, z, 1e-5);
    const gs = 1 + Math.max(...Array.from(grad, Math.abs));
    grad.forEach((g, i) => expect(Math.abs(g - fd[i]!)).toBeLessThan(2e-6 * gs));
  }
}

const SIGMA: Mat = [
  [2, 0.5, 0.1],
  [0.5, 1, 0.2],
  [0.1, 0.2, 1.5],
];
const Y: Mat = [
  [1, 2, 3],
  [0.5, -1, 2],
];

describe('multi_normal and multi_normal_cholesky', () => {
  const data = { N: 2, y: Y, S: SIGMA };

  it('with a data covariance: target += is the full density, ~ keeps the quadratic form only', () => {
    const head = 'data { int N; array[N] vector[3] y; cov_matrix[3] S; } parameters { vector[3] mu; }';
    const full = compileOrThrow(`${head} model { target += multi_normal_lpdf(y | mu, S); }`);
    const tilde = compileOrThrow(`${head} model { y ~ multi_normal(mu, S); }`);
    const [hf, ht] = [full.host(data), tilde.host(data)];
    for (const z of randomPoints(4, 3, 1.5, 3)) {
      const mu = Array.from(z);
      const want = Y.reduce((s, y) => s + mvnLogpdf(y, mu, SIGMA), 0);
      expect(full.logDensity(hf, z).lp).toBeCloseTo(want, 11);
      expect(tilde.logDensity(ht, z).lp).toBeCloseTo(
        Y.reduce((s, y) => s + mvnQuad(y, mu, SIGMA), 0),
        11,
      );
    }
    expectGradientsMatch(full, data, 3, 4);
  });

  it('multi_normal_cholesky with a data factor equals multi_normal with L L^T (one y, an array of mu)', () => {
    const L: Mat = [
      [1.2, 0, 0],
      [0.3, 0.8, 0],
      [-0.4, 0.5, 1.1],
    ];
    const sigma = matmul(L, transpose(L));
    const m = compileOrThrow(`data { vector[3] y; matrix[3, 3] L; } parameters { array[2] vector[3] mu; }
model { target += multi_normal_cholesky_lpdf(y | mu, L); }`);
    const d = { y: [0.3, -0.2, 1], L };
    const host = m.host(d);
    for (const z of randomPoints(3, 6, 1.5, 5)) {
      const want =
        mvnLogpdf(d.y, Array.from(z.slice(0, 3)), sigma) + mvnLogpdf(d.y, Array.from(z.slice(3)), sigma);
      expect(m.logDensity(host, z).lp).toBeCloseTo(want, 11);
    }
    expectGradientsMatch(m, d, 6, 6);
  });

  it('with a parameter covariance (built by a user function): every term kept; ~ keeps the log-determinant', () => {
    const src = (stmt: string) => `functions {
  matrix cov2(vector s, real r) {
    matrix[2, 2] S;
    S[1, 1] = square(s[1]); S[2, 2] = square(s[2]);
    S[1, 2] = s[1] * s[2] * r; S[2, 1] = S[1, 2];
    return S;
  }
}
data { array[3] vector[2] y; }
parameters { vector<lower=0>[2] s; real<lower=-1, upper=1> r; vector[2] mu; }
model { ${stmt} }`;
    const full = compileOrThrow(src('target += multi_normal_lpdf(y | mu, cov2(s, r));'));
    const tilde = compileOrThrow(src('y ~ multi_normal(mu, cov2(s, r));'));
    const d = {
      y: [
        [0.2, 1],
        [-1, 0.4],
        [0.5, 0.5],
      ],
    };
    const [hf, ht] = [full.host(d), tilde.host(d)];
    for (const z of randomPoints(4, 5, 1, 8)) {
      // The constraining transforms by hand: s = exp(u), r = -1 + 2 inv_logit(u), with their log-Jacobians.
      const s = [Math.exp(z[0]!), Math.exp(z[1]!)];
      const il = 1 / (1 + Math.exp(-z[2]!));
      const r = -1 + 2 * il;
      const jac = z[0]! + z[1]! + Math.log(2 * il * (1 - il));
      const sigma: Mat = [
        [s[0]! ** 2, s[0]! * s[1]! * r],
        [s[0]! * s[1]! * r, s[1]! ** 2],
      ];
      const mu = [z[3]!, z[4]!];
      const want = d.y.reduce((acc, y) => acc + mvnLogpdf(y, mu, sigma), 0);
      expect(full.logDensity(hf, z).lp).toBeCloseTo(jac + want, 10);
      expect(tilde.logDensity(ht, z).lp).toBeCloseTo(jac + want + 3 * Math.log(2 * Math.PI), 10);
    }
    expectGradientsMatch(full, d, 5, 9);
  });

  it('all-data arguments under ~ are dropped whole; a data covariance that is not positive definite is refused', () => {
    const m = compileOrThrow(`data { vector[3] y; cov_matrix[3] S; } parameters { real x; }
model { y ~ multi_normal(y, S); x ~ normal(0, 1); }`);
    const host = m.host({ y: [1, 2, 3], S: SIGMA });
    expect(m.logDensity(host, Float64Array.from([0.5])).lp).toBeCloseTo(-0.125, 14);
    const bad = compileOrThrow(`data { vector[2] y; matrix[2, 2] S; } parameters { vector[2] mu; }
model { y ~ multi_normal(mu, S); }`);
    expect(() =>
      bad.host({
        y: [1, 2],
        S: [
          [1, 2],
          [2, 1],
        ],
      }),
    ).toThrow(/rejected/);
    // Sizes that differ (y of 3 against a 2 x 2 factor; arrays of 2 and 3 vectors) reject the point.
    const sizes = compileOrThrow(`data { int K; int M; array[2] vector[3] y; matrix[K, K] L; }
parameters { array[M] vector[3] mu; } model { y ~ multi_normal_cholesky(mu, L); }`);
    const L3 = [
      [1, 0, 0],
      [0.5, 1, 0],
      [0, 0, 1],
    ];
    const lpOf = (d: StanData, n: number) => sizes.logDensity(sizes.host(d), new Float64Array(n)).lp;
    expect(Number.isFinite(lpOf({ K: 3, M: 2, y: Y, L: L3 }, 6))).toBe(true);
    expect(
      lpOf(
        {
          K: 2,
          M: 2,
          y: Y,
          L: [
            [1, 0],
            [0, 1],
          ],
        },
        6,
      ),
    ).toBe(-Infinity);
    expect(lpOf({ K: 3, M: 3, y: Y, L: L3 }, 9)).toBe(-Infinity);
  });
});

/** The constrained matrix from its free coordinates, written here independently of the back end. */
function byHand(kind: string, z: readonly number[], K: number, N = K): Mat {
  const zeros = (r: number, c: number): Mat => Array.from({ length: r }, () => new Array<number>(c).fill(0));
  if (kind === 'cholesky_factor_corr' || kind === 'corr_matrix') {
    // CPCs: row-major over the strict lower triangle for the factor, column-major for the matrix (read_corr_L).
    const cpc = zeros(K, K);
    let p = 0;
    if (kind === 'cholesky_factor_corr') {
      for (let i = 1; i < K; i++) for (let j = 0; j < i; j++) cpc[i]![j] = Math.tanh(z[p++]!);
    } else {
      for (let j = 0; j < K; j++) for (let i = j + 1; i < K; i++) cpc[i]![j] = Math.tanh(z[p++]!);
    }
    // L[i, j] = cpc[i, j] * prod_{l<j} sqrt(1 - cpc[i, l]^2); the diagonal the remaining product.
    const L = zeros(K, K);
    for (let i = 0; i < K; i++) {
      let rest = 1;
      for (let j = 0; j < i; j++) {
        L[i]![j] = cpc[i]![j]! * Math.sqrt(rest);
        rest *= 1 - cpc[i]![j]! ** 2;
      }
      L[i]![i] = Math.sqrt(rest);
    }
    return kind === 'corr_matrix' ? matmul(L, transpose(L)) : L;
  }
  const L = zeros(K, N);
  let p = 0;
  for (let i = 0; i < K; i++)
    for (let j = 0; j <= Math.min(i, N - 1); j++) L[i]![j] = i === j ? Math.exp(z[p++]!) : z[p++]!;
  return kind === 'cov_matrix' ? matmul(L, transpose(L)) : L;
}

/** The free entries of a constrained matrix: what its Jacobian is taken with respect to. */
function freeEntries(kind: string, m: Mat): number[] {
  const out: number[] = [];
  m.forEach((row, i) =>
    row.forEach((v, j) => {
      if (kind === 'cholesky_factor_corr' || kind === 'corr_matrix' ? j < i : j <= i) out.push(v);
    }),
  );
  return out;
}

/** Column-major entries (Stan's output order). */
const colMajor = (m: Mat): number[] => transpose(m).flat();

const TYPES: readonly [string, string, number, number, number][] = [
  // [kind, declaration, rows, cols, free coordinates]
  ['cholesky_factor_corr', 'cholesky_factor_corr[2]', 2, 2, 1],
  ['cholesky_factor_corr', 'cholesky_factor_corr[3]', 3, 3, 3],
  ['cholesky_factor_corr', 'cholesky_factor_corr[4]', 4, 4, 6],
  ['corr_matrix', 'corr_matrix[2]', 2, 2, 1],
  ['corr_matrix', 'corr_matrix[3]', 3, 3, 3],
  ['corr_matrix', 'corr_matrix[4]', 4, 4, 6],
  ['cov_matrix', 'cov_matrix[2]', 2, 2, 3],
  ['cov_matrix', 'cov_matrix[3]', 3, 3, 6],
  ['cholesky_factor_cov', 'cholesky_factor_cov[3]', 3, 3, 6],
  ['cholesky_factor_cov', 'cholesky_factor_cov[4, 2]', 4, 2, 7],
];

describe('constrained matrix parameters', () => {
  it.each(TYPES)(
    '%s as %s: the matrix built by hand, log-Jacobian = finite-difference log|det J|',
    (kind, decl, R, C, free) => {
      const m = compileOrThrow(`parameters { ${decl} X; } model { }`);
      const host = m.host({});
      const prepared = m.model.prepare({});
      expect(prepared.dimension).toBe(free);
      const names: string[] = [];
      for (let j = 1; j <= C; j++) for (let i = 1; i <= R; i++) names.push(`X[${i},${j}]`);
      expect(prepared.paramNames).toEqual(names);
      for (const z of randomPoints(3, free, 1.5, 11 + free)) {
        const want = byHand(kind, Array.from(z), R, C);
        const got = m.reported(host, z);
        colMajor(want).forEach((v, k) => expect(got[k]).toBeCloseTo(v, 12));
        // J[a][b] = d free_a / d z_b by central differences.
        const h = 1e-6;
        const J: Mat = Array.from({ length: free }, () => new Array<number>(free).fill(0));
        for (let b = 0; b < free; b++) {
          const up = Array.from(z);
          const down = Array.from(z);
          up[b] = up[b]! + h;
          down[b] = down[b]! - h;
          const fu = freeEntries(kind, byHand(kind, up, R, C));
          const fd = freeEntries(kind, byHand(kind, down, R, C));
          for (let a = 0; a < free; a++) J[a]![b] = (fu[a]! - fd[a]!) / (2 * h);
        }
        const logDet = Math.log(Math.abs(inverseAndDet(J).det));
        expect(m.logDensity(host, z).lp).toBeCloseTo(logDet, 6);
      }
    },
  );

  it('K = 2 known answers: cholesky_factor_corr is [[1, 0], [w, sqrt(1 - w^2)]] with log(1 - w^2), w = tanh(z)', () => {
    const m = compileOrThrow('parameters { cholesky_factor_corr[2] L; } model { }');
    const host = m.host({});
    for (const u of [-2.5, -0.3, 0, 0.7, 4]) {
      const z = Float64Array.from([u]);
      const w = Math.tanh(u);
      expect(Array.from(m.reported(host, z))).toEqual([
        1,
        expect.closeTo(w, 14),
        0,
        expect.closeTo(Math.sqrt(1 - w * w), 14),
      ]);
      expect(m.logDensity(host, z).lp).toBeCloseTo(Math.log(1 - w * w), 12);
    }
  });

  it('arrays of them take consecutive blocks of z; gradients of a density of them = finite differences', () => {
    const arr = compileOrThrow(
      'parameters { array[2] cholesky_factor_corr[3] L; cov_matrix[2] S; } model { }',
    );
    const one = compileOrThrow('parameters { cholesky_factor_corr[3] L; } model { }');
    const [ha, ho] = [arr.host({}), one.host({})];
    for (const z of randomPoints(2, 9, 1, 31)) {
      const ra = arr.reported(ha, z);
      const first = one.reported(ho, z.slice(0, 3));
      const second = one.reported(ho, z.slice(3, 6));
      // Reported as Stan prints L[k, i, j]: the first index fastest.
      for (let e = 0; e < 9; e++) {
        expect(ra[2 * e]).toBeCloseTo(first[e]!, 14);
        expect(ra[2 * e + 1]).toBeCloseTo(second[e]!, 14);
      }
      expect(Array.from(ra.slice(18))).toEqual(
        colMajor(byHand('cov_matrix', Array.from(z.slice(6)), 2)).map((v) => expect.closeTo(v, 12)),
      );
    }
    const dens = compileOrThrow(`parameters { corr_matrix[3] O; cholesky_factor_cov[3] L; cov_matrix[3] S; }
model { to_vector(O) ~ normal(0, 1); to_vector(L) ~ normal(0, 2); to_vector(S) ~ normal(1, 3); }`);
    expectGradientsMatch(dens, {}, 15, 12);
  });
});

/** The trapezoid rule for f on [-a, a] with step h. */
function integrate(f: (x: number) => number, a = 14, h = 0.005): number {
  let s = 0;
  for (let x = -a; x <= a + 1e-12; x += h) s += f(x) * (Math.abs(Math.abs(x) - a) < 1e-9 ? 0.5 : 1);
  return s * h;
}

describe('lkj_corr_cholesky and lkj_corr', () => {
  it.each([0.7, 1, 2.5])(
    'K = 2, eta = %s: exp(log density) on z integrates to 1 (both, transforms included)',
    (eta) => {
      for (const [decl, dens] of [
        ['cholesky_factor_corr[2] L', 'lkj_corr_cholesky_lpdf(L | eta)'],
        ['corr_matrix[2] L', 'lkj_corr_lpdf(L | eta)'],
      ]) {
        const m = compileOrThrow(`data { real eta; } parameters { ${decl}; } model { target += ${dens}; }`);
        const host = m.host({ eta });
        expect(integrate((u) => Math.exp(m.logDensity(host, Float64Array.from([u])).lp))).toBeCloseTo(1, 6);
      }
    },
  );

  it('K = 3, eta = 1: lkj_corr is uniform, -log of the volume of the 3 x 3 correlation matrices (pi^2 / 2)', () => {
    const m = compileOrThrow(
      `data { corr_matrix[3] O; } parameters { real x; } model { target += lkj_corr_lpdf(O | 1); }`,
    );
    const O = byHand('corr_matrix', [0.3, -0.8, 0.5], 3);
    expect(m.logDensity(m.host({ O }), Float64Array.from([0])).lp).toBeCloseTo(
      -Math.log(Math.PI ** 2 / 2),
      12,
    );
  });

  it.each([3, 4])(
    'K = %i: lkj_corr(L L^T) + log|d Omega / d L| = lkj_corr_cholesky(L), and (eta - 1) log det',
    (K) => {
      const free = (K * (K - 1)) / 2;
      const head = `data { matrix[${K}, ${K}] X; real eta; } parameters { real x; }`;
      const chol = compileOrThrow(`${head} model { target += lkj_corr_cholesky_lpdf(X | eta); }`);
      const corr = compileOrThrow(`${head} model { target += lkj_corr_lpdf(X | eta); }`);
      const at = (m: CompiledStan, X: Mat, eta: number) =>
        m.logDensity(m.host({ X, eta }), Float64Array.from([0])).lp;
      for (const z of randomPoints(3, free, 1.2, 40 + K)) {
        const L = byHand('cholesky_factor_corr', Array.from(z), K);
        const O = matmul(L, transpose(L));
        // d (strict lower of L L^T) / d (strict lower of L), the diagonal of L following sqrt(1 - row sum).
        const lFree = freeEntries('cholesky_factor_corr', L);
        const build = (v: readonly number[]): Mat => {
          const M: Mat = Array.from({ length: K }, () => new Array<number>(K).fill(0));
          let p = 0;
          for (let i = 0; i < K; i++) {
            let ss = 0;
            for (let j = 0; j < i; j++) {
              M[i]![j] = v[p++]!;
              ss += M[i]![j]! ** 2;
            }
            M[i]![i] = Math.sqrt(1 - ss);
          }
          return M;
        };
        const J: Mat = Array.from({ length: free }, () => new Array<number>(free).fill(0));
        for (let b = 0; b < free; b++) {
          const up = [...lFree];
          const down = [...lFree];
          up[b] = up[b]! + 1e-6;
          down[b] = down[b]! - 1e-6;
          const fu = freeEntries('corr_matrix', matmul(build(up), transpose(build(up))));
          const fd = freeEntries('corr_matrix', matmul(build(down), transpose(build(down))));
          for (let a = 0; a < free; a++) J[a]![b] = (fu[a]! - fd[a]!) / 2e-6;
        }
        const logJ = Math.log(Math.abs(inverseAndDet(J).det));
        for (const eta of [0.8, 1, 3]) {
          expect(at(chol, L, eta)).toBeCloseTo(at(corr, O, eta) + logJ, 6);
          expect(at(corr, O, eta) - at(corr, O, 1)).toBeCloseTo(
            (eta - 1) * Math.log(inverseAndDet(O).det) +
              at(corr, byHand('corr_matrix', [0, 0, 0, 0, 0, 0], K), eta) -
              at(corr, byHand('corr_matrix', [0, 0, 0, 0, 0, 0], K), 1),
            10,
          );
        }
      }
    },
  );

  it('under ~ the constant goes with a data eta and stays with a parameter eta', () => {
    const src = (d: string, stmt: string) => `${d} model { ${stmt} }`;
    const data = 'data { real eta; } parameters { cholesky_factor_corr[3] L; }';
    const par = 'parameters { cholesky_factor_corr[3] L; real<lower=0> eta; }';
    const pairs: [CompiledStan, CompiledStan, StanData, number][] = [
      [
        compileOrThrow(src(data, 'L ~ lkj_corr_cholesky(eta);')),
        compileOrThrow(src(data, 'target += lkj_corr_cholesky_lpdf(L | eta);')),
        { eta: 2 },
        3,
      ],
      [
        compileOrThrow(src(par, 'L ~ lkj_corr_cholesky(eta);')),
        compileOrThrow(src(par, 'target += lkj_corr_cholesky_lpdf(L | eta);')),
        {},
        4,
      ],
    ];
    const [K, eta] = [3, 2];
    const constant =
      (K - 1) * lgammaRef(eta + (K - 1) / 2) -
      [1, 2].reduce((s, k) => s + (k / 2) * Math.log(Math.PI) + lgammaRef(eta + (K - 1 - k) / 2), 0);
    pairs.forEach(([tilde, full, d, dim], p) => {
      const [ht, hf] = [tilde.host(d), full.host(d)];
      for (const z of randomPoints(3, dim, 1, 50)) {
        const diff = full.logDensity(hf, z).lp - tilde.logDensity(ht, z).lp;
        expect(diff).toBeCloseTo(p === 0 ? constant : 0, 10);
      }
      expectGradientsMatch(tilde, d, dim, 51);
    });
  });
});

/** lgamma for the half-integers and small reals used here (Lanczos, float64). */
function lgammaRef(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgammaRef(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

describe('matrix functions and a hierarchical prior (as in sat-hier_2pl)', () => {
  it('diag_pre/post_multiply, quad_form_diag, multiply_lower_tri_self_transpose, cholesky_decompose = by hand', () => {
    const m = compileOrThrow(`data { vector[3] v; matrix[3, 3] M; matrix[3, 2] B; cov_matrix[3] S; }
parameters { real x; } model { x ~ normal(0, 1); }
generated quantities {
  matrix[3, 3] pre = diag_pre_multiply(v, M);
  matrix[3, 3] post = diag_post_multiply(M, v);
  matrix[3, 3] qfd = quad_form_diag(M, v);
  matrix[3, 3] lts = multiply_lower_tri_self_transpose(B);
  matrix[3, 3] ch = cholesky_decompose(S);
}`);
    const v = [0.5, -2, 1.5];
    const M: Mat = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 10],
    ];
    const B: Mat = [
      [1.5, 9],
      [0.5, 2],
      [-1, 0.25],
    ];
    const r = m.reported(m.host({ v, M, B, S: SIGMA }), Float64Array.from([0]));
    const D = (w: number[]): Mat => w.map((wi, i) => w.map((_, j) => (i === j ? wi : 0)));
    const Bl = B.map((row, i) => row.map((x, j) => (j <= i ? x : 0)));
    // The Cholesky factor of SIGMA: its L L^T is SIGMA and it is lower triangular with a positive diagonal.
    const want = [
      matmul(D(v), M),
      matmul(M, D(v)),
      matmul(matmul(D(v), M), D(v)),
      matmul(Bl, transpose(Bl)),
    ].flatMap(colMajor);
    want.forEach((w, k) => expect(r[1 + k]).toBeCloseTo(w, 12));
    const ch = Array.from(r.slice(1 + 36));
    const Lc: Mat = [0, 1, 2].map((i) => [0, 1, 2].map((j) => ch[j * 3 + i]!));
    Lc.forEach((row, i) =>
      row.forEach((x, j) => (j > i ? expect(x).toBe(0) : j === i ? expect(x).toBeGreaterThan(0) : 0)),
    );
    matmul(Lc, transpose(Lc)).forEach((row, i) =>
      row.forEach((x, j) => expect(x).toBeCloseTo(SIGMA[i]![j]!, 12)),
    );
  });

  it('cholesky_decompose in transformed data (on the host) feeds multi_normal_cholesky = multi_normal', () => {
    const a = compileOrThrow(`data { array[2] vector[3] y; cov_matrix[3] S; }
transformed data { matrix[3, 3] L = cholesky_decompose(S); }
parameters { vector[3] mu; } model { target += multi_normal_cholesky_lpdf(y | mu, L); }`);
    const d = { y: Y, S: SIGMA };
    const host = a.host(d);
    for (const z of randomPoints(3, 3, 1, 70))
      expect(a.logDensity(host, z).lp).toBeCloseTo(
        Y.reduce((s, y) => s + mvnLogpdf(y, Array.from(z), SIGMA), 0),
        11,
      );
  });

  it('multi_normal_cholesky(xi | mu, diag_pre_multiply(tau, L_Omega)) = multi_normal with diag(tau) Omega diag(tau)', () => {
    const m = compileOrThrow(`data { array[4] vector[3] xi; }
parameters { vector[3] mu; vector<lower=0>[3] tau; cholesky_factor_corr[3] L_Omega; }
model {
  matrix[3, 3] L_Sigma = diag_pre_multiply(tau, L_Omega);
  for (i in 1:4) target += multi_normal_cholesky_lpdf(xi[i] | mu, L_Sigma);
  target += lkj_corr_cholesky_lpdf(L_Omega | 4);
}`);
    const xi: Mat = [
      [0.1, 0.5, -1],
      [1, 1.5, 0.2],
      [-0.4, 0, 0.3],
      [0.8, -0.6, 1.1],
    ];
    const host = m.host({ xi });
    const other = compileOrThrow(
      `parameters { cholesky_factor_corr[3] L_Omega; } model { target += lkj_corr_cholesky_lpdf(L_Omega | 4); }`,
    );
    const ho = other.host({});
    for (const z of randomPoints(4, 9, 1, 60)) {
      const mu = Array.from(z.slice(0, 3));
      const tau = Array.from(z.slice(3, 6), Math.exp);
      const L = byHand('cholesky_factor_corr', Array.from(z.slice(6)), 3);
      const Om = matmul(L, transpose(L));
      const sigma = Om.map((row, i) => row.map((x, j) => tau[i]! * x * tau[j]!));
      const want = xi.reduce((s, y) => s + mvnLogpdf(y, mu, sigma), 0) + z[3]! + z[4]! + z[5]!;
      // The L_Omega part (its transform and lkj) is the same program's, checked above.
      expect(m.logDensity(host, z).lp).toBeCloseTo(want + other.logDensity(ho, z.slice(6)).lp, 10);
    }
    expectGradientsMatch(m, { xi }, 9, 61);
  });

  it('the posteriordb dogs_nonhierarchical (cholesky_factor_corr, lkj, diag_pre_multiply, quad_form_diag) compiles; gradient = finite differences', () => {
    const dir = 'test/stan/posteriordb-models/dogs-dogs_nonhierarchical';
    const m = compileOrThrow(readFileSync(`${dir}/model.stan`, 'utf8'));
    const data = JSON.parse(readFileSync(`${dir}/data.json`, 'utf8')) as StanData;
    expectGradientsMatch(m, data, 65, 62);
  });
});
