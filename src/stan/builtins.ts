/**
 * Signatures of the Stan built-in functions and distributions the checker knows, as a table the back end can
 * read too. Not all of Stan: the survey below (every call and `~` in the 113 posteriordb models under
 * /work/shared, counted by scripts/stan-parse-table.ts's walk) is covered, plus the common elementwise math,
 * the reductions and the usual univariate families, so that small edits of those models still check.
 *
 * Survey (name: uses). Calls: append_col 3, append_row 7, bernoulli_logit_glm_lpmf 1, bernoulli_logit_lpmf 4,
 * bernoulli_lpmf 26, bernoulli_rng 6, binomial_logit_lpmf 3, binomial_lpmf 3, binomial_rng 7, categorical_lpmf 2,
 * categorical_rng 2, cholesky_decompose 4, col 1, cols 10, cumulative_sum 7, diag_matrix 1, diag_pre_multiply 2,
 * dims 2, dot_product 9, dot_self 2, eigenvalues_sym 2, eigenvectors_sym 2, exp 17, gp_exp_quad_cov 8,
 * integrate_ode_bdf 1, integrate_ode_rk45 3, inv_gamma_lpdf 2, inv_logit 11, log 44, log1m_inv_logit 1,
 * log_inv_logit 1, log_mix 3, log_sum_exp 25, logit 4, lognormal_rng 3, max 9, mean 19, min 4,
 * multi_normal_cholesky_lpdf 1, multi_normal_lpdf 1, multi_normal_rng 1, multiply_lower_tri_self_transpose 2,
 * negative_infinity 4, normal_lpdf 56, normal_rng 3, pi 2, poisson_log_rng 1, pow 1, prod 4, quad_form_diag 1,
 * rep_array 3, rep_matrix 30, rep_row_vector 1, rep_vector 24, rows 27, sd 5, segment 1, size 1, softmax 9,
 * sqrt 21, square 12, student_t_lccdf 4, student_t_lpdf 8, sub_col 8, sum 23, tail 8, tanh 1, to_matrix 1,
 * to_vector 8, transpose 4, uniform_rng 4.
 * `~`: bernoulli 4, bernoulli_logit 7, bernoulli_logit_glm 10, beta 13, binomial 8, binomial_logit 5,
 * categorical_logit 1, cauchy 22, dirichlet 13, double_exponential 1, exponential 10, gamma 8, inv_gamma 4,
 * lkj_corr_cholesky 3, logistic 1, lognormal 17, neg_binomial_2 4, normal 260, poisson 2, poisson_log 5,
 * std_normal 1, student_t 6, uniform 9, weibull 4.
 *
 * Argument patterns: a concrete type (`real`, `vector`, `array[] int`, ...; an int argument also matches real,
 * array[] int matches array[] real), or one of the families: `ints` (int, array[] int), `reals` (int, real,
 * array[] int/real, vector, row_vector), `vectors` (vector, row_vector or a 1-d array of them), `any`, `fn` (the
 * name of a user function, for the ODE solvers).
 */

import type { BaseType, StanType } from './ast';

export type ArgPattern = string;

/** How the result type follows from the argument types (already matched against `args`). */
export type ReturnRule = StanType | ((args: readonly StanType[]) => StanType);

export interface Overload {
  readonly args: readonly ArgPattern[];
  readonly ret: ReturnRule;
}

const T = (base: BaseType, dims = 0): StanType => ({ base, dims });
export const INT = T('int');
export const REAL = T('real');
const VECTOR = T('vector');
const MATRIX = T('matrix');

/** `array[,] real` -> {real, 2}. Throws on a malformed table entry (a bug here, caught by the unit tests). */
export function parseTypeName(name: string): StanType {
  const m = /^(?:array\[(,*)\] )?(int|real|complex|vector|row_vector|matrix)$/.exec(name);
  if (!m) throw new Error(`builtins.ts: bad type ${name}`);
  return { base: m[2] as BaseType, dims: m[1] === undefined ? 0 : m[1].length + 1 };
}

/** Stan's spelling of a type, for messages. */
export function typeName(t: StanType): string {
  return t.dims === 0 ? t.base : `array[${','.repeat(t.dims - 1)}] ${t.base}`;
}

const isScalar = (t: StanType): boolean => t.dims === 0 && (t.base === 'int' || t.base === 'real');
const promote = (t: StanType): StanType => (t.base === 'int' ? { base: 'real', dims: t.dims } : t);

