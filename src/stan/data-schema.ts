/**
 * A Stan program's data block as the schema of its data: validateStanData(program, json) checks a Stan-JSON
 * object (name -> number / nested arrays, as CmdStan reads it) against the declared types, sizes, bounds,
 * int-ness and special constraints (simplex, ordered, cov_matrix, ...), and returns the values in float64.
 *
 * Sizes and bounds are evaluated in declaration order from the data read so far (int arithmetic truncates like
 * Stan's; size(), rows(), cols(), num_elements(), sum/max/min/prod, indexing and scalar math are understood).
 * The first problem throws a DataError (src/models/data.ts) naming the field and what was expected.
 *
 * The values: for each data variable a DataValue with its StanType, its full `shape` (the array dimensions,
 * then a vector's length or a matrix's rows and columns) and `values`, a Float64Array of all elements with the
 * last index fastest (so a matrix is row-major, as in the JSON). Ints are stored as exact float64 integers.
 * JSON allowances: "NaN", "Inf", "-Inf" (also "inf", "Infinity") strings for reals; a bare number where an
 * array of length 1 is expected (R's unboxing); a missing field when the variable has no elements. Fields that
 * the data block does not declare are ignored.
 */

import type { Expr, Program, StanType, VarDecl } from './ast';
import { baseOfKeyword, blockDecls } from './ast';
import { DataError } from '../models/data';

export interface DataValue {
  readonly type: StanType;
  /** Array dimensions, then vector length / matrix rows, cols. */
  readonly shape: readonly number[];
  /** Elements, last index fastest. */
  readonly values: Float64Array;
}

export type StanDataValues = ReadonlyMap<string, DataValue>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `a ${typeof value}`;
}

const SPECIAL_REALS: Readonly<Record<string, number>> = {
  NaN: NaN,
  nan: NaN,
  Inf: Infinity,
  inf: Infinity,
  Infinity: Infinity,
  '+Inf': Infinity,
  '-Inf': -Infinity,
  '-inf': -Infinity,
  '-Infinity': -Infinity,
};

// --- evaluating sizes and bounds ------------------------------------------------------------------------------

/** A value during evaluation: a scalar (with int-ness) or a data variable's elements. */
type Val =
  | { readonly kind: 'scalar'; readonly v: number; readonly int: boolean }
  | { readonly kind: 'tensor'; readonly d: DataValue };

class EvalError extends Error {}

const scalar = (v: number, int: boolean): Val => ({ kind: 'scalar', v, int });

const UNARY_MATH: Readonly<Record<string, (x: number) => number>> = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  square: (x) => x * x,
  fabs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  trunc: Math.trunc,
  log10: Math.log10,
  log2: Math.log2,
  log1p: Math.log1p,
  expm1: Math.expm1,
  inv: (x) => 1 / x,
  inv_logit: (x) => 1 / (1 + Math.exp(-x)),
  logit: (x) => Math.log(x / (1 - x)),
};

class Evaluator {
  constructor(private readonly env: ReadonlyMap<string, DataValue>) {}

  scalarOf(e: Expr, what: string): { v: number; int: boolean } {
    const x = this.eval(e);
    if (x.kind !== 'scalar') throw new EvalError(`${what} is not a scalar`);
    return x;
  }

