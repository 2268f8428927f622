/**
 * Stan-JSON data (name -> number / array / array of rows) and its validation. Every error names the field
 * and what was expected, before any GPU work is done.
 */

export type StanValue = number | readonly StanValue[];
export type StanData = Readonly<Record<string, unknown>>;

export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`data field "${field}": expected ${expected}, got ${got}`);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : `${value}`;
  return `a ${typeof value}`;
}

export function readReal(
  data: StanData,
  field: string,
  check?: { min?: number; positive?: boolean },
): number {
  const value = data[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new DataError(field, 'a finite number', describe(value));
  }
  if (check?.positive && !(value > 0)) throw new DataError(field, 'a number > 0', String(value));
  if (check?.min !== undefined && value < check.min)
    throw new DataError(field, `a number >= ${check.min}`, String(value));
  return value;
}

export function readInt(data: StanData, field: string, check: { min?: number; max?: number } = {}): number {
  const value = data[field];
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new DataError(field, 'an integer', describe(value));
  }
  if (check.min !== undefined && value < check.min)
    throw new DataError(field, `an integer >= ${check.min}`, String(value));
  if (check.max !== undefined && value > check.max)
    throw new DataError(field, `an integer <= ${check.max}`, String(value));
  return value;
}

/** A vector of `length` finite reals (Stan `vector[length]` or `array[length] real`). */
export function readVector(data: StanData, field: string, length: number, lengthName: string): Float64Array {
  const value = data[field];
  if (typeof value === 'number' && length === 1)
    return readVector({ [field]: [value] }, field, 1, lengthName);
  if (!Array.isArray(value))
    throw new DataError(field, `an array of ${lengthName} = ${length} numbers`, describe(value));
  if (value.length !== length) {
    throw new DataError(
      field,
      `an array of ${lengthName} = ${length} numbers`,
      `an array of length ${value.length}`,
    );
  }
  const out = new Float64Array(length);
  value.forEach((x: unknown, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new DataError(`${field}[${i + 1}]`, 'a finite number', describe(x));
    }
    out[i] = x;
  });
  return out;
}

/** Integers in [min, max], e.g. Bernoulli outcomes. */
export function readIntVector(
  data: StanData,
  field: string,
  length: number,
  lengthName: string,
  range: { min: number; max: number },
): Int32Array {
  const values = readVector(data, field, length, lengthName);
  return Int32Array.from(values, (x, i) => {
    if (!Number.isInteger(x) || x < range.min || x > range.max) {
      throw new DataError(`${field}[${i + 1}]`, `an integer in [${range.min}, ${range.max}]`, String(x));
    }
    return x;
  });
}

/** A rows x cols matrix given as an array of rows; returned row-major. */
export function readMatrix(
  data: StanData,
  field: string,
  rows: number,
  cols: number,
  names: [string, string],
): Float64Array {
  const value = data[field];
  const expected = `an array of ${names[0]} = ${rows} rows of ${names[1]} = ${cols} numbers`;
  if (!Array.isArray(value)) throw new DataError(field, expected, describe(value));
  if (value.length !== rows) throw new DataError(field, expected, `${value.length} rows`);
  const out = new Float64Array(rows * cols);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== cols) {
      throw new DataError(`${field}[${i + 1}]`, `a row of ${names[1]} = ${cols} numbers`, describe(row));
    }
    row.forEach((x: unknown, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new DataError(`${field}[${i + 1}][${j + 1}]`, 'a finite number', describe(x));
      }
      out[i * cols + j] = x;
    });
  });
  return out;
}