/** Whether a value of type `t` can be passed where `target` is expected (int -> real promotion). */
export function assignable(target: StanType, t: StanType): boolean {
  if (target.dims !== t.dims) return false;
  if (target.base === t.base) return true;
  if (target.base === 'real' && t.base === 'int') return true;
  if (target.base === 'complex' && (t.base === 'int' || t.base === 'real')) return true;
  return false;
}

export function matchesPattern(pattern: ArgPattern, t: StanType): boolean {
  switch (pattern) {
    case 'any':
      return true;
    case 'ints':
      return t.base === 'int' && t.dims <= 1;
    case 'reals':
      return (
        ((t.base === 'int' || t.base === 'real') && t.dims <= 1) ||
        ((t.base === 'vector' || t.base === 'row_vector') && t.dims === 0)
      );
    case 'vectors':
      return (t.base === 'vector' || t.base === 'row_vector') && t.dims <= 1;
    case 'fn':
      return false; // checked by the caller, which sees the name
    default:
      return assignable(parseTypeName(pattern), t);
  }
}

// --- families of signatures ----------------------------------------------------------------------------------

const sig = (ret: ReturnRule | string, ...args: ArgPattern[]): Overload => ({
  args,
  ret: typeof ret === 'string' ? parseTypeName(ret) : ret,
});

/** Elementwise functions of one argument: any int/real/vector/row_vector/matrix, in arrays too; int -> real. */
const ELEMENTWISE_UNARY = [
  'exp',
  'log',
  'sqrt',
  'cbrt',
  'square',
  'inv',
  'inv_sqrt',
  'inv_square',
  'inv_logit',
  'logit',
  'log_inv_logit',
  'log1m_inv_logit',
  'inv_cloglog',
  'log1p',
  'log1m',
  'log1p_exp',
  'log1m_exp',
  'expm1',
  'exp2',
  'log2',
  'log10',
  'lgamma',
  'tgamma',
  'digamma',
  'trigamma',
  'Phi',
  'Phi_approx',
  'inv_Phi',
  'erf',
  'erfc',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'asinh',
  'acosh',
  'atanh',
  'floor',
  'ceil',
  'round',
  'trunc',
  'fabs',
  'step',
];

/** Elementwise functions of two arguments: scalars, or a container with a scalar or a container like it. */
const ELEMENTWISE_BINARY = [
  'pow',
  'fmin',
  'fmax',
  'fdim',
  'fmod',
  'atan2',
  'hypot',
  'lbeta',
  'lchoose',
  'binomial_coefficient_log',
  'log_diff_exp',
  'lmultiply',
  'multiply_log',
  'owens_t',
  'log_falling_factorial',
  'log_rising_factorial',
  'log_modified_bessel_first_kind',
  'gamma_p',
  'gamma_q',
  'falling_factorial',
  'rising_factorial',
];

function elementwiseUnaryResult(t: StanType): StanType | undefined {
  if (t.base === 'complex') return undefined;
  return promote(t);
}

/** The shape of an elementwise binary result, or undefined when the shapes do not combine. */
export function elementwiseBinaryResult(a: StanType, b: StanType): StanType | undefined {
  if (a.base === 'complex' || b.base === 'complex') return undefined;
  if (isScalar(a) && isScalar(b)) return REAL;
  if (isScalar(a)) return promote(b);
  if (isScalar(b)) return promote(a);
  const pa = promote(a);
  const pb = promote(b);
  if (pa.base === pb.base && pa.dims === pb.dims) return pa;
  return undefined;
}

/** A distribution family: `name_lpdf(variate | params...)` and its cdfs and rng. */
export interface Distribution {
  readonly name: string;
  /** Integer variates: `_lpmf`, else `_lpdf`. */
  readonly discrete: boolean;
  readonly variate: ArgPattern;
  readonly params: readonly ArgPattern[];
  /** Has `_cdf`, `_lcdf`, `_lccdf` (univariate families). */
  readonly cdf: boolean;
  /** The `_rng` result, given the parameter types; absent when there is no rng. */
  readonly rng?: (params: readonly StanType[]) => StanType;
}

// An rng of a vectorised univariate family returns an array when any parameter is a container.
const univariateRng =
  (base: 'int' | 'real') =>
  (params: readonly StanType[]): StanType =>
    params.every((p) => isScalar(p)) ? T(base) : T(base, 1);