  eval(e: Expr): Val {
    switch (e.kind) {
      case 'IntLiteral':
        return scalar(e.value, true);
      case 'RealLiteral':
        return scalar(e.value, false);
      case 'Variable': {
        const d = this.env.get(e.name);
        if (!d) throw new EvalError(`'${e.name}' is not an earlier data variable`);
        if (d.shape.length === 0) return scalar(d.values[0] as number, d.type.base === 'int');
        return { kind: 'tensor', d };
      }
      case 'Unary': {
        const x = this.scalarOf(e.operand, 'the operand');
        if (e.op === '-') return scalar(-x.v, x.int);
        if (e.op === '+') return scalar(x.v, x.int);
        return scalar(x.v === 0 ? 1 : 0, true);
      }
      case 'Binary': {
        const a = this.scalarOf(e.left, 'an operand');
        const b = this.scalarOf(e.right, 'an operand');
        const int = a.int && b.int;
        switch (e.op) {
          case '+':
            return scalar(a.v + b.v, int);
          case '-':
            return scalar(a.v - b.v, int);
          case '*':
          case '.*':
            return scalar(a.v * b.v, int);
          case '/':
          case './':
            if (int) {
              if (b.v === 0) throw new EvalError('integer division by zero');
              return scalar(Math.trunc(a.v / b.v), true);
            }
            return scalar(a.v / b.v, false);
          case '%/%':
            if (b.v === 0) throw new EvalError('integer division by zero');
            return scalar(Math.trunc(a.v / b.v), true);
          case '%':
            if (b.v === 0) throw new EvalError('modulus by zero');
            return scalar(a.v % b.v, true);
          case '^':
          case '.^':
            return scalar(a.v ** b.v, false);
          case '<':
            return scalar(a.v < b.v ? 1 : 0, true);
          case '<=':
            return scalar(a.v <= b.v ? 1 : 0, true);
          case '>':
            return scalar(a.v > b.v ? 1 : 0, true);
          case '>=':
            return scalar(a.v >= b.v ? 1 : 0, true);
          case '==':
            return scalar(a.v === b.v ? 1 : 0, true);
          case '!=':
            return scalar(a.v !== b.v ? 1 : 0, true);
          case '&&':
            return scalar(a.v !== 0 && b.v !== 0 ? 1 : 0, true);
          case '||':
            return scalar(a.v !== 0 || b.v !== 0 ? 1 : 0, true);
          default:
            throw new EvalError(`operator '${e.op}'`);
        }
      }
      case 'Ternary': {
        const c = this.scalarOf(e.cond, 'the condition');
        return c.v !== 0 ? this.eval(e.then) : this.eval(e.else);
      }
      case 'Indexed': {
        const t = this.eval(e.target);
        if (t.kind !== 'tensor') throw new EvalError('indexing a scalar');
        const idx = e.indices.map((ix) => {
          if (ix.kind !== 'single') throw new EvalError('a range index');
          const i = this.scalarOf(ix.expr, 'an index');
          if (!i.int) throw new EvalError('a real index');
          return i.v;
        });
        return index(t.d, idx);
      }
      case 'Call':
        return this.call(e.name, e.args);
      default:
        throw new EvalError(`a ${e.kind}`);
    }
  }

  private call(name: string, args: readonly Expr[]): Val {
    const f = UNARY_MATH[name];
    if (f && args.length === 1) return scalar(f(this.scalarOf(args[0] as Expr, 'the argument').v), false);
    if ((name === 'max' || name === 'min') && args.length === 2) {
      const a = this.scalarOf(args[0] as Expr, 'an argument');
      const b = this.scalarOf(args[1] as Expr, 'an argument');
      return scalar(name === 'max' ? Math.max(a.v, b.v) : Math.min(a.v, b.v), a.int && b.int);
    }
    if (name === 'abs' && args.length === 1) {
      const a = this.scalarOf(args[0] as Expr, 'the argument');
      return scalar(Math.abs(a.v), a.int);
    }
    if (args.length !== 1) throw new EvalError(`the function '${name}'`);
    const x = this.eval(args[0] as Expr);
    const d = x.kind === 'tensor' ? x.d : undefined;
    const isInt = d ? d.type.base === 'int' : x.kind === 'scalar' && x.int;
    const elems = d ? Array.from(d.values) : [(x as { v: number }).v];
    switch (name) {
      case 'size':
        return scalar(d ? (d.shape[0] as number) : 1, true);
      case 'num_elements':
        return scalar(elems.length, true);
      case 'rows':
      case 'cols': {
        if (!d || d.type.dims !== 0) throw new EvalError(`${name}() of a non-vector`);
        const s = d.shape;
        if (d.type.base === 'matrix') return scalar((name === 'rows' ? s[0] : s[1]) as number, true);
        if (d.type.base === 'vector') return scalar(name === 'rows' ? (s[0] as number) : 1, true);
        return scalar(name === 'rows' ? 1 : (s[0] as number), true);
      }
      case 'sum':
        return scalar(
          elems.reduce((p, q) => p + q, 0),
          isInt,
        );
      case 'prod':
        return scalar(
          elems.reduce((p, q) => p * q, 1),
          isInt,
        );
      case 'max':
        if (elems.length === 0) throw new EvalError('max() of no elements');
        return scalar(Math.max(...elems), isInt);
      case 'min':
        if (elems.length === 0) throw new EvalError('min() of no elements');
        return scalar(Math.min(...elems), isInt);
      default:
        throw new EvalError(`the function '${name}'`);
    }
  }
}

