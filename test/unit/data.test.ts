/** Stan-JSON data validation (no GPU): every error names the field and what was expected. */
import { describe, expect, it } from 'vitest';
import { DataError, readInt, readIntVector, readMatrix, readReal, readVector } from '../../src/models/data';
import { MODEL_NAMES, getModel } from '../../src/models/registry';

describe('the data readers', () => {
  it('read good values', () => {
    const data = {
      N: 3,
      x: 1.5,
      y: [1, 2, 3],
      k: [0, 1, 1],
      X: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      one: 2,
    };
    expect(readInt(data, 'N', { min: 1 })).toBe(3);
    expect(readReal(data, 'x', { positive: true })).toBe(1.5);
    expect(Array.from(readVector(data, 'y', 3, 'N'))).toEqual([1, 2, 3]);
    expect(Array.from(readVector(data, 'one', 1, 'N'))).toEqual([2]);
    expect(Array.from(readIntVector(data, 'k', 3, 'N', { min: 0, max: 1 }))).toEqual([0, 1, 1]);
    expect(Array.from(readMatrix(data, 'X', 3, 2, ['N', 'D']))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each([
    [() => readInt({}, 'N'), /data field "N": expected an integer, got nothing \(the field is missing\)/],
    [() => readInt({ N: 2.5 }, 'N'), /"N": expected an integer, got 2.5/],
    [() => readInt({ N: 0 }, 'N', { min: 1 }), /"N": expected an integer >= 1, got 0/],
    [() => readInt({ N: 9 }, 'N', { max: 8 }), /"N": expected an integer <= 8, got 9/],
    [() => readReal({ s: 'a' }, 's'), /"s": expected a finite number, got a string/],
    [() => readReal({ s: Infinity }, 's'), /"s": expected a finite number, got Infinity/],
    [() => readReal({ s: 0 }, 's', { positive: true }), /"s": expected a number > 0, got 0/],
    [
      () => readVector({ y: [1, 2] }, 'y', 3, 'N'),
      /"y": expected an array of N = 3 numbers, got an array of length 2/,
    ],
    [() => readVector({ y: [1, null, 3] }, 'y', 3, 'N'), /"y\[2\]": expected a finite number, got null/],
    [
      () => readIntVector({ k: [0, 2] }, 'k', 2, 'N', { min: 0, max: 1 }),
      /"k\[2\]": expected an integer in \[0, 1\], got 2/,
    ],
    [
      () => readMatrix({ X: [[1, 2], [3]] }, 'X', 2, 2, ['N', 'D']),
      /"X\[2\]": expected a row of D = 2 numbers/,
    ],
    [() => readMatrix({ X: [[1, NaN]] }, 'X', 1, 2, ['N', 'D']), /"X\[1\]\[2\]": expected a finite number/],
  ])('refuse bad input %#', (read, message) => {
    expect(read).toThrow(DataError);
    expect(read).toThrow(message);
  });
});

describe('every built-in model', () => {
  it.each(MODEL_NAMES)('%s accepts its own data and names a missing field', (name) => {
    const model = getModel(name);
    const data = model.defaultData();
    const prepared = model.prepare(data);
    expect(prepared.dimension).toBeGreaterThan(0);
    expect(prepared.paramNames.length).toBeGreaterThan(0);
    for (const field of model.dataFields) {
      const { [field.name]: _dropped, ...rest } = data as Record<string, unknown>;
      expect(() => model.prepare(rest), field.name).toThrow(new RegExp(`data field "${field.name}`));
    }
  });
});