const continuous = (name: string, nParams: number, cdf = true): Distribution => ({
  name,
  discrete: false,
  variate: 'reals',
  params: Array<ArgPattern>(nParams).fill('reals'),
  cdf,
  rng: univariateRng('real'),
});

const discrete = (name: string, params: ArgPattern[], cdf = true): Distribution => ({
  name,
  discrete: true,
  variate: 'ints',
  params,
  cdf,
  rng: univariateRng('int'),
});

const DISTRIBUTION_LIST: Distribution[] = [
  continuous('normal', 2),
  { ...continuous('std_normal', 0), rng: () => REAL },
  continuous('cauchy', 2),
  continuous('student_t', 3),
  continuous('double_exponential', 2),
  continuous('logistic', 2),
  continuous('lognormal', 2),
  continuous('exponential', 1),
  continuous('gamma', 2),
  continuous('inv_gamma', 2),
  continuous('weibull', 2),
  continuous('frechet', 2),
  continuous('rayleigh', 1),
  continuous('pareto', 2),
  continuous('pareto_type_2', 3),
  continuous('beta', 2),
  continuous('beta_proportion', 2, false),
  continuous('uniform', 2),
  continuous('chi_square', 1),
  continuous('inv_chi_square', 1),
  continuous('scaled_inv_chi_square', 2),
  continuous('gumbel', 2),
  continuous('skew_normal', 3),
  continuous('exp_mod_normal', 3),
  continuous('von_mises', 2),
  continuous('skew_double_exponential', 3),
  continuous('loglogistic', 2),
  discrete('bernoulli', ['reals']),
  discrete('bernoulli_logit', ['reals'], false),
  discrete('binomial', ['ints', 'reals']),
  discrete('binomial_logit', ['ints', 'reals'], false),
  discrete('beta_binomial', ['ints', 'reals', 'reals']),
  discrete('poisson', ['reals']),
  discrete('poisson_log', ['reals'], false),
  discrete('neg_binomial', ['reals', 'reals']),
  discrete('neg_binomial_2', ['reals', 'reals']),
  discrete('neg_binomial_2_log', ['reals', 'reals'], false),
  discrete('geometric', ['reals']),
  discrete('discrete_range', ['ints', 'ints']),
  { name: 'categorical', discrete: true, variate: 'ints', params: ['vector'], cdf: false, rng: () => INT },
  {
    name: 'categorical_logit',
    discrete: true,
    variate: 'ints',
    params: ['vector'],
    cdf: false,
    rng: () => INT,
  },
  {
    name: 'ordered_logistic',
    discrete: true,
    variate: 'ints',
    params: ['reals', 'vector'],
    cdf: false,
    rng: () => INT,
  },
  {
    name: 'ordered_probit',
    discrete: true,
    variate: 'ints',
    params: ['reals', 'vector'],
    cdf: false,
    rng: () => INT,
  },
  {
    name: 'multinomial',
    discrete: true,
    variate: 'array[] int',
    params: ['vector'],
    cdf: false,
    rng: () => T('int', 1),
  },
  {
    name: 'multinomial_logit',
    discrete: true,
    variate: 'array[] int',
    params: ['vector'],
    cdf: false,
    rng: () => T('int', 1),
  },
  // GLMs: y | x, alpha, beta (x a matrix, or a row_vector for one observation).
  {
    name: 'bernoulli_logit_glm',
    discrete: true,
    variate: 'ints',
    params: ['matrix', 'reals', 'vector'],
    cdf: false,
  },
  {
    name: 'poisson_log_glm',
    discrete: true,
    variate: 'ints',
    params: ['matrix', 'reals', 'vector'],
    cdf: false,
  },
  {
    name: 'neg_binomial_2_log_glm',
    discrete: true,
    variate: 'ints',
    params: ['matrix', 'reals', 'vector', 'real'],
    cdf: false,
  },
  {
    name: 'normal_id_glm',
    discrete: false,
    variate: 'vector',
    params: ['matrix', 'reals', 'vector', 'reals'],
    cdf: false,
  },
  // Multivariate.
  {
    name: 'multi_normal',
    discrete: false,
    variate: 'vectors',
    params: ['vectors', 'matrix'],
    cdf: false,
    rng: (p) => (p[0] && p[0].dims > 0 ? T('vector', 1) : VECTOR),
  },
  {
    name: 'multi_normal_cholesky',
    discrete: false,
    variate: 'vectors',
    params: ['vectors', 'matrix'],
    cdf: false,
    rng: (p) => (p[0] && p[0].dims > 0 ? T('vector', 1) : VECTOR),
  },
  {
    name: 'multi_student_t',
    discrete: false,
    variate: 'vectors',
    params: ['real', 'vectors', 'matrix'],
    cdf: false,
    rng: (p) => (p[1] && p[1].dims > 0 ? T('vector', 1) : VECTOR),
  },
  {
    name: 'dirichlet',
    discrete: false,
    variate: 'vector',
    params: ['vector'],
    cdf: false,
    rng: () => VECTOR,
  },
  { name: 'lkj_corr', discrete: false, variate: 'matrix', params: ['real'], cdf: false },
  { name: 'lkj_corr_cholesky', discrete: false, variate: 'matrix', params: ['real'], cdf: false },
  {
    name: 'wishart',
    discrete: false,
    variate: 'matrix',
    params: ['real', 'matrix'],
    cdf: false,
    rng: () => MATRIX,
  },
  {
    name: 'inv_wishart',
    discrete: false,
    variate: 'matrix',
    params: ['real', 'matrix'],
    cdf: false,
    rng: () => MATRIX,
  },
];