/** `d[i1, i2, ...]` (1-based) as a scalar or a sub-tensor. */
function index(d: DataValue, idx: readonly number[]): Val {
  if (idx.length > d.shape.length) throw new EvalError('too many indices');
  let offset = 0;
  let stride = d.values.length;
  idx.forEach((i, k) => {
    const n = d.shape[k] as number;
    if (i < 1 || i > n) throw new EvalError(`index ${i} out of range 1..${n}`);
    stride /= n;
    offset += (i - 1) * stride;
  });
  const shape = d.shape.slice(idx.length);
  if (shape.length === 0) return scalar(d.values[offset] as number, d.type.base === 'int');
  // The type of the remainder: drop array dims first, then the vector/matrix ones.
  const arrayDrop = Math.min(idx.length, d.type.dims);
  const innerDrop = idx.length - arrayDrop;
  let base = d.type.base;
  if (innerDrop > 0) base = d.type.base === 'matrix' && innerDrop === 1 ? 'row_vector' : 'real';
  return {
    kind: 'tensor',
    d: {
      type: { base, dims: d.type.dims - arrayDrop },
      shape,
      values: d.values.subarray(offset, offset + stride),
    },
  };
}

// --- reading values -------------------------------------------------------------------------------------------

const fieldName = (name: string, idx: readonly number[]): string =>
  idx.length === 0 ? name : `${name}[${idx.join(', ')}]`;

/** Reads `value` of the given full shape into `out` (last index fastest). */
function readElements(
  name: string,
  value: unknown,
  shape: readonly number[],
  int: boolean,
  out: Float64Array,
): void {
  let pos = 0;
  const walk = (v: unknown, depth: number, idx: number[]): void => {
    if (depth === shape.length) {
      let x: number | undefined;
      if (typeof v === 'number') x = v;
      else if (typeof v === 'string' && !int && v in SPECIAL_REALS) x = SPECIAL_REALS[v];
      if (x === undefined || (int && !Number.isInteger(x))) {
        throw new DataError(fieldName(name, idx), int ? 'an integer' : 'a number', describe(v));
      }
      if (int && Math.abs(x) > 2147483647) {
        throw new DataError(fieldName(name, idx), 'an integer in the 32-bit range', String(x));
      }
      out[pos++] = x;
      return;
    }
    const n = shape[depth] as number;
    // A bare number where an array of length 1 is expected (R's unboxing of length-1 vectors).
    const arr = !Array.isArray(v) && n === 1 && depth === shape.length - 1 && typeof v === 'number' ? [v] : v;
    if (!Array.isArray(arr)) {
      throw new DataError(
        fieldName(name, idx),
        `an array of ${n} ${depth === shape.length - 1 ? (int ? 'integers' : 'numbers') : 'arrays'}`,
        describe(v),
      );
    }
    if (arr.length !== n) {
      throw new DataError(
        fieldName(name, idx),
        `an array of length ${n} (shape [${shape.slice(depth).join(', ')}])`,
        `an array of length ${arr.length}`,
      );
    }
    arr.forEach((x: unknown, i) => walk(x, depth + 1, [...idx, i + 1]));
  };
  walk(value, 0, []);
}

/** Checks a DataValue element by element against bounds (scalars, or containers of the same shape). */
function checkBounds(
  decl: VarDecl,
  d: DataValue,
  lower: Val | undefined,
  upper: Val | undefined,
  shapeIndex: (i: number) => string,
): void {
  const boundAt = (b: Val, i: number): number => {
    if (b.kind === 'scalar') return b.v;
    if (b.d.values.length !== d.values.length) {
      throw new DataError(
        decl.name,
        `a bound with ${d.values.length} elements`,
        `a bound with ${b.d.values.length}`,
      );
    }
    return b.d.values[i] as number;
  };
  d.values.forEach((x, i) => {
    const lo = lower ? boundAt(lower, i) : -Infinity;
    const hi = upper ? boundAt(upper, i) : Infinity;
    if (!(x >= lo && x <= hi) && !(Number.isNaN(x) && !lower && !upper)) {
      const range = lower && upper ? `in [${lo}, ${hi}]` : lower ? `>= ${lo}` : `<= ${hi}`;
      throw new DataError(shapeIndex(i), `a value ${range}`, String(x));
    }
  });
}

const TOL = 1e-8;

