/**
 * Stan's hmm_marginal(log_omega, Gamma, rho), lowered to ordinary IR (ir.ts): the log marginal density of a
 * hidden Markov model with K states over N steps, by the forward algorithm, as Stan Math defines it:
 * log_omega[k, n] the log density of observation n in state k (K x N), Gamma[i, j] = P(state j at n + 1 | state i
 * at n) (K x K, rows simplexes), rho the distribution of the first state (a simplex).
 *
 * Why scaled and not in log space: a log-space pass (Stan's own loop form, posteriordb's hmm_example) takes K²
 * log-sum-exp terms per step, each with an exp, plus K logs; the scaled pass keeps alpha_n = p(state, y_1..n) /
 * p(y_1..n) normalised to sum 1 and takes K exps and one log per step. Each step subtracts the largest emission
 * log density before exponentiating (a value only: the shift cancels exactly, so it carries no derivative), so
 * nothing under- or overflows while the transition probabilities are representable. The derivatives are the
 * back end's forward-mode tangents through these statements; alpha and the step's K weights are the only stored
 * state (2K values), so nothing of size N is stored.
 *
 * Stan's argument checks reject the point here (lp = -inf), as Stan's throw rejects the draw: sizes that do not
 * match, no observation, and Gamma's rows or rho not simplexes. The simplex test allows SIMPLEX_TOLERANCE (Stan's
 * 1e-8 is below f32's rounding of a sum of K parameters' softmax).
 */
import { c, call, forIn, type Expr, type ScratchEnv, type Stmt } from './ir';

/** |sum - 1| allowed of Gamma's rows and of rho, and the least element (-tolerance), in both back ends. */
export const SIMPLEX_TOLERANCE = 1e-5;

export interface HmmProblem {
  /** Size id of K (the rows of log_omega) and int expressions of the other sizes Stan checks. */
  readonly k: number;
  readonly n: Expr;
  readonly gammaRows: Expr;
  readonly gammaCols: Expr;
  readonly rhoSize: Expr;
  /** 1-based int expressions. */
  readonly logOmega: (k: Expr, n: Expr) => Expr;
  readonly gamma: (i: Expr, j: Expr) => Expr;
  readonly rho: (k: Expr) => Expr;
  /** Whether any argument carries derivatives. */
  readonly active: boolean;
}

const int = (fn: string, ...args: Expr[]): Expr => call(fn, args, 'int');
const real = (fn: string, ...args: Expr[]): Expr => call(fn, args, 'real');
const loopVar = (id: number): Expr => ({ k: 'loop', id, t: 'int' });

/** The statements to run before the expression, and the expression of the log marginal. */
export function hmmMarginal(p: HmmProblem, env: ScratchEnv): { stmts: Stmt[]; value: Expr } {
  const K: Expr = { k: 'size', id: p.k, t: 'int' };
  const reduce = (op: 'sum' | 'max' | 'min', body: (i: Expr) => Expr): Expr => {
    const id = env.loopId();
    return { k: 'reduce', op, id, count: K, body: body(loopVar(id)), t: 'real' };
  };
  const loop = (lower: Expr, upper: Expr, body: (i: Expr) => Stmt[]): Stmt => {
    const id = env.loopId();
    return forIn(id, lower, upper, body(loopVar(id)));
  };
  const rejectIf = (cond: Expr, why: string): Stmt => ({
    k: 'if',
    cond,
    then: [{ k: 'reject', message: `hmm_marginal: ${why} (the point is rejected)` }],
    else: [],
  });
  const notSimplex = (el: (j: Expr) => Expr): Expr =>
    int(
      'or',
      int('gt', real('fabs', real('sub', reduce('sum', el), c(1))), c(SIMPLEX_TOLERANCE)),
      int('lt', reduce('min', el), c(-SIMPLEX_TOLERANCE)),
    );

  const alpha = env.store('hmm_marginal__alpha', 'real', [p.k], p.active);
  const weights = env.store('hmm_marginal__weights', 'real', [p.k], p.active);
  const lp = env.store('hmm_marginal__lp', 'real', [], p.active);
  const shift = env.store('hmm_marginal__shift', 'real', [], false);
  const norm = env.store('hmm_marginal__norm', 'real', [], p.active);
  // The largest emission log density of step n, as a value (it only scales the step's weights).
  const setShift = (n: Expr): Stmt =>
    shift.write([], call('value_of', [reduce('max', (k) => p.logOmega(k, n))], 'real'));
  const emission = (k: Expr, n: Expr): Expr => real('exp', real('sub', p.logOmega(k, n), shift.read([])));
  // Normalise the weights into alpha and add the step's log normaliser (with its shift) to lp.
  const normalise = (): Stmt[] => [
    norm.write(
      [],
      reduce('sum', (k) => weights.read([k])),
    ),
    lp.write([], real('add', lp.read([]), real('add', shift.read([]), real('log', norm.read([]))))),
    loop(c(1, 'int'), K, (k) => [alpha.write([k], real('div', weights.read([k]), norm.read([])))]),
  ];

  const stmts: Stmt[] = [
    ...alpha.alloc,
    ...weights.alloc,
    ...lp.alloc,
    ...shift.alloc,
    ...norm.alloc,
    rejectIf(
      int(
        'or',
        int('or', int('ne', p.gammaRows, K), int('ne', p.gammaCols, K)),
        int('or', int('ne', p.rhoSize, K), int('lt', p.n, c(1, 'int'))),
      ),
      'log_omega must be K x N with N >= 1, Gamma K x K and rho of size K',
    ),
    loop(c(1, 'int'), K, (i) => [
      rejectIf(
        notSimplex((j) => p.gamma(i, j)),
        'a row of Gamma is not a simplex',
      ),
    ]),
    rejectIf(
      notSimplex((k) => p.rho(k)),
      'rho is not a simplex',
    ),
    lp.write([], c(0)),
    setShift(c(1, 'int')),
    loop(c(1, 'int'), K, (k) => [weights.write([k], real('mul', p.rho(k), emission(k, c(1, 'int'))))]),
    ...normalise(),
    loop(c(2, 'int'), p.n, (n) => [
      setShift(n),
      loop(c(1, 'int'), K, (k) => [
        weights.write(
          [k],
          real(
            'mul',
            emission(k, n),
            reduce('sum', (j) => real('mul', alpha.read([j]), p.gamma(j, k))),
          ),
        ),
      ]),
      ...normalise(),
    ]),
  ];
  return { stmts, value: lp.read([]) };
}