export const DISTRIBUTIONS: ReadonlyMap<string, Distribution> = new Map(
  DISTRIBUTION_LIST.map((d) => [d.name, d]),
);

// --- the function table ----------------------------------------------------------------------------------------

const sameAs =
  (i: number) =>
  (args: readonly StanType[]): StanType =>
    args[i] as StanType;
const arrayOf =
  (dims: number) =>
  (args: readonly StanType[]): StanType => {
    const t = args[0] as StanType;
    return { base: t.base, dims: t.dims + dims };
  };
const containers = ['array[] real', 'vector', 'row_vector', 'matrix'];
const reductions = (ret: string): Overload[] => containers.map((c) => sig(ret, c));

const TABLE: Record<string, Overload[]> = {
  // Sizes.
  rows: [sig('int', 'vector'), sig('int', 'row_vector'), sig('int', 'matrix')],
  cols: [sig('int', 'vector'), sig('int', 'row_vector'), sig('int', 'matrix')],
  size: [sig('int', 'any')],
  num_elements: [sig('int', 'any')],
  dims: [sig('array[] int', 'any')],
  // Constants.
  pi: [sig('real')],
  e: [sig('real')],
  sqrt2: [sig('real')],
  log2: [sig('real')],
  log10: [sig('real')],
  not_a_number: [sig('real')],
  positive_infinity: [sig('real')],
  negative_infinity: [sig('real')],
  machine_precision: [sig('real')],
  // Reductions.
  sum: [sig('int', 'array[] int'), ...reductions('real')],
  prod: [sig('int', 'array[] int'), ...reductions('real')],
  mean: reductions('real'),
  variance: reductions('real'),
  sd: reductions('real'),
  log_sum_exp: [sig('real', 'real', 'real'), ...reductions('real')],
  max: [
    sig('int', 'array[] int'),
    sig('int', 'int', 'int'),
    sig('real', 'real', 'real'),
    ...reductions('real'),
  ],
  min: [
    sig('int', 'array[] int'),
    sig('int', 'int', 'int'),
    sig('real', 'real', 'real'),
    ...reductions('real'),
  ],
  // Scalars.
  abs: [sig('int', 'int'), sig((a) => promote(a[0] as StanType), 'any')],
  int_step: [sig('int', 'real')],
  is_inf: [sig('int', 'real')],
  is_nan: [sig('int', 'real')],
  choose: [sig('int', 'int', 'int')],
  fma: [sig('real', 'real', 'real', 'real')],
  logical_negation: [sig('int', 'real')],
  log_mix: [
    sig('real', 'real', 'real', 'real'),
    sig('real', 'vector', 'vector'),
    sig('real', 'vector', 'array[] vector'),
  ],
  log_softmax: [sig('vector', 'vector')],
  softmax: [sig('vector', 'vector')],
  // Vectors and matrices.
  rep_vector: [sig('vector', 'real', 'int')],
  rep_row_vector: [sig('row_vector', 'real', 'int')],
  rep_matrix: [
    sig('matrix', 'real', 'int', 'int'),
    sig('matrix', 'vector', 'int'),
    sig('matrix', 'row_vector', 'int'),
  ],
  rep_array: [
    sig(arrayOf(1), 'any', 'int'),
    sig(arrayOf(2), 'any', 'int', 'int'),
    sig(arrayOf(3), 'any', 'int', 'int', 'int'),
  ],
  identity_matrix: [sig('matrix', 'int')],
  diag_matrix: [sig('matrix', 'vector')],
  diagonal: [sig('vector', 'matrix')],
  add_diag: [
    sig('matrix', 'matrix', 'real'),
    sig('matrix', 'matrix', 'vector'),
    sig('matrix', 'matrix', 'row_vector'),
  ],
  linspaced_vector: [sig('vector', 'int', 'real', 'real')],
  linspaced_row_vector: [sig('row_vector', 'int', 'real', 'real')],
  linspaced_array: [sig('array[] real', 'int', 'real', 'real')],
  one_hot_vector: [sig('vector', 'int', 'int')],
  zeros_vector: [sig('vector', 'int')],
  ones_vector: [sig('vector', 'int')],
  col: [sig('vector', 'matrix', 'int')],
  row: [sig('row_vector', 'matrix', 'int')],
  block: [sig('matrix', 'matrix', 'int', 'int', 'int', 'int')],
  sub_col: [sig('vector', 'matrix', 'int', 'int', 'int')],
  sub_row: [sig('row_vector', 'matrix', 'int', 'int', 'int')],
  head: [sig(sameAs(0), 'vector', 'int'), sig(sameAs(0), 'row_vector', 'int'), sig(sameAs(0), 'any', 'int')],
  tail: [sig(sameAs(0), 'vector', 'int'), sig(sameAs(0), 'row_vector', 'int'), sig(sameAs(0), 'any', 'int')],
  segment: [
    sig(sameAs(0), 'vector', 'int', 'int'),
    sig(sameAs(0), 'row_vector', 'int', 'int'),
    sig(sameAs(0), 'any', 'int', 'int'),
  ],
  reverse: [sig(sameAs(0), 'any')],
  sort_asc: [
    sig(sameAs(0), 'array[] int'),
    sig(sameAs(0), 'array[] real'),
    sig(sameAs(0), 'vector'),
    sig(sameAs(0), 'row_vector'),
  ],
  sort_desc: [
    sig(sameAs(0), 'array[] int'),
    sig(sameAs(0), 'array[] real'),
    sig(sameAs(0), 'vector'),
    sig(sameAs(0), 'row_vector'),
  ],
  sort_indices_asc: [sig('array[] int', 'any')],
  sort_indices_desc: [sig('array[] int', 'any')],
  rank: [sig('int', 'any', 'int')],
  cumulative_sum: [
    sig(sameAs(0), 'array[] int'),
    sig(sameAs(0), 'array[] real'),
    sig(sameAs(0), 'vector'),
    sig(sameAs(0), 'row_vector'),
  ],
  append_col: [
    sig('matrix', 'matrix', 'matrix'),
    sig('matrix', 'matrix', 'vector'),
    sig('matrix', 'vector', 'matrix'),
    sig('matrix', 'vector', 'vector'),
    sig('row_vector', 'row_vector', 'row_vector'),
    sig('row_vector', 'real', 'row_vector'),
    sig('row_vector', 'row_vector', 'real'),
  ],
  append_row: [
    sig('matrix', 'matrix', 'matrix'),
    sig('matrix', 'matrix', 'row_vector'),
    sig('matrix', 'row_vector', 'matrix'),
    sig('matrix', 'row_vector', 'row_vector'),
    sig('vector', 'vector', 'vector'),
    sig('vector', 'real', 'vector'),
    sig('vector', 'vector', 'real'),
  ],
  append_array: [sig(sameAs(0), 'any', 'any')],
  to_vector: [
    sig('vector', 'vector'),
    sig('vector', 'row_vector'),
    sig('vector', 'matrix'),
    sig('vector', 'array[] real'),
  ],
  to_row_vector: [
    sig('row_vector', 'vector'),
    sig('row_vector', 'row_vector'),
    sig('row_vector', 'matrix'),
    sig('row_vector', 'array[] real'),
  ],
  to_matrix: [
    sig('matrix', 'matrix'),
    sig('matrix', 'vector'),
    sig('matrix', 'row_vector'),
    sig('matrix', 'array[,] real'),
    sig('matrix', 'array[] row_vector'),
    sig('matrix', 'vector', 'int', 'int'),
    sig('matrix', 'row_vector', 'int', 'int'),
    sig('matrix', 'matrix', 'int', 'int'),
    sig('matrix', 'array[] real', 'int', 'int'),
  ],
  to_array_1d: [
    sig('array[] int', 'array[] int'),
    sig('array[] int', 'array[,] int'),
    sig('array[] real', 'any'),
  ],
  to_array_2d: [sig('array[,] real', 'matrix')],
  to_int: [sig('int', 'real'), sig('array[] int', 'array[] real')],
  transpose: [sig('row_vector', 'vector'), sig('vector', 'row_vector'), sig('matrix', 'matrix')],
  dot_product: [
    sig('real', 'vector', 'vector'),
    sig('real', 'row_vector', 'row_vector'),
    sig('real', 'vector', 'row_vector'),
    sig('real', 'row_vector', 'vector'),
    sig('real', 'array[] real', 'array[] real'),
  ],
  dot_self: [sig('real', 'vector'), sig('real', 'row_vector')],
  columns_dot_self: [sig('row_vector', 'matrix')],
  rows_dot_self: [sig('vector', 'matrix')],
  columns_dot_product: [sig('row_vector', 'matrix', 'matrix')],
  rows_dot_product: [sig('vector', 'matrix', 'matrix')],
  squared_distance: [sig('real', 'vector', 'vector'), sig('real', 'row_vector', 'row_vector')],
  distance: [sig('real', 'vector', 'vector'), sig('real', 'row_vector', 'row_vector')],
  norm1: [sig('real', 'vector'), sig('real', 'row_vector'), sig('real', 'array[] real')],
  norm2: [sig('real', 'vector'), sig('real', 'row_vector'), sig('real', 'array[] real')],
  crossprod: [sig('matrix', 'matrix')],
  tcrossprod: [sig('matrix', 'matrix')],
  quad_form: [sig('real', 'matrix', 'vector'), sig('matrix', 'matrix', 'matrix')],
  quad_form_diag: [sig('matrix', 'matrix', 'vector'), sig('matrix', 'matrix', 'row_vector')],
  quad_form_sym: [sig('real', 'matrix', 'vector'), sig('matrix', 'matrix', 'matrix')],
  trace: [sig('real', 'matrix')],
  determinant: [sig('real', 'matrix')],
  log_determinant: [sig('real', 'matrix')],
  inverse: [sig('matrix', 'matrix')],
  inverse_spd: [sig('matrix', 'matrix')],
  cholesky_decompose: [sig('matrix', 'matrix')],
  eigenvalues_sym: [sig('vector', 'matrix')],
  eigenvectors_sym: [sig('matrix', 'matrix')],
  multiply_lower_tri_self_transpose: [sig('matrix', 'matrix')],
  diag_pre_multiply: [sig('matrix', 'vector', 'matrix'), sig('matrix', 'row_vector', 'matrix')],
  diag_post_multiply: [sig('matrix', 'matrix', 'vector'), sig('matrix', 'matrix', 'row_vector')],
  mdivide_left_tri_low: [sig('vector', 'matrix', 'vector'), sig('matrix', 'matrix', 'matrix')],
  mdivide_right_tri_low: [sig('row_vector', 'row_vector', 'matrix'), sig('matrix', 'matrix', 'matrix')],
  mdivide_left_spd: [sig('vector', 'matrix', 'vector'), sig('matrix', 'matrix', 'matrix')],
  // Hidden Markov models: log_omega (K x N), Gamma (K x K), rho (K).
  hmm_marginal: [sig('real', 'matrix', 'matrix', 'vector')],
  // Gaussian-process covariances.
  gp_exp_quad_cov: [
    sig('matrix', 'array[] real', 'real', 'real'),
    sig('matrix', 'array[] vector', 'real', 'real'),
    sig('matrix', 'array[] real', 'array[] real', 'real', 'real'),
    sig('matrix', 'array[] vector', 'array[] vector', 'real', 'real'),
  ],
  // Its deprecated name (the same function).
  cov_exp_quad: [
    sig('matrix', 'array[] real', 'real', 'real'),
    sig('matrix', 'array[] vector', 'real', 'real'),
    sig('matrix', 'array[] real', 'array[] real', 'real', 'real'),
    sig('matrix', 'array[] vector', 'array[] vector', 'real', 'real'),
  ],
  // ODE solvers (old interface): f, y0, t0, ts, theta, x_r, x_i [, rel_tol, abs_tol, max_steps]. The
  // variadic ones (VARIADIC_ODE) are checked by the checker itself.
  integrate_ode_rk45: [
    sig(
      'array[,] real',
      'fn',
      'array[] real',
      'real',
      'array[] real',
      'array[] real',
      'array[] real',
      'array[] int',
    ),
    sig(
      'array[,] real',
      'fn',
      'array[] real',
      'real',
      'array[] real',
      'array[] real',
      'array[] real',
      'array[] int',
      'real',
      'real',
      'real',
    ),
  ],
  integrate_ode_bdf: [
    sig(
      'array[,] real',
      'fn',
      'array[] real',
      'real',
      'array[] real',
      'array[] real',
      'array[] real',
      'array[] int',
    ),
    sig(
      'array[,] real',
      'fn',
      'array[] real',
      'real',
      'array[] real',
      'array[] real',
      'array[] real',
      'array[] int',
      'real',
      'real',
      'real',
    ),
  ],
};

