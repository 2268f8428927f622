import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Program } from '../../src/stan/ast';
import { validateStanData } from '../../src/stan/data-schema';
import { parseStan } from '../../src/stan/parser';
import { checkStan } from '../../src/stan/typecheck';
import { DataError } from '../../src/models/data';
import { posteriordbModels } from '../stan/shared';

function program(source: string): Program {
  const r = parseStan(source);
  if (!r.program) throw new Error(JSON.stringify(r.diagnostics));
  expect(checkStan(r.program).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.program;
}

function rejects(source: string, data: unknown): DataError {
  try {
    validateStanData(program(source), data);
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('validateStanData on the posteriordb data', () => {
  it("accepts every model's data.json and reads every declared value", () => {
    const models = posteriordbModels();
    expect(models.length).toBe(113);
    for (const m of models) {
      const json = JSON.parse(readFileSync(m.dataPath, 'utf8')) as Record<string, unknown>;
      const p = program(m.source);
      const values = validateStanData(p, json);
      for (const [name, v] of values) {
        expect(v.values.length, `${m.id} ${name}`).toBe(v.shape.reduce((a, b) => a * b, 1));
        // Flattening the JSON gives the same numbers in the same order (last index fastest).
        if (json[name] !== undefined) {
          const flat = [json[name]].flat(Infinity as 1) as number[];
          expect(Array.from(v.values), `${m.id} ${name}`).toEqual(flat);
        }
      }
    }
  });

  it('returns eight schools with its shapes', () => {
    const m = posteriordbModels().find((x) => x.id === 'posteriordb/eight_schools-eight_schools_noncentered');
    if (!m) throw new Error('eight schools missing');
    const values = validateStanData(program(m.source), JSON.parse(readFileSync(m.dataPath, 'utf8')));
    expect(values.get('J')).toEqual({
      type: { base: 'int', dims: 0 },
      shape: [],
      values: Float64Array.of(8),
    });
    expect(values.get('y')?.shape).toEqual([8]);
    expect(Array.from(values.get('y')?.values ?? [])).toEqual([28, 8, -3, 7, -1, 1, 18, 12]);
  });
});

describe('validateStanData on broken data', () => {
  const model = `data {
    int<lower=0> N;
    int<lower=1> K;
    array[N] int<lower=0, upper=K> y;
    vector<lower=0>[N] w;
    matrix[N, K] X;
    array[2] vector[K - 1] v;
    real<lower=-1, upper=1> rho;
  }
  model { }`;
  const good = {
    N: 2,
    K: 3,
    y: [1, 3],
    w: [0.5, 2],
    X: [
      [1, 2, 3],
      [4, 5, 6],
    ],
    v: [
      [1, 2],
      [3, 4],
    ],
    rho: 0.5,
  };

  it('accepts good data, with a row-major matrix', () => {
    const values = validateStanData(program(model), good);
    expect(Array.from(values.get('X')?.values ?? [])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values.get('X')?.shape).toEqual([2, 3]);
    expect(values.get('v')?.shape).toEqual([2, 2]);
  });

  it.each([
    [
      'a missing field',
      { ...good, K: undefined },
      'data field "K": expected a value of type int, got nothing (the field is missing)',
    ],
    ['a real where an int belongs', { ...good, N: 2.5 }, 'data field "N": expected an integer, got 2.5'],
    ['a negative size bound', { ...good, N: -1 }, 'data field "N": expected a value >= 0, got -1'],
    [
      'an int above its upper bound (an expression)',
      { ...good, y: [1, 4] },
      'data field "y[2]": expected a value in [0, 3], got 4',
    ],
    [
      'a wrong length',
      { ...good, w: [1] },
      'data field "w": expected an array of length 2 (shape [2]), got an array of length 1',
    ],
    ['a negative element', { ...good, w: [1, -1] }, 'data field "w[2]": expected a value >= 0, got -1'],
    [
      'a ragged matrix',
      {
        ...good,
        X: [
          [1, 2, 3],
          [4, 5],
        ],
      },
      'data field "X[2]": expected an array of length 3 (shape [3]), got an array of length 2',
    ],
    [
      'a wrong inner size from K - 1',
      {
        ...good,
        v: [
          [1, 2, 3],
          [3, 4, 5],
        ],
      },
      'data field "v[1]": expected an array of length 2 (shape [2]), got an array of length 3',
    ],
    ['a string', { ...good, rho: 'half' }, 'data field "rho": expected a number, got the string "half"'],
    ['a bound on a real', { ...good, rho: 1.5 }, 'data field "rho": expected a value in [-1, 1], got 1.5'],
    [
      'not an object',
      [1, 2],
      'data field "(data)": expected a JSON object mapping names to values, got an array of length 2',
    ],
  ])('rejects %s', (_what, data, message) => {
    expect(rejects(model, data).message).toBe(message);
  });

  it('checks the special constraints', () => {
    const m = `data { simplex[3] s; ordered[3] o; cov_matrix[2] S; cholesky_factor_corr[2] L; } model { }`;
    const ok = {
      s: [0.2, 0.3, 0.5],
      o: [-1, 0, 2],
      S: [
        [2, 0.5],
        [0.5, 1],
      ],
      L: [
        [1, 0],
        [0.6, 0.8],
      ],
    };
    expect(validateStanData(program(m), ok).get('S')?.shape).toEqual([2, 2]);
    expect(rejects(m, { ...ok, s: [0.2, 0.3, 0.6] }).message).toMatch(/"s": expected a simplex/);
    expect(rejects(m, { ...ok, o: [0, 0, 1] }).message).toMatch(
      /"o\[2\]": expected a value > the previous element 0/,
    );
    expect(
      rejects(m, {
        ...ok,
        S: [
          [1, 2],
          [2, 1],
        ],
      }).message,
    ).toMatch(/"S": expected a positive-definite matrix/);
    expect(
      rejects(m, {
        ...ok,
        S: [
          [1, 0.2],
          [0.3, 1],
        ],
      }).message,
    ).toMatch(/"S": expected a symmetric matrix/);
    expect(
      rejects(m, {
        ...ok,
        L: [
          [1, 0.1],
          [0.6, 0.8],
        ],
      }).message,
    ).toMatch(/"L\[1, 2\]": expected 0 above the diagonal/);
  });

  it('takes Stan-JSON infinities, R-unboxed length-1 arrays and absent empty arrays', () => {
    const m = `data { int N; vector[N] y; array[0] real e; real u; } model { }`;
    const values = validateStanData(program(m), { N: 1, y: 2.5, u: '-Inf' });
    expect(Array.from(values.get('y')?.values ?? [])).toEqual([2.5]);
    expect(values.get('e')?.shape).toEqual([0]);
    expect(values.get('u')?.values[0]).toBe(-Infinity);
  });

  it('evaluates sizes with int arithmetic and built-in size functions', () => {
    const m = `data { int N; array[N] int g; vector[max(g)] a; matrix[N / 2, size(g)] B; } model { }`;
    const values = validateStanData(program(m), { N: 3, g: [1, 2, 2], a: [1, 2], B: [[1, 2, 3]] });
    expect(values.get('a')?.shape).toEqual([2]);
    expect(values.get('B')?.shape).toEqual([1, 3]);
  });
});
