import { describe, expect, it } from 'vitest';
import type { StanData } from '../../src/models/data';
import { logistic, syntheticLogisticData } from '../../src/models/logistic';
import { logisticReference } from '../reference/logistic';
import { checkModel, rejectedField } from './model-check';

checkModel({ model: logistic, reference: logisticReference, scale: 1 });

describe('odd-sized data (D = 5 padded to 2 vec4s)', () => {
  checkModel({
    model: logistic,
    reference: logisticReference,
    data: syntheticLogisticData(37, 5, 3),
    // Larger |x . beta| than the default check, so both branches of the stable softplus / sigmoid run.
    scale: 4,
  });
});

describe('logistic data', () => {
  const good = syntheticLogisticData(12, 5, 7);
  const X = good.X as number[][];
  const y = good.y as number[];
  const with_ = (patch: StanData): StanData => ({ ...good, ...patch });

  it('rejects bad data with a DataError naming the field', () => {
    const { X: _omitted, ...withoutX } = good;
    expect(rejectedField(() => logistic.prepare(withoutX))).toBe('X');
    const longRow = X.map((row, i) => (i === 2 ? [...row, 0] : row));
    expect(rejectedField(() => logistic.prepare(with_({ X: longRow })))).toBe('X[3]');
    const nanX = X.map((row, i) => (i === 0 ? row.map((v, j) => (j === 1 ? Number.NaN : v)) : row));
    expect(rejectedField(() => logistic.prepare(with_({ X: nanX })))).toBe('X[1][2]');
    expect(rejectedField(() => logistic.prepare(with_({ y: y.map((v, i) => (i === 3 ? 2 : v)) })))).toBe(
      'y[4]',
    );
    expect(rejectedField(() => logistic.prepare(with_({ y: y.map((v, i) => (i === 5 ? 0.5 : v)) })))).toBe(
      'y[6]',
    );
    expect(
      rejectedField(() => logistic.prepare(with_({ y: y.map((v, i) => (i === 0 ? Number.NaN : v)) }))),
    ).toBe('y[1]');
    expect(rejectedField(() => logistic.prepare(with_({ prior_sd: 0 })))).toBe('prior_sd');
    expect(rejectedField(() => logistic.prepare(with_({ N: 100_001 })))).toBe('N');
    expect(rejectedField(() => logistic.prepare(with_({ D: 65 })))).toBe('D');
    expect(rejectedField(() => logistic.prepare(with_({ N: 0 })))).toBe('N');
  });

  it('accepts the largest data it supports (N = 1e5, D = 64), with a smaller batch for larger D', () => {
    const prepared = logistic.prepare(syntheticLogisticData(100_000, 64, 11));
    expect(prepared.dimension).toBe(64);
    expect(prepared.constants.LOGISTIC_GROUPS).toBe(25_000);
    expect(prepared.buffers[0]?.data.length).toBe(100_000 * 64);
    expect(prepared.maxBatch).toBe(4);
    expect(logistic.prepare(logistic.defaultData()).maxBatch).toBe(16);
  });

  it('lays rows out four at a time, column by column, the outcome folded in as a sign', () => {
    const odd = syntheticLogisticData(11, 5, 7);
    const oddX = odd.X as number[][];
    const oddY = odd.y as number[];
    const prepared = logistic.prepare(odd);
    const cols = prepared.buffers[0]?.data;
    if (!(cols instanceof Float32Array)) throw new Error('expected the columns as a Float32Array');
    // 11 rows padded to 12: three groups of four rows, each D = 5 vec4s (one per column).
    expect(cols.length).toBe(3 * 5 * 4);
    oddX.forEach((row, i) => {
      const sign = oddY[i] === 1 ? 1 : -1;
      const group = Math.floor(i / 4);
      row.forEach((v, j) => expect(cols[(group * 5 + j) * 4 + (i % 4)]).toBe(Math.fround(sign * v)));
    });
    for (let j = 0; j < 5; j++) expect(cols[(2 * 5 + j) * 4 + 3]).toBe(0);
    expect(prepared.paramNames).toEqual(['beta[1]', 'beta[2]', 'beta[3]', 'beta[4]', 'beta[5]']);
    expect(prepared.constants).toEqual({ LOGISTIC_GROUPS: 3 });
  });

  it('synthetic data is deterministic, and the default is logistic-N1000-D10', () => {
    expect(syntheticLogisticData(12, 5, 7)).toEqual(good);
    expect(syntheticLogisticData(12, 5, 8)).not.toEqual(good);
    expect(logistic.defaultData()).toEqual(syntheticLogisticData(1000, 10, 1));
    const defaultY = logistic.defaultData().y as number[];
    const ones = defaultY.filter((v) => v === 1).length;
    // Both classes well represented: the true coefficients give overlapping classes.
    expect(ones).toBeGreaterThan(300);
    expect(ones).toBeLessThan(700);
  });
});