// integrate_ode_adams takes what integrate_ode_bdf takes.
TABLE.integrate_ode_adams = TABLE.integrate_ode_bdf ?? [];

for (const name of ELEMENTWISE_UNARY) {
  TABLE[name] = [
    ...(TABLE[name] ?? []),
    {
      args: ['any'],
      ret: (a) => elementwiseUnaryResult(a[0] as StanType) ?? REAL,
    },
  ];
}
for (const name of ELEMENTWISE_BINARY) {
  TABLE[name] = [
    { args: ['any', 'any'], ret: (a) => elementwiseBinaryResult(a[0] as StanType, a[1] as StanType) ?? REAL },
  ];
}

/** Names whose overload is elementwise (the checker verifies the shapes, which the `any` patterns do not). */
export const ELEMENTWISE_UNARY_NAMES: ReadonlySet<string> = new Set(ELEMENTWISE_UNARY);
export const ELEMENTWISE_BINARY_NAMES: ReadonlySet<string> = new Set(ELEMENTWISE_BINARY);

/** The variadic ODE solvers: (f, vector y0, real t0, array[] real ts, [rel_tol, abs_tol, max_num_steps,] ...). */
export const VARIADIC_ODE: ReadonlySet<string> = new Set(
  ['ode_rk45', 'ode_bdf', 'ode_adams', 'ode_ckrk'].flatMap((n) => [n, `${n}_tol`]),
);

