/**
 * Stan's ODE solvers (integrate_ode_rk45/_bdf/_adams, ode_rk45/_bdf/_adams/_ckrk and their _tol forms), lowered to
 * ordinary IR (ir.ts): an adaptive Dormand–Prince 5(4) solver (the method of Stan's rk45) written as locals, loops
 * and calls of the user's right-hand side, which lower.ts inlines once, inside the loop over the stages. The
 * interpreter (float64, forward mode) and the WGSL run it like any other statements, so the derivative of the
 * solution is that of the discretised solver with its step sequence held fixed: the state and the stages carry
 * tangents; time, step size and error norm do not (inactive locals; the norm is a `value_of`). With a tolerance
 * met, that is the sensitivity of the exact solution to within about the tolerance.
 *
 * - The step size is chosen from the error norm of the embedded 4th-order solution (RMS over the state, scaled
 *   by atol + rtol max(|y|, |y_new|)), as Hairer, Nørsett and Wanner's DOPRI5: factor 0.9 err^(-1/5) within [0.2,
 *   5]; a step is clipped to land on each output time, and the last stage of an accepted step is the first of the
 *   next (FSAL).
 * - max_num_steps counts the steps (accepted or not) between two output times, as Stan does; past it, or when
 *   the step size no longer advances t (a solution gone to inf or NaN), or the output times decrease, or the
 *   right-hand side returns the wrong size, the solve rejects (lp = -inf, with a message in the interpreter's
 *   Evaluation), as Stan's solvers throw and reject the draw.
 * - The stiff solvers (bdf, adams) are solved by the same explicit method with their own default tolerances.
 * - f32 (the WGSL): the relative tolerance is raised to at least ODE_F32_MIN_RTOL (the `ode_rtol` primitive,
 *   identity in float64): the f32 state rounds by about 6e-8 relative at each step, so a tighter local error
 *   only adds steps; max_num_steps is at most ODE_F32_MAX_STEPS (`ode_max_steps`).
 */
import { c, call, forIn, type Expr, type ScalarKind, type ScratchEnv, type Stmt } from './ir';

/** The least relative tolerance of the WGSL's solves (shaders/stan/runtime.wgsl, stan_ode_rtol). */
export const ODE_F32_MIN_RTOL = 1e-5;
/**
 * The most steps between two output times of the WGSL's solves (stan_ode_max_steps): a stiff draw under bdf's
 * default 1e8 would hold the whole dispatch (and trip a GPU watchdog); past it the draw rejects.
 */
export const ODE_F32_MAX_STEPS = 1e5;

