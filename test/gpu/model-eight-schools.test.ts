import { describe, expect, it } from 'vitest';
import { DataError, type StanData } from '../../src/models/data';
import { eightSchools } from '../../src/models/eight-schools';
import { eightSchoolsReference } from '../reference/eight-schools';
import { checkModel } from './model-check';

checkModel({ model: eightSchools, reference: eightSchoolsReference, scale: 2 });

// The default J = 8 puts mu and log tau together in a padded block; J = 2 fills its one block exactly, and
// J = 3 splits mu and log tau across blocks: every case of the block layout runs on the GPU.
checkModel({
  model: eightSchools,
  reference: eightSchoolsReference,
  data: { J: 3, y: [4, -2.5, 11], sigma: [2, 7.5, 30] },
  scale: 2,
});
checkModel({
  model: eightSchools,
  reference: eightSchoolsReference,
  data: { J: 2, y: [3, -40], sigma: [1.5, 12] },
  scale: 2,
});

function prepareError(change: (data: Record<string, unknown>) => void): DataError {
  const data: Record<string, unknown> = { ...eightSchools.defaultData() };
  change(data);
  try {
    eightSchools.prepare(data);
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('prepare accepted bad data');
}

describe('eight-schools data', () => {
  it('reports theta, mu, tau in posteriordb order, with its reference posterior on the default data', () => {
    const prepared = eightSchools.prepare(eightSchools.defaultData());
    expect(prepared.dimension).toBe(10);
    expect(prepared.paramNames).toEqual([
      'theta[1]',
      'theta[2]',
      'theta[3]',
      'theta[4]',
      'theta[5]',
      'theta[6]',
      'theta[7]',
      'theta[8]',
      'mu',
      'tau',
    ]);
    expect(prepared.reference?.mean).toHaveLength(10);
    expect(prepared.reference?.sd).toHaveLength(10);
    expect(prepared.reference?.mean[8]).toBeCloseTo(4.41, 2);
    expect(prepared.reference?.mean[9]).toBeCloseTo(3.6, 2);
  });

  it('has no reference posterior for other data', () => {
    const data: StanData = { ...eightSchools.defaultData(), y: [28, 8, -3, 7, -1, 1, 18, 13] };
    expect(eightSchools.prepare(data).reference).toBeUndefined();
  });

  it('rejects bad data with a DataError naming the field', () => {
    expect(prepareError((d) => delete d.sigma).field).toBe('sigma');
    expect(prepareError((d) => (d.y = [1, 2, 3])).field).toBe('y');
    expect(prepareError((d) => (d.sigma = [15, 10, 0, 11, 9, 11, 10, 18])).field).toBe('sigma[3]');
    expect(prepareError((d) => (d.sigma = [15, 10, 16, 11, -9, 11, 10, 18])).field).toBe('sigma[5]');
    expect(prepareError((d) => (d.y = [28, Number.NaN, -3, 7, -1, 1, 18, 12])).field).toBe('y[2]');
    expect(prepareError((d) => (d.J = 0)).field).toBe('J');
    expect(prepareError((d) => (d.J = 2.5)).field).toBe('J');
  });
});
