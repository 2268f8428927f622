import { describe, expect, it } from 'vitest';
import type { StanData } from '../../src/models/data';
import { linreg, linregExactPosterior } from '../../src/models/linreg';
import { linregReference } from '../reference/linreg';
import { checkModel, rejectedField } from './model-check';

checkModel({ model: linreg, reference: linregReference, scale: 3 });

describe('linreg data', () => {
  const good = linreg.defaultData();
  const X = good.X as number[][];
  const y = good.y as number[];
  const with_ = (patch: StanData): StanData => ({ ...good, ...patch });

  it('rejects bad data with a DataError naming the field', () => {
    const { X: _omitted, ...withoutX } = good;
    expect(rejectedField(() => linreg.prepare(withoutX))).toBe('X');
    const shortRow = X.map((row, i) => (i === 1 ? row.slice(1) : row));
    expect(rejectedField(() => linreg.prepare(with_({ X: shortRow })))).toBe('X[2]');
    const nanX = X.map((row, i) => (i === 4 ? [row[0], Number.NaN, row[2]] : row));
    expect(rejectedField(() => linreg.prepare(with_({ X: nanX })))).toBe('X[5][2]');
    const nanY = y.map((v, i) => (i === 2 ? Number.NaN : v));
    expect(rejectedField(() => linreg.prepare(with_({ y: nanY })))).toBe('y[3]');
    expect(rejectedField(() => linreg.prepare(with_({ y: y.slice(1) })))).toBe('y');
    expect(rejectedField(() => linreg.prepare(with_({ sigma: 0 })))).toBe('sigma');
    expect(rejectedField(() => linreg.prepare(with_({ prior_sd: -1 })))).toBe('prior_sd');
    expect(rejectedField(() => linreg.prepare(with_({ N: 100_001 })))).toBe('N');
    expect(rejectedField(() => linreg.prepare(with_({ D: 65 })))).toBe('D');
  });

  it('default data is deterministic and shaped N = 100, D = 3', () => {
    expect(linreg.defaultData()).toEqual(good);
    expect(good.N).toBe(100);
    expect(good.D).toBe(3);
    expect(X).toHaveLength(100);
    expect(good.sigma).toBe(1);
    expect(good.prior_sd).toBe(10);
  });

  it("exact posterior solves the normal equations: P mean = X'y / sigma^2 and P cov = I", () => {
    const sigma = good.sigma as number;
    const priorSd = good.prior_sd as number;
    const d = good.D as number;
    // P, written out from its definition.
    const P = Array.from({ length: d }, (_, a) =>
      Array.from(
        { length: d },
        (_, b) =>
          X.reduce((s, row) => s + (row[a] as number) * (row[b] as number), 0) / sigma ** 2 +
          (a === b ? 1 / priorSd ** 2 : 0),
      ),
    );
    const xty = Array.from(
      { length: d },
      (_, a) => X.reduce((s, row, i) => s + (row[a] as number) * (y[i] as number), 0) / sigma ** 2,
    );
    const { mean, cov } = linregExactPosterior(good);
    const times = (row: number[], v: (k: number) => number) => row.reduce((s, p, k) => s + p * v(k), 0);
    P.forEach((row, a) => {
      expect(times(row, (k) => mean[k] as number)).toBeCloseTo(xty[a] as number, 9);
      for (let b = 0; b < d; b++) {
        expect(times(row, (k) => cov[k]?.[b] as number)).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    });
    // The covariance is symmetric and the data were built so that it is visibly correlated.
    const corr = (a: number, b: number) =>
      (cov[a]?.[b] as number) / Math.sqrt((cov[a]?.[a] as number) * (cov[b]?.[b] as number));
    expect(cov[0]?.[1]).toBeCloseTo(cov[1]?.[0] as number, 14);
    expect(Math.max(Math.abs(corr(0, 1)), Math.abs(corr(0, 2)), Math.abs(corr(1, 2)))).toBeGreaterThan(0.3);

    const prepared = linreg.prepare(good);
    expect(prepared.exact?.mean).toEqual(mean);
    expect(prepared.exact?.sd).toEqual(cov.map((row, j) => Math.sqrt(row[j] as number)));
    expect(prepared.paramNames).toEqual(['beta[1]', 'beta[2]', 'beta[3]']);
  });
});