/** Dormand–Prince 5(4), stages 1..7: a[s][j] (row 7 is the 5th-order weights b), then b − b̂ (the error weights), then c. */
export const DORMAND_PRINCE: readonly (readonly number[])[] = [
  [0, 0, 0, 0, 0, 0, 0],
  [1 / 5, 0, 0, 0, 0, 0, 0],
  [3 / 40, 9 / 40, 0, 0, 0, 0, 0],
  [44 / 45, -56 / 15, 32 / 9, 0, 0, 0, 0],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0, 0, 0],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0, 0],
  [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
  [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40],
  [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
];
const ERROR_ROW = 8;
const NODE_ROW = 9;
const STAGES = 7;

export interface OdeEnv extends ScratchEnv {
  /** A size id for a constant. */
  constSize(n: number): number;
  /** DORMAND_PRINCE[row - 1][col - 1] (1-based int expressions), read from data the host wrote. */
  tableau(row: Expr, col: Expr): Expr;
}

export interface OdeProblem {
  /** The Stan function called (for messages). */
  readonly name: string;
  /** Size ids: the state's length N and the number of output times T. */
  readonly n: number;
  readonly times: number;
  /** y0[i], ts[i] (1-based int expressions). */
  readonly y0: (i: Expr) => Expr;
  readonly t0: Expr;
  readonly ts: (i: Expr) => Expr;
  readonly rtol: Expr;
  readonly atol: Expr;
  readonly maxSteps: Expr;
  /**
   * The right-hand side at (t, y), y read through `y(i)`: statements to run, then element i of the result and
   * its length (an int expression).
   */
  readonly rhs: (t: Expr, y: (i: Expr) => Expr) => { stmts: Stmt[]; at: (i: Expr) => Expr; length: Expr };
}

const int = (fn: string, ...args: Expr[]): Expr => call(fn, args, 'int');
const real = (fn: string, ...args: Expr[]): Expr => call(fn, args, 'real');
const loopVar = (id: number): Expr => ({ k: 'loop', id, t: 'int' });
const sizeOf = (id: number): Expr => ({ k: 'size', id, t: 'int' });
const when = (cond: Expr, then: Stmt[], otherwise: Stmt[] = []): Stmt => ({
  k: 'if',
  cond,
  then,
  else: otherwise,
});

/**
 * The solve as statements, and the solution at output time i, element n (1-based), which they leave in a local.
 */
export function dormandPrince(p: OdeProblem, env: OdeEnv): { stmts: Stmt[]; at: (i: Expr, n: Expr) => Expr } {
  const N = sizeOf(p.n);
  const scalarStore = (name: string, t: ScalarKind) => {
    const s = env.store(`${p.name}__${name}`, t, [], false);
    return { alloc: s.alloc, get: s.read([]), set: (v: Expr) => s.write([], v) };
  };
  const out = env.store(`${p.name}__y`, 'real', [p.times, p.n], true);
  const y = env.store(`${p.name}__state`, 'real', [p.n], true);
  const yt = env.store(`${p.name}__stage_state`, 'real', [p.n], true);
  const k = env.store(`${p.name}__stages`, 'real', [env.constSize(STAGES), p.n], true);
  const t = scalarStore('t', 'real');
  const h = scalarStore('h', 'real');
  const hs = scalarStore('step', 'real');
  const err = scalarStore('error', 'real');
  const last = scalarStore('clipped', 'int');
  const steps = scalarStore('steps', 'int');
  const start = scalarStore('first_stage', 'int');
  const fail = scalarStore('failed', 'int');

  const failWith = (message: string): Stmt[] => [
    fail.set(c(1, 'int')),
    { k: 'reject', message },
    { k: 'break' },
  ];
  const failed = int('ne', fail.get, c(0, 'int'));
  const overState = (body: (n: Expr) => Stmt[]): Stmt => {
    const id = env.loopId();
    return forIn(id, c(1, 'int'), N, body(loopVar(id)));
  };
  const weighted = (row: Expr, count: Expr, n: Expr): Expr => {
    const j = env.loopId();
    const body = real('mul', env.tableau(row, loopVar(j)), k.read([loopVar(j), n]));
    return { k: 'reduce', op: 'sum', id: j, count, body, t: 'real' };
  };

  // One step of size hs from (t, y): the stages (from the second once the first is the last one's FSAL copy).
  const sId = env.loopId();
  const s = loopVar(sId);
  const f = p.rhs(real('add', t.get, real('mul', env.tableau(c(NODE_ROW, 'int'), s), hs.get)), (i) =>
    yt.read([i]),
  );
  const stage = forIn(sId, start.get, c(STAGES, 'int'), [
    overState((n) => [
      yt.write(
        [n],
        real('add', y.read([n]), real('mul', hs.get, weighted(s, int('sub', s, c(1, 'int')), n))),
      ),
    ]),
    ...f.stmts,
    when(
      int('ne', f.length, N),
      failWith(`${p.name}: the right-hand side returned a state of the wrong size`),
    ),
    overState((n) => [k.write([s, n], f.at(n))]),
  ]);

  // The error norm (values only: it steers the step size), then the step size factor.
  const nId = env.loopId();
  const n = loopVar(nId);
  const scale = real(
    'add',
    p.atol,
    real(
      'mul',
      real('ode_rtol', p.rtol),
      real('fmax', real('fabs', y.read([n])), real('fabs', yt.read([n]))),
    ),
  );
  const estimate = real('mul', hs.get, weighted(c(ERROR_ROW, 'int'), c(STAGES, 'int'), n));
  const sumSq: Expr = {
    k: 'reduce',
    op: 'sum',
    id: nId,
    count: N,
    body: real('square', real('div', estimate, scale)),
    t: 'real',
  };
  const norm = call('value_of', [real('sqrt', real('div', sumSq, real('add', N, c(0))))], 'real');
  const factor = real(
    'fmin',
    c(5),
    real('fmax', c(0.2), real('mul', c(0.9), real('pow', real('fmax', err.get, c(1e-10)), c(-0.2)))),
  );

  const iId = env.loopId();
  const i = loopVar(iId);
  const tsI = p.ts(i);
  const accept: Stmt[] = [
    overState((m) => [y.write([m], yt.read([m])), k.write([c(1, 'int'), m], k.read([c(STAGES, 'int'), m]))]),
    t.set({ k: 'select', cond: last.get, a: tsI, b: real('add', t.get, hs.get), t: 'real' }),
    h.set({
      k: 'select',
      cond: last.get,
      a: real('fmax', h.get, real('mul', hs.get, factor)),
      b: real('mul', hs.get, factor),
      t: 'real',
    }),
  ];
  // A rejected step shrinks; an error norm that is not a number (no comparison holds) shrinks it the most.
  const retry: Stmt[] = [
    h.set(
      real('mul', hs.get, { k: 'select', cond: int('gt', err.get, c(1)), a: factor, b: c(0.2), t: 'real' }),
    ),
  ];
  const stepLoop: Stmt = {
    k: 'while',
    cond: int('and', int('lt', t.get, tsI), int('eq', fail.get, c(0, 'int'))),
    body: [
      steps.set(int('add', steps.get, c(1, 'int'))),
      when(
        int('gt', steps.get, real('ode_max_steps', p.maxSteps)),
        failWith(`${p.name}: max_num_steps exceeded between two output times (the solve rejects the point)`),
      ),
      last.set(int('ge', real('add', t.get, h.get), tsI)),
      hs.set({ k: 'select', cond: last.get, a: real('sub', tsI, t.get), b: h.get, t: 'real' }),
      stage,
      start.set(c(2, 'int')),
      when(failed, [{ k: 'break' }]),
      err.set(norm),
      when(int('le', err.get, c(1)), accept, retry),
      when(
        int('le', real('add', t.get, h.get), t.get),
        failWith(`${p.name}: the step size became too small (the solution is not finite?)`),
      ),
    ],
  };

  const stmts: Stmt[] = [
    ...[out, y, yt, k].flatMap((x) => x.alloc),
    ...[t, h, hs, err, last, steps, start, fail].flatMap((x) => x.alloc),
    overState((m) => [y.write([m], p.y0(m))]),
    t.set(p.t0),
    h.set(real('mul', c(1e-3), real('sub', p.ts(sizeOf(p.times)), p.t0))),
    start.set(c(1, 'int')),
    fail.set(c(0, 'int')),
    forIn(iId, c(1, 'int'), sizeOf(p.times), [
      when(int('lt', tsI, t.get), failWith(`${p.name}: the output times must increase from t0`)),
      steps.set(c(0, 'int')),
      stepLoop,
      when(failed, [{ k: 'break' }]),
      overState((m) => [out.write([i, m], y.read([m]))]),
    ]),
  ];
  return { stmts, at: (ti, m) => out.read([ti, m]) };
}