/** Checks simplex, ordered, ... on each vector / matrix of `d` (arrays of them element by element). */
function checkSpecial(decl: VarDecl, d: DataValue, shapeIndex: (i: number) => string): void {
  const keyword = decl.declType.keyword;
  const inner = d.shape.slice(d.type.dims);
  const size = inner.reduce((p, q) => p * q, 1);
  for (let start = 0; start < d.values.length; start += size) {
    const v = d.values.subarray(start, start + size);
    const at = (i: number): string => shapeIndex(start + i);
    const field = arrayField(decl.name, d.shape.slice(0, d.type.dims), start / size);
    switch (keyword) {
      case 'simplex': {
        const sum = v.reduce((p, q) => p + q, 0);
        v.forEach((x, i) => {
          if (!(x >= 0)) throw new DataError(at(i), 'a value >= 0 (a simplex)', String(x));
        });
        if (Math.abs(sum - 1) > TOL)
          throw new DataError(field, 'a simplex (elements summing to 1)', `a sum of ${sum}`);
        break;
      }
      case 'ordered':
      case 'positive_ordered':
        v.forEach((x, i) => {
          if (keyword === 'positive_ordered' && !(x > 0))
            throw new DataError(at(i), 'a value > 0', String(x));
          if (i > 0 && !(x > (v[i - 1] as number))) {
            throw new DataError(at(i), `a value > the previous element ${v[i - 1]} (${keyword})`, String(x));
          }
        });
        break;
      case 'sum_to_zero_vector': {
        const sum = v.reduce((p, q) => p + q, 0);
        const scale = v.reduce((p, q) => p + Math.abs(q), 0);
        if (Math.abs(sum) > TOL * Math.max(1, scale))
          throw new DataError(field, 'elements summing to 0', `a sum of ${sum}`);
        break;
      }
      case 'unit_vector': {
        const norm2 = v.reduce((p, q) => p + q * q, 0);
        if (Math.abs(norm2 - 1) > TOL)
          throw new DataError(field, 'a unit vector', `a squared norm of ${norm2}`);
        break;
      }
      case 'cov_matrix':
      case 'corr_matrix':
      case 'cholesky_factor_cov':
      case 'cholesky_factor_corr': {
        const [rows, cols] = inner as [number, number];
        const m = (i: number, j: number): number => v[i * cols + j] as number;
        if (keyword === 'cov_matrix' || keyword === 'corr_matrix') {
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < i; j++) {
              if (Math.abs(m(i, j) - m(j, i)) > TOL * Math.max(1, Math.abs(m(i, j)))) {
                throw new DataError(
                  field,
                  `a symmetric matrix (${keyword})`,
                  `[${i + 1}, ${j + 1}] = ${m(i, j)} but [${j + 1}, ${i + 1}] = ${m(j, i)}`,
                );
              }
            }
            if (keyword === 'corr_matrix' && Math.abs(m(i, i) - 1) > TOL) {
              throw new DataError(at(i * cols + i), 'a unit diagonal (corr_matrix)', String(m(i, i)));
            }
          }
          if (!choleskyOk(rows, m))
            throw new DataError(field, `a positive-definite matrix (${keyword})`, 'a matrix that is not');
        } else {
          for (let i = 0; i < rows; i++) {
            for (let j = i + 1; j < cols; j++) {
              if (m(i, j) !== 0)
                throw new DataError(at(i * cols + j), `0 above the diagonal (${keyword})`, String(m(i, j)));
            }
            if (i < cols && !(m(i, i) > 0))
              throw new DataError(at(i * cols + i), `a positive diagonal (${keyword})`, String(m(i, i)));
            if (keyword === 'cholesky_factor_corr') {
              let n2 = 0;
              for (let j = 0; j < cols; j++) n2 += m(i, j) ** 2;
              if (Math.abs(n2 - 1) > TOL)
                throw new DataError(
                  field,
                  `rows of unit length (${keyword})`,
                  `row ${i + 1} with squared length ${n2}`,
                );
            }
          }
        }
        break;
      }
      default:
        break;
    }
  }
}

/** `y[2, 3]`: the name of the k-th (0-based) element of an array of the given dimensions. */
function arrayField(name: string, dims: readonly number[], k: number): string {
  const idx: number[] = [];
  let rest = k;
  for (let i = dims.length - 1; i >= 0; i--) {
    const n = dims[i] as number;
    idx.unshift((rest % n) + 1);
    rest = Math.floor(rest / n);
  }
  return fieldName(name, idx);
}

