import { describe, expect, it } from 'vitest';
import { DataError, type StanData } from '../../src/models/data';
import { hmm } from '../../src/models/hmm';
import { hmmReference } from '../reference/hmm';
import { checkModel } from './model-check';

checkModel({ model: hmm, reference: hmmReference, scale: 1.5 });

describe('hmm data', () => {
  const base = hmm.defaultData();
  const y = base.y as number[];

  function rejects(data: StanData, field: string): void {
    let error: unknown;
    try {
      hmm.prepare(data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).field).toBe(field);
    expect((error as DataError).message).toContain(`"${field}"`);
  }

  it('rejects missing y, a wrong length, K = 3 and NaN, naming the field', () => {
    rejects({ N: base.N, K: 2 }, 'y');
    rejects({ ...base, y: y.slice(1) }, 'y');
    rejects({ ...base, K: 3 }, 'K');
    rejects({ ...base, y: y.map((v, i) => (i === 4 ? NaN : v)) }, 'y[5]');
    rejects({ ...base, N: 0 }, 'N');
  });

  it('says which K it supports', () => {
    expect(() => hmm.prepare({ ...base, K: 3 })).toThrow(/K = 2/);
  });

  it('gives the posteriordb reference for the default data only', () => {
    const prepared = hmm.prepare(base);
    expect(prepared.paramNames).toEqual([
      'theta1[1]',
      'theta1[2]',
      'theta2[1]',
      'theta2[2]',
      'mu[1]',
      'mu[2]',
    ]);
    expect(prepared.reference?.mean[4]).toBeCloseTo(3.0215, 3);
    expect(prepared.reference?.sd.length).toBe(6);
    expect(hmm.prepare({ ...base, y: y.map((v) => v + 0.5) }).reference).toBeUndefined();
    expect(hmm.prepare({ N: 3, K: 2, y: y.slice(0, 3) }).reference).toBeUndefined();
  });
});
