/**
 * The `_rng` functions of generated quantities, float64 side (src/stan/rng.ts): its Philox matches Random123's
 * known answers and the BigInt reference, and each family's draws have the family's exact mean and variance
 * (within 5 standard errors over 20,000 independent streams); a compiled program's generated quantities draw
 * them. The WGSL twin is checked against this one draw by draw in test/gpu/stan-compiled.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileStan } from '../../src/stan/compile';
import { lgamma } from '../../src/math/special';
import { philox4x32, StanRng } from '../../src/stan/rng';
import { philox4x32_10 } from '../reference/philox';

const STREAMS = 20_000;

function draws(family: string, args: readonly number[]): number[] {
  return Array.from({ length: STREAMS }, (_, i) => new StanRng([i * 0.001, -i]).draw(family, args));
}

function moments(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** Checks the mean (5 standard errors) and the variance (10 %) against the exact values. */
function expectMoments(xs: readonly number[], mean: number, variance: number): void {
  const m = moments(xs);
  expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / xs.length));
  expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.1);
}

describe('Stan rng, float64 (src/stan/rng.ts)', () => {
  it('Philox4x32-10 gives Random123 known answers and agrees with the BigInt reference', () => {
    expect(philox4x32([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
    for (let i = 0; i < 50; i++) {
      const counter = [i * 2654435761, ~i, i << 20, 0xffffffff - i].map((x) => x >>> 0);
      const key = [(i * 40503) >>> 0, (i * 0x9e3779b9) >>> 0];
      expect(philox4x32(counter, key)).toEqual(philox4x32_10(counter, key));
    }
  });

  it('continuous families: normal, std_normal, lognormal, uniform, exponential', () => {
    expectMoments(draws('normal', [1.5, 2]), 1.5, 4);
    expectMoments(draws('std_normal', []), 0, 1);
    const [mu, s] = [0.2, 0.5];
    expectMoments(
      draws('lognormal', [mu, s]),
      Math.exp(mu + (s * s) / 2),
      (Math.exp(s * s) - 1) * Math.exp(2 * mu + s * s),
    );
    expectMoments(draws('uniform', [-1, 3]), 1, 16 / 12);
    expectMoments(draws('exponential', [2]), 0.5, 0.25);
  });

  it('discrete families: bernoulli(_logit), binomial, poisson(_log) on both sides of the algorithm switch', () => {
    expectMoments(draws('bernoulli', [0.3]), 0.3, 0.21);
    const p = 1 / (1 + Math.exp(0.7));
    expectMoments(draws('bernoulli_logit', [-0.7]), p, p * (1 - p));
    expectMoments(draws('binomial', [20, 0.25]), 5, 3.75);
    for (const lambda of [0.5, 3.5, 9.9, 10, 40, 1000])
      expectMoments(draws('poisson', [lambda]), lambda, lambda);
    expectMoments(draws('poisson_log', [Math.log(25)]), 25, 25);
    expect(draws('poisson', [40]).every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
  });

  it('inverse-CDF families: logistic, double_exponential, weibull, frechet, gumbel, rayleigh, pareto(_type_2), exp_mod_normal; cauchy by its quartiles', () => {
    const [mu, s] = [0.7, 1.3];
    expectMoments(draws('logistic', [mu, s]), mu, (s * s * Math.PI ** 2) / 3);
    expectMoments(draws('double_exponential', [mu, s]), mu, 2 * s * s);
    const g = (x: number) => Math.exp(lgamma(x));
    expectMoments(
      draws('weibull', [1.5, s]),
      s * g(1 + 1 / 1.5),
      s * s * (g(1 + 2 / 1.5) - g(1 + 1 / 1.5) ** 2),
    );
    expectMoments(draws('frechet', [6, s]), s * g(1 - 1 / 6), s * s * (g(1 - 2 / 6) - g(1 - 1 / 6) ** 2));
    expectMoments(draws('gumbel', [mu, s]), mu + s * 0.5772156649015329, (Math.PI ** 2 * s * s) / 6);
    expectMoments(draws('rayleigh', [s]), s * Math.sqrt(Math.PI / 2), ((4 - Math.PI) / 2) * s * s);
    expectMoments(draws('pareto', [s, 6]), (6 * s) / 5, (s * s * 6) / (25 * 4));
    expectMoments(draws('pareto_type_2', [mu, s, 6]), mu + s / 5, (s * s * 6) / (25 * 4));
    expectMoments(draws('exp_mod_normal', [mu, s, 2]), mu + 0.5, s * s + 0.25);
    // Cauchy has no moments: a quarter of the draws below mu - s, three quarters below mu + s.
    const ca = draws('cauchy', [mu, s]);
    const below = (x: number) => ca.filter((v) => v < x).length / ca.length;
    const se = Math.sqrt((0.25 * 0.75) / ca.length);
    expect(Math.abs(below(mu - s) - 0.25)).toBeLessThan(5 * se);
    expect(Math.abs(below(mu + s) - 0.75)).toBeLessThan(5 * se);
  });

  it('gamma-based families: gamma (shape below and above 1), inv_gamma, the chi-squares, student_t, beta', () => {
    for (const shape of [0.3, 1, 2.5, 30]) expectMoments(draws('gamma', [shape, 2]), shape / 2, shape / 4);
    expectMoments(draws('inv_gamma', [7, 3]), 3 / 6, 9 / (36 * 5));
    expectMoments(draws('chi_square', [5]), 5, 10);
    expectMoments(draws('inv_chi_square', [14]), 1 / 12, 2 / (144 * 10));
    expectMoments(
      draws('scaled_inv_chi_square', [14, 1.5]),
      (14 * 2.25) / 12,
      (2 * 196 * 1.5 ** 4) / (144 * 10),
    );
    expectMoments(draws('student_t', [10, -1, 2]), -1, (4 * 10) / 8);
    expectMoments(draws('beta', [2, 5]), 2 / 7, 10 / (49 * 8));
    expectMoments(draws('beta', [0.5, 0.5]), 0.5, 0.25 / 2);
  });

  it('gamma-Poisson families: neg_binomial, neg_binomial_2(_log), beta_binomial', () => {
    expectMoments(draws('neg_binomial', [3, 0.5]), 6, (3 / 0.25) * 1.5);
    expectMoments(draws('neg_binomial_2', [7, 2]), 7, 7 + 49 / 2);
    expectMoments(draws('neg_binomial_2_log', [Math.log(7), 2]), 7, 7 + 49 / 2);
    expectMoments(draws('beta_binomial', [10, 2, 3]), 4, (10 * 6 * 15) / (25 * 6));
    expect(draws('neg_binomial_2', [7, 2]).every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
  });

  it('invalid parameters give NaN or -1, as the WGSL does (Stan would throw)', () => {
    const invalid = new StanRng([0.25]);
    expect(invalid.draw('gamma', [-1, 1])).toBeNaN();
    expect(invalid.draw('gamma', [2, 0])).toBeNaN();
    expect(invalid.draw('student_t', [0, 0, 1])).toBeNaN();
    expect(invalid.draw('cauchy', [0, -1])).toBeNaN();
    expect(invalid.draw('neg_binomial_2', [-1, 2])).toBe(-1);
    expect(invalid.draw('beta_binomial', [5, -1, 2])).toBe(-1);
    const rng = new StanRng([0.5]);
    expect(rng.draw('normal', [0, -1])).toBeNaN();
    expect(rng.draw('bernoulli', [1.5])).toBe(-1);
    expect(rng.draw('binomial', [-1, 0.5])).toBe(-1);
    expect(rng.draw('poisson', [2 ** 30])).toBe(-1);
  });

  it('the stream is keyed by the f32 bits of z: equal for z equal in f32, different otherwise', () => {
    const a = new StanRng([0.1, 2]).u01();
    expect(new StanRng([Math.fround(0.1), 2]).u01()).toBe(a);
    expect(new StanRng([0.1, 2.0000005]).u01()).not.toBe(a);
  });

  it('generated quantities draw: categorical_rng and vectorised draws in a compiled program', () => {
    const source = readFileSync('test/stan/rng.stan', 'utf8');
    const data = JSON.parse(readFileSync('test/stan/rng.json', 'utf8')) as Record<string, number | number[]>;
    const r = compileStan(source, { name: 'rng' });
    if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
    expect(r.warnings).toEqual([]);
    const host = r.host(data);
    const names = r.model.prepare(data).paramNames;
    const column = (name: string) => names.indexOf(name);
    const counts = [0, 0, 0];
    const xRep: number[] = [];
    const n = 4000;
    for (let i = 0; i < n; i++) {
      // mu = 0 and sigma = 1 at every point, so only the streams (keyed by the other coordinates' bits) vary.
      const z = Float64Array.of(0, 0, i * 0.01);
      const reported = r.reported(host, z);
      const c = reported[column('c')] as number;
      counts[c - 1]! += 1;
      xRep.push((reported[column('x_rep[2]')] as number) - (data.x as number[])[1]!);
    }
    // categorical_rng(softmax([mu, 0, -mu]')) at mu = 0: each of 1, 2, 3 with probability 1/3.
    counts.forEach((k) =>
      expect(Math.abs(k / n - 1 / 3)).toBeLessThan(5 * Math.sqrt(((1 / 3) * (2 / 3)) / n)),
    );
    // x_rep[2] = normal_rng(mu + x[2], sigma): x[2] + N(0, 1).
    expectMoments(xRep, 0, 1);
  });
});
