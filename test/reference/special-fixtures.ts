/**
 * The special-function reference values (test/reference/fixtures/special.json, written by
 * special_fixtures.py with mpmath) and the error measure both special-function tests use.
 */
import { readFileSync } from 'node:fs';

export interface SpecialCase {
  readonly args: readonly number[];
  readonly value: number;
}

export interface SpecialGroup {
  readonly name: string;
  /** The function's name without the math_ prefix, as in Stan: lgamma, log1p_exp, inv_Phi, ... */
  readonly fn: string;
  readonly arity: number;
  readonly cases: readonly SpecialCase[];
}

type Encoded = number | 'Infinity' | '-Infinity' | 'NaN';

function decode(value: Encoded): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (value === 'NaN') return NaN;
  throw new Error(`special.json: unexpected value ${JSON.stringify(value)}`);
}

export function loadSpecialFixtures(): SpecialGroup[] {
  const url = new URL('./fixtures/special.json', import.meta.url);
  const json = JSON.parse(readFileSync(url, 'utf8')) as {
    groups: Record<string, { fn: string; arity: number; cases: Encoded[][] }>;
  };
  return Object.entries(json.groups).map(([name, group]) => ({
    name,
    fn: group.fn,
    arity: group.arity,
    cases: group.cases.map((row) => ({
      args: row.slice(0, group.arity).map(decode),
      value: decode(row[group.arity] as Encoded),
    })),
  }));
}

/**
 * |got - want| / max(|want|, floor): relative error, or absolute below `floor` (for results that cross zero,
 * where only an absolute accuracy is meaningful). Non-finite expectations must match exactly (NaN with NaN).
 */
export function specialError(got: number, want: number, floor: number): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(want)) return got === want ? 0 : Infinity;
  if (!Number.isFinite(got)) return Infinity;
  if (got === want) return 0;
  return Math.abs(got - want) / Math.max(Math.abs(want), floor);
}

const inf = Infinity;

/**
 * The edges of the domains, the same for both twins and checked exactly: infinities and exact zeros at the
 * boundaries, NaN outside. [function, args, value].
 */
export const SPECIAL_EDGES: readonly (readonly [string, readonly number[], number])[] = [
  ['log1p', [-1], -inf],
  ['log1p', [-2], NaN],
  ['log1p', [inf], inf],
  ['log1p', [0], 0],
  ['expm1', [-inf], -1],
  ['expm1', [inf], inf],
  ['log1p_exp', [inf], inf],
  ['log1p_exp', [-inf], 0],
  ['log1m_exp', [0], -inf],
  ['log1m_exp', [1], NaN],
  ['log1m_exp', [-inf], 0],
  ['log_diff_exp', [1, 2], NaN],
  ['log_diff_exp', [2, -inf], 2],
  ['log_diff_exp', [1, 1], -inf],
  ['log_sum_exp2', [-inf, -inf], -inf],
  ['log_sum_exp2', [inf, 1], inf],
  ['log_sum_exp2', [3, -inf], 3],
  ['inv_logit', [inf], 1],
  ['inv_logit', [-inf], 0],
  ['logit', [0], -inf],
  ['logit', [1], inf],
  ['logit', [0.5], 0],
  ['logit', [-0.5], NaN],
  ['logit', [1.5], NaN],
  ['lgamma', [0], inf],
  ['lgamma', [-3], inf],
  ['lgamma', [1], 0],
  ['lgamma', [2], 0],
  ['lgamma', [inf], inf],
  ['lgamma', [-inf], inf],
  ['digamma', [0], NaN],
  ['digamma', [-2], NaN],
  ['digamma', [inf], inf],
  ['trigamma', [0], inf],
  ['trigamma', [-2], inf],
  ['lbeta', [0, 1], inf],
  ['lbeta', [-1, 2], NaN],
  ['lbeta', [inf, 2], -inf],
  ['lchoose', [5, 0], 0],
  ['lchoose', [5, 5], 0],
  ['lchoose', [5, 7], NaN],
  ['lchoose', [-2, 1], NaN],
  ['erf', [inf], 1],
  ['erf', [-inf], -1],
  ['erf', [0], 0],
  ['erfc', [inf], 0],
  ['erfc', [-inf], 2],
  ['erfcx', [inf], 0],
  ['erfcx', [-inf], inf],
  ['Phi', [-inf], 0],
  ['Phi', [inf], 1],
  ['log_Phi', [-inf], -inf],
  ['log_Phi', [inf], 0],
  ['inv_mills', [-inf], inf],
  ['inv_mills', [inf], 0],
  ['inv_Phi', [0], -inf],
  ['inv_Phi', [1], inf],
  ['inv_Phi', [0.5], 0],
  ['inv_Phi', [-0.25], NaN],
  ['inv_Phi', [1.25], NaN],
  ['lmgamma', [-1, 2], NaN],
  ['lmgamma', [0, 2], 0],
  ['log_falling_factorial', [-1, 1], NaN],
  ['log_falling_factorial', [4, 0], 0],
  ['log_rising_factorial', [-1, 2], NaN],
  ['log_rising_factorial', [4, 0], 0],
];

/** The edge cases as fixture-like groups, one per function (name `<fn> edges`). */
export function specialEdgeGroups(): SpecialGroup[] {
  const byFn = new Map<string, SpecialCase[]>();
  for (const [fn, args, value] of SPECIAL_EDGES) byFn.set(fn, [...(byFn.get(fn) ?? []), { args, value }]);
  return [...byFn].map(([fn, cases]) => ({
    name: `${fn} edges`,
    fn,
    arity: cases[0]?.args.length ?? 1,
    cases,
  }));
}