/** Functions that take a user function's name as their first argument. */
export const HIGHER_ORDER: ReadonlySet<string> = new Set([
  'integrate_ode_rk45',
  'integrate_ode_bdf',
  'integrate_ode_adams',
  ...VARIADIC_ODE,
]);

/** Plain (non-distribution) built-in functions. */
export const FUNCTIONS: ReadonlyMap<string, readonly Overload[]> = new Map(Object.entries(TABLE));

export const DENSITY_SUFFIXES = [
  '_lpdf',
  '_lupdf',
  '_lpmf',
  '_lupmf',
  '_lcdf',
  '_lccdf',
  '_cdf',
  '_rng',
] as const;
export type DensitySuffix = (typeof DENSITY_SUFFIXES)[number];

/** `normal_lpdf` -> {family normal, suffix _lpdf}; undefined when the name is not a known family's function. */
export function splitDensityName(name: string): { dist: Distribution; suffix: DensitySuffix } | undefined {
  for (const suffix of DENSITY_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const dist = DISTRIBUTIONS.get(name.slice(0, -suffix.length));
    if (!dist) return undefined;
    const density = dist.discrete ? ['_lpmf', '_lupmf'] : ['_lpdf', '_lupdf'];
    if (density.includes(suffix)) return { dist, suffix };
    if ((suffix === '_lcdf' || suffix === '_lccdf' || suffix === '_cdf') && dist.cdf) return { dist, suffix };
    if (suffix === '_rng' && dist.rng) return { dist, suffix };
    return undefined;
  }
  return undefined;
}

/** The overloads of a distribution-family function (as a plain function of all its arguments). */
export function densityOverloads(dist: Distribution, suffix: DensitySuffix): Overload[] {
  if (suffix === '_rng') {
    const rng = dist.rng;
    if (!rng) return [];
    return [{ args: dist.params, ret: (a) => rng(a) }];
  }
  return [{ args: [dist.variate, ...dist.params], ret: REAL }];
}