function choleskyOk(n: number, m: (i: number, j: number) => number): boolean {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = m(j, j);
    for (let k = 0; k < j; k++) s -= (l[j * n + k] as number) ** 2;
    if (!(s > 0)) return false;
    const d = Math.sqrt(s);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = m(i, j);
      for (let k = 0; k < j; k++) t -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = t / d;
    }
  }
  return true;
}

/**
 * Validates Stan-JSON `json` against `program`'s data block and returns the values (see the module comment).
 * Throws DataError at the first problem.
 */
export function validateStanData(program: Program, json: unknown): StanDataValues {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DataError('(data)', 'a JSON object mapping names to values', describe(json));
  }
  const data = json as Record<string, unknown>;
  const env = new Map<string, DataValue>();
  const evaluator = new Evaluator(env);
  const evalIn = <R>(decl: VarDecl, what: string, f: () => R): R => {
    try {
      return f();
    } catch (e) {
      if (e instanceof EvalError) {
        throw new DataError(
          decl.name,
          `a ${what} that can be computed from earlier data`,
          `one that cannot (${e.message})`,
        );
      }
      throw e;
    }
  };
  for (const decl of blockDecls(program.data)) {
    const base = baseOfKeyword(decl.declType.keyword);
    const type: StanType = { base, dims: decl.arraySizes.length };
    if (base === 'complex') throw new DataError(decl.name, 'a supported type', 'complex (not supported)');
    const sizeExprs = [...decl.arraySizes, ...decl.declType.sizes];
    const sizes = sizeExprs.map((e, k) =>
      evalIn(decl, 'size', () => {
        const s = evaluator.scalarOf(e, 'the size');
        if (!s.int) throw new EvalError('the size is not an int');
        if (s.v < 0) throw new DataError(decl.name, `a non-negative size (size ${k + 1})`, String(s.v));
        return s.v;
      }),
    );
    // Square shapes: cov_matrix[K] is K x K; cholesky_factor_cov[M] is M x M.
    const kw = decl.declType.keyword;
    if (
      (kw === 'cov_matrix' ||
        kw === 'corr_matrix' ||
        kw === 'cholesky_factor_corr' ||
        kw === 'cholesky_factor_cov') &&
      decl.declType.sizes.length === 1
    ) {
      sizes.push(sizes[sizes.length - 1] as number);
    }
    const total = sizes.reduce((p, q) => p * q, 1);
    const values = new Float64Array(total);
    const raw = data[decl.name];
    if (raw === undefined && total > 0) {
      throw new DataError(decl.name, `a value of type ${describeDecl(decl, sizes)}`, describe(raw));
    }
    if (raw !== undefined) readElements(decl.name, raw, sizes, base === 'int', values);
    const d: DataValue = { type, shape: sizes, values };
    const shapeIndex = (i: number): string => {
      if (sizes.length === 0) return decl.name;
      const idx: number[] = [];
      let rest = i;
      for (let k = sizes.length - 1; k >= 0; k--) {
        const n = sizes[k] as number;
        idx.unshift((rest % n) + 1);
        rest = Math.floor(rest / n);
      }
      return fieldName(decl.name, idx);
    };
    const c = decl.declType.constraint;
    if (c.kind === 'bounds') {
      const lower = c.lower ? evalIn(decl, 'lower bound', () => evaluator.eval(c.lower as Expr)) : undefined;
      const upper = c.upper ? evalIn(decl, 'upper bound', () => evaluator.eval(c.upper as Expr)) : undefined;
      checkBounds(decl, d, lower, upper, shapeIndex);
    }
    checkSpecial(decl, d, shapeIndex);
    env.set(decl.name, d);
  }
  return env;
}

/** The declaration with its sizes evaluated: `array[8] real`, `vector[3]`, `cov_matrix[2]`. */
function describeDecl(decl: VarDecl, sizes: readonly number[]): string {
  const nArray = decl.arraySizes.length;
  const array = nArray > 0 ? `array[${sizes.slice(0, nArray).join(', ')}] ` : '';
  const inner = sizes.slice(nArray, nArray + decl.declType.sizes.length);
  return `${array}${decl.declType.keyword}${inner.length > 0 ? `[${inner.join(', ')}]` : ''}`;
}
