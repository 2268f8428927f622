/**
 * Lowering: a parsed Stan program (ast.ts) to the scalarised IR (ir.ts). Vector expressions are kept lazy
 * (`Lazy`: a shape and a function from 1-based indices to the scalar IR of that element), so `y ~ normal(X * beta,
 * sigma)` becomes one loop over the rows whose body computes row i's mean as a reduction: no vector of
 * parameter-dependent values is ever stored unless the program declares one. Shapes and int-ness come from the
 * declarations (this pass needs the parser's tree only). What is not supported yields a diagnostic naming the
 * construct and its line.
 */
import {
  diagnosticAt,
  type Expr as AExpr,
  type FunDef,
  type Program as AProgram,
  type Span,
  type StanDiagnostic,
  type Stmt as AStmt,
  type VarDecl,
} from './ast';
import {
  c,
  call,
  flatIndex,
  forIn,
  type Expr,
  type HostVar,
  type Local,
  type Program,
  type ScalarKind,
  type ScratchEnv,
  type Stmt,
} from './ir';
import { DORMAND_PRINCE, dormandPrince, type OdeEnv } from './ode';
import { hmmMarginal } from './hmm';
import { PRIMS } from './prims';
import { RNG_FAMILIES } from './rng';

export class Unsupported extends Error {
  constructor(
    readonly span: Span,
    message: string,
  ) {
    super(message);
  }
}

type Base = 'int' | 'real' | 'vector' | 'row_vector' | 'matrix';

/** A value as the lowering sees it: `arr` leading array dims, then the base's own dims. */
interface Lazy {
  readonly base: Base;
  readonly t: ScalarKind;
  /** Int expressions, outermost first: array dims, then rows (vector), cols (row_vector), rows and cols (matrix). */
  readonly shape: readonly Expr[];
  readonly arr: number;
  readonly at: (idx: readonly Expr[]) => Expr;
}

type Binding =
  | {
      readonly kind: 'host' | 'local';
      readonly id: number;
      readonly dims: readonly number[];
      readonly lazy: Lazy;
    }
  | { readonly kind: 'alias'; readonly lazy: Lazy };

/** The name a function's result slot is bound to in its body's root scope (no Stan identifier can clash). */
const RETURN_SLOT = '<return>';

/**
 * A user function being inlined: its result slot (made at the first `return` with a value, shaped like that
 * value) and, when it can return before its last statement, an int flag set on return that guards the rest.
 */
interface InlineCtx {
  readonly def: FunDef;
  loopDepth: number;
  slot?: {
    readonly base: Base;
    readonly t: ScalarKind;
    readonly dims: readonly number[];
    readonly arr: number;
  };
  flag?: { readonly read: Expr; readonly set: Stmt };
}

const LOG_2PI = Math.log(2 * Math.PI);
/** f32's unit roundoff 2^-23: the f32 Cholesky adds K times this times S_ii to each pivot (choleskyStmts). */
const CHOLESKY_PIVOT_TOLERANCE = 2 ** -23;

const sz = (id: number): Expr => ({ k: 'size', id, t: 'int' });
const scalar = (e: Expr): Lazy => ({ base: e.t, t: e.t, shape: [], arr: 0, at: () => e });

/** Unary functions applied elementwise, by Stan name -> primitive. */
const ELEMENTWISE: Readonly<Record<string, string>> = {
  exp: 'exp',
  log: 'log',
  log1p: 'log1p',
  expm1: 'expm1',
  log1m: 'log1m',
  log1p_exp: 'log1p_exp',
  log1m_exp: 'log1m_exp',
  inv_logit: 'inv_logit',
  logit: 'logit',
  log_inv_logit: 'log_inv_logit',
  log1m_inv_logit: 'log1m_inv_logit',
  lgamma: 'lgamma',
  square: 'square',
  sqrt: 'sqrt',
  fabs: 'fabs',
  abs: 'fabs',
  inv: 'inv',
  inv_sqrt: 'inv_sqrt',
  inv_square: 'inv_square',
  Phi: 'Phi',
  tanh: 'tanh',
  sin: 'sin',
  cos: 'cos',
};

/** Stan's ODE solvers, all lowered to the explicit Dormand–Prince solver of ode.ts. */
const ODE_SOLVERS: ReadonlySet<string> = new Set(
  ['integrate_ode_rk45', 'integrate_ode_bdf', 'integrate_ode_adams'].concat(
    ['ode_rk45', 'ode_bdf', 'ode_adams', 'ode_ckrk'].flatMap((n) => [n, `${n}_tol`]),
  ),
);

/** The densities of vectors and matrices lowered by their own methods (multiNormal, lkj). */
const MATRIX_DENSITIES = new Set(['multi_normal', 'multi_normal_cholesky', 'lkj_corr', 'lkj_corr_cholesky']);

/** The constrained matrix types (parameters get Stan's transforms: matrixTransform). */
const MATRIX_TYPES = new Set(['cholesky_factor_corr', 'cholesky_factor_cov', 'corr_matrix', 'cov_matrix']);

/** The number of free coordinates of one R x C matrix of a constrained matrix type (Stan's sizes). */
function matrixFreeSize(kw: string, R: Expr, C: Expr): Expr {
  const int = (fn: string, a: Expr, b: Expr) => call(fn, [a, b], 'int');
  const tri = (n: Expr, plus: number) =>
    int('div', int('mul', n, int('add', n, c(plus, 'int'))), c(2, 'int'));
  if (kw === 'cov_matrix') return tri(R, 1);
  if (kw === 'cholesky_factor_cov') return int('add', tri(C, 1), int('mul', int('sub', R, C), C));
  return tri(R, -1);
}

/** The GLM densities, as the density of their linear predictor. */
const GLM: Readonly<Record<string, string>> = {
  bernoulli_logit_glm: 'bernoulli_logit_lpmf',
  poisson_log_glm: 'poisson_log_lpmf',
  normal_id_glm: 'normal_lpdf',
  neg_binomial_2_log_glm: 'neg_binomial_2_log_lpmf',
};

const CONSTANTS: Readonly<Record<string, number>> = {
  pi: Math.PI,
  e: Math.E,
  sqrt2: Math.SQRT2,
  log2: Math.LN2,
  log10: Math.LN10,
  negative_infinity: -Infinity,
  positive_infinity: Infinity,
  not_a_number: Number.NaN,
  machine_precision: Number.EPSILON,
};

export interface Lowered {
  readonly program: Program;
  /** Reported names per reported local, in Stan's order (column-major: the first index varies fastest). */
  readonly warnings: StanDiagnostic[];
}

export function lowerProgram(ast: AProgram): Lowered | { diagnostics: StanDiagnostic[] } {
  try {
    return new Lowering().program(ast);
  } catch (error) {
    if (error instanceof Unsupported) return { diagnostics: [diagnosticAt(error.span, error.message)] };
    throw error;
  }
}

class Lowering {
  readonly sizes: Expr[] = [];
  readonly hosts: HostVar[] = [];
  readonly locals: Local[] = [];
  loopCount = 0;
  scopes: Map<string, Binding>[] = [new Map()];
  /** Which block's statements are being lowered: transformed data writes host variables. */
  phase: 'data' | 'transformed data' | 'parameters' | 'model' = 'data';
  readonly warnings: StanDiagnostic[] = [];
  /**
   * Statements the expression being lowered needs run first: the bodies of the user functions it calls, inlined
   * (each call expanded with its arguments bound, its result in a slot the expression reads). `stmt` collects
   * them per statement and puts them before it.
   */
  pending: Stmt[] = [];
  /** The user function being inlined (innermost), and the chain of them (recursion guard). */
  fn: InlineCtx | undefined;
  readonly inlining: FunDef[] = [];
  /** Whether `_lupdf` calls drop their constants here: false inside a user `_lpdf` called as `foo_lpdf(...)`. */
  proptoCtx = true;
  functions: readonly FunDef[] = [];
  /** Lowering the generated quantities: their locals carry no derivatives. */
  generating = false;
  /**
   * Host statements run after the transformed data: what the model needs computed once from data (the
   * Cholesky factor of a data covariance matrix).
   */
  readonly hostPrep: Stmt[] = [];
  /** Host statements run before the transformed data: constant tables (the ODE solver's coefficients). */
  readonly hostInit: Stmt[] = [];
  /** The host variable holding DORMAND_PRINCE, once an ODE solve needs it. */
  odeTableau: number | undefined;

  program(ast: AProgram): Lowered {
    this.functions = ast.functions;
    for (const d of blockVars(ast.data?.body)) this.declareHost(d, 'data');
    this.phase = 'transformed data';
    // Top-level declarations of transformed data stay visible to the later blocks (no scope of their own).
    const td = (ast.transformedData?.body ?? []).flatMap((s) => this.stmt(s));
    this.phase = 'parameters';
    const constrain: Stmt[] = [];
    const paramSizes: number[] = [];
    let offset: Expr = c(0, 'int');
    for (const d of blockVars(ast.parameters?.body)) {
      let size = 0;
      constrain.push(
        ...this.withPending(() => {
          const r = this.declareParameter(d, offset);
          size = r.size;
          return r.stmts;
        }),
      );
      paramSizes.push(size);
      offset = call('add', [offset, { k: 'size', id: size, t: 'int' }], 'int');
    }
    this.phase = 'model';
    for (const s of ast.transformedParameters?.body ?? []) {
      if (s.kind === 'VarDecl') constrain.push(...this.withPending(() => this.declareLocal(s, true)));
      else constrain.push(...this.stmt(s));
    }
    this.scopes.push(new Map());
    const model = this.stmts(ast.model?.body ?? []);
    this.scopes.pop();
    const generated = this.generatedQuantities(ast);
    return {
      program: {
        sizes: this.sizes,
        hosts: this.hosts,
        locals: this.locals,
        transformedData: [...this.hostInit, ...td, ...this.hostPrep],
        paramSizes,
        constrain,
        model,
        generated,
        loopCount: this.loopCount,
      },
      warnings: this.warnings,
    };
  }

  /**
   * The generated quantities block, lowered like transformed parameters but without derivatives. What this back
   * end cannot compute there (an `_rng`, say) leaves the whole block out with a warning naming it, and the model
   * still compiles: the generated quantities do not change the fit.
   */
  generatedQuantities(ast: AProgram): Stmt[] {
    const block = ast.generatedQuantities;
    if (!block || block.body.length === 0) return [];
    const mark = {
      sizes: this.sizes.length,
      hosts: this.hosts.length,
      hostPrep: this.hostPrep.length,
      locals: this.locals.length,
      loops: this.loopCount,
    };
    this.generating = true;
    this.scopes.push(new Map());
    try {
      const out: Stmt[] = [];
      for (const s of block.body) {
        if (s.kind === 'VarDecl') out.push(...this.withPending(() => this.declareLocal(s, true)));
        else out.push(...this.stmt(s));
      }
      return out;
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      this.sizes.length = mark.sizes;
      this.hosts.length = mark.hosts;
      this.hostPrep.length = mark.hostPrep;
      this.locals.length = mark.locals;
      this.loopCount = mark.loops;
      this.warnings.push(
        diagnosticAt(error.span, `generated quantities are not computed: ${error.message}`, 'warning'),
      );
      return [];
    } finally {
      this.generating = false;
      this.scopes.pop();
    }
  }

  // ---- scopes and declarations

  lookup(name: string, span: Span): Binding {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i]!.get(name);
      if (b) return b;
    }
    throw new Unsupported(span, `unknown variable "${name}"`);
  }

  bind(name: string, b: Binding): void {
    this.scopes[this.scopes.length - 1]!.set(name, b);
  }

  size(e: AExpr): number {
    const before = this.pending.length;
    const v = this.scalarExpr(e, 'a size');
    if (this.pending.length !== before)
      throw new Unsupported(e.span, 'a size computed by a user function with statements is not supported');
    return this.sizeOf(v, e.span);
  }

  /** A size id for an int expression, which the host evaluates once: it may read data and other sizes only. */
  sizeOf(v: Expr, span: Span): number {
    if (!hostEvaluable(v))
      throw new Unsupported(
        span,
        'a size that depends on a loop variable, a local variable or a parameter is not supported',
      );
    this.sizes.push(v);
    return this.sizes.length - 1;
  }

  sizeOfProduct(ids: readonly number[], extra?: Expr): number {
    let e: Expr = extra ?? c(1, 'int');
    for (const id of ids) e = call('mul', [e, { k: 'size', id, t: 'int' }], 'int');
    this.sizes.push(e);
    return this.sizes.length - 1;
  }

  /** Array dims, then the base's dims, as size ids; and the base. */
  declShape(d: VarDecl): { base: Base; shape: number[]; arr: number; inner: number[] } {
    const kw = d.declType.keyword;
    const arrDims = d.arraySizes.map((s) => this.size(s));
    let base: Base;
    let inner: number[];
    switch (kw) {
      case 'int':
      case 'real':
        base = kw;
        inner = [];
        break;
      case 'vector':
      case 'simplex':
      case 'ordered':
      case 'positive_ordered':
        base = 'vector';
        inner = [this.size(d.declType.sizes[0]!)];
        break;
      case 'row_vector':
        base = 'row_vector';
        inner = [this.size(d.declType.sizes[0]!)];
        break;
      case 'matrix':
        base = 'matrix';
        inner = [this.size(d.declType.sizes[0]!), this.size(d.declType.sizes[1]!)];
        break;
      case 'cholesky_factor_corr':
      case 'corr_matrix':
      case 'cov_matrix': {
        base = 'matrix';
        const k = this.size(d.declType.sizes[0]!);
        inner = [k, k];
        break;
      }
      case 'cholesky_factor_cov': {
        // cholesky_factor_cov[M] is [M, M].
        base = 'matrix';
        const m = this.size(d.declType.sizes[0]!);
        const n = d.declType.sizes[1] ? this.size(d.declType.sizes[1]) : m;
        inner = [m, n];
        break;
      }
      default:
        throw new Unsupported(d.declType.span, `${kw} is not supported yet`);
    }
    return { base, shape: [...arrDims, ...inner], arr: arrDims.length, inner };
  }

  storageLazy(
    kind: 'host' | 'local',
    id: number,
    base: Base,
    t: ScalarKind,
    shape: readonly number[],
    arr: number,
  ): Lazy {
    return {
      base,
      t,
      shape: shape.map(sz),
      arr,
      at: (idx) => ({ k: kind, id, index: flatIndex(shape, idx), t }),
    };
  }

  declareHost(d: VarDecl, source: 'data' | 'transformed'): Stmt[] {
    const { base, shape, arr } = this.declShape(d);
    const t: ScalarKind = base === 'int' ? 'int' : 'real';
    const id = this.hosts.length;
    this.hosts.push({ id, name: d.name, t, dims: shape, source });
    this.bind(d.name, {
      kind: 'host',
      id,
      dims: shape,
      lazy: this.storageLazy('host', id, base, t, shape, arr),
    });
    const out: Stmt[] = source === 'transformed' ? [{ k: 'allocHost', host: id }] : [];
    if (d.init) out.push(...this.assignAll(d.name, d.span, [], this.lx(d.init)));
    return out;
  }

  newLocal(name: string, t: ScalarKind, dims: readonly number[], reported: boolean, active = true): number {
    const id = this.locals.length;
    // Reals in the parameter-dependent blocks carry derivatives; ints never do, nor generated quantities, nor
    // the lowering's own locals that must not (an ODE solver's step size).
    this.locals.push({ id, name, t, dims, active: active && t === 'real' && !this.generating, reported });
    return id;
  }

  declareLocal(d: VarDecl, reported = false): Stmt[] {
    if (this.phase === 'transformed data') return this.declareHost(d, 'transformed');
    const { base, shape, arr } = this.declShape(d);
    const t: ScalarKind = base === 'int' ? 'int' : 'real';
    const id = this.newLocal(d.name, t, shape, reported);
    this.bind(d.name, {
      kind: 'local',
      id,
      dims: shape,
      lazy: this.storageLazy('local', id, base, t, shape, arr),
    });
    return d.init ? this.assignAll(d.name, d.span, [], this.lx(d.init)) : [];
  }

  declareParameter(d: VarDecl, offset: Expr): { stmts: Stmt[]; size: number } {
    const { base, shape, arr, inner } = this.declShape(d);
    if (base === 'int') throw new Unsupported(d.span, 'integer parameters are not allowed');
    const id = this.newLocal(d.name, 'real', shape, true);
    const lazy = this.storageLazy('local', id, base, 'real', shape, arr);
    const stmts: Stmt[] = [];
    const kw = d.declType.keyword;
    const zAt = (flat: Expr): Expr => ({ k: 'z', index: call('add', [offset, flat], 'int'), t: 'real' });
    if (kw === 'simplex' || kw === 'ordered' || kw === 'positive_ordered') {
      const outer = shape.slice(0, arr);
      const kId = inner[0]!;
      const K: Expr = { k: 'size', id: kId, t: 'int' };
      const unc = kw === 'simplex' ? call('sub', [K, c(1, 'int')], 'int') : K;
      const size = this.sizeOfProduct(outer, unc);
      const stick = kw === 'simplex' ? this.newLocal(`${d.name}__stick`, 'real', [], false) : -1;
      const body = (idx: readonly Expr[]): Stmt[] => {
        const o = outer.length ? flatIndex(outer, idx) : c(0, 'int');
        const xFlat = (k: Expr) =>
          call('add', [call('mul', [o, K], 'int'), call('sub', [k, c(1, 'int')], 'int')], 'int');
        const zFlat = (k: Expr) =>
          call('add', [call('mul', [o, unc], 'int'), call('sub', [k, c(1, 'int')], 'int')], 'int');
        const kv = this.loopId();
        const kvar: Expr = { k: 'loop', id: kv, t: 'int' };
        const out: Stmt[] = [];
        if (kw === 'simplex') {
          const st: Expr = { k: 'local', id: stick, index: c(0, 'int'), t: 'real' };
          const adj = call('sub', [zAt(zFlat(kvar)), call('log', [call('sub', [K, kvar], 'int')])]);
          const x: Expr = { k: 'local', id, index: xFlat(kvar), t: 'real' };
          out.push({ k: 'assign', local: stick, index: c(0, 'int'), value: c(1) });
          out.push({
            k: 'for',
            id: kv,
            lower: c(1, 'int'),
            upper: call('sub', [K, c(1, 'int')], 'int'),
            body: [
              {
                k: 'assign',
                local: id,
                index: xFlat(kvar),
                value: call('mul', [st, call('inv_logit', [adj])]),
              },
              {
                k: 'target',
                value: call('add', [
                  call('log', [st]),
                  call('add', [call('log_inv_logit', [adj]), call('log1m_inv_logit', [adj])]),
                ]),
              },
              { k: 'assign', local: stick, index: c(0, 'int'), value: call('sub', [st, x]) },
            ],
          });
          out.push({ k: 'assign', local: id, index: xFlat(K), value: st });
        } else {
          const first = zAt(zFlat(c(1, 'int')));
          out.push({
            k: 'assign',
            local: id,
            index: xFlat(c(1, 'int')),
            value: kw === 'ordered' ? first : call('exp', [first]),
          });
          if (kw === 'positive_ordered') out.push({ k: 'target', value: first });
          const prev: Expr = {
            k: 'local',
            id,
            index: xFlat(call('sub', [kvar, c(1, 'int')], 'int')),
            t: 'real',
          };
          out.push({
            k: 'for',
            id: kv,
            lower: c(2, 'int'),
            upper: K,
            body: [
              {
                k: 'assign',
                local: id,
                index: xFlat(kvar),
                value: call('add', [prev, call('exp', [zAt(zFlat(kvar))])]),
              },
              { k: 'target', value: zAt(zFlat(kvar)) },
            ],
          });
        }
        return out;
      };
      stmts.push(...this.nest(outer.map(sz), body));
      if (d.declType.constraint.kind !== 'none')
        throw new Unsupported(d.declType.constraint.span, `${kw} takes no bounds`);
      this.bind(d.name, { kind: 'local', id, dims: shape, lazy });
      return { stmts, size };
    }
    if (MATRIX_TYPES.has(kw)) {
      if (d.declType.constraint.kind !== 'none')
        throw new Unsupported(d.declType.constraint.span, `${kw} takes no bounds`);
      const outer = shape.slice(0, arr);
      const [rId, cId] = inner as [number, number];
      const unc = matrixFreeSize(kw, sz(rId), sz(cId));
      const size = this.sizeOfProduct(outer, unc);
      // corr_matrix and cov_matrix are L L^T of a Cholesky factor, kept in a local of their own.
      const viaL = kw === 'corr_matrix' || kw === 'cov_matrix';
      const lId = viaL ? this.newLocal(`${d.name}__L`, 'real', shape, false) : id;
      stmts.push(
        ...this.nest(outer.map(sz), (idx) => {
          const o = outer.length ? flatIndex(outer, idx) : c(0, 'int');
          const zAtPos = (pos: Expr) => zAt(call('add', [call('mul', [o, unc], 'int'), pos], 'int'));
          const flatOf = (i: Expr, j: Expr) => flatIndex(shape, [...idx, i, j]);
          return this.matrixTransform(kw, sz(rId), sz(cId), zAtPos, {
            read: (i, j) => ({ k: 'local', id: lId, index: flatOf(i, j), t: 'real' }),
            write: (i, j, value) => ({ k: 'assign', local: lId, index: flatOf(i, j), value }),
            x: viaL ? (i, j, value) => ({ k: 'assign', local: id, index: flatOf(i, j), value }) : undefined,
          });
        }),
      );
      this.bind(d.name, { kind: 'local', id, dims: shape, lazy });
      return { stmts, size };
    }
    if (kw !== 'real' && kw !== 'vector' && kw !== 'row_vector' && kw !== 'matrix')
      throw new Unsupported(d.declType.span, `${kw} parameters are not supported yet`);
    const size = this.sizeOfProduct(shape);
    const con = d.declType.constraint;
    const lo = con.kind === 'bounds' && con.lower ? this.lx(con.lower) : undefined;
    const hi = con.kind === 'bounds' && con.upper ? this.lx(con.upper) : undefined;
    const off = con.kind === 'affine' && con.offset ? this.lx(con.offset) : undefined;
    const mul = con.kind === 'affine' && con.multiplier ? this.lx(con.multiplier) : undefined;
    const el = (l: Lazy | undefined, idx: readonly Expr[]): Expr | undefined =>
      l === undefined ? undefined : l.shape.length === 0 ? l.at([]) : l.at(idx);
    stmts.push(
      ...this.nest(shape.map(sz), (idx) => {
        const flat = shape.length ? flatIndex(shape, idx) : c(0, 'int');
        const u = zAt(flat);
        const L = el(lo, idx);
        const U = el(hi, idx);
        const O = el(off, idx);
        const M = el(mul, idx);
        const out: Stmt[] = [];
        let x: Expr = u;
        if (L && U) {
          const w = call('sub', [U, L]);
          x = call('add', [L, call('mul', [w, call('inv_logit', [u])])]);
          out.push({
            k: 'target',
            value: call('add', [
              call('log', [w]),
              call('add', [call('log_inv_logit', [u]), call('log1m_inv_logit', [u])]),
            ]),
          });
        } else if (L) {
          x = call('add', [L, call('exp', [u])]);
          out.push({ k: 'target', value: u });
        } else if (U) {
          x = call('sub', [U, call('exp', [u])]);
          out.push({ k: 'target', value: u });
        } else if (O || M) {
          if (M) {
            x = call('mul', [M, u]);
            out.push({ k: 'target', value: call('log', [M]) });
          }
          if (O) x = call('add', [O, x]);
        }
        out.unshift({ k: 'assign', local: id, index: flat, value: x });
        return out;
      }),
    );
    this.bind(d.name, { kind: 'local', id, dims: shape, lazy });
    return { stmts, size };
  }

  /**
   * Stan's constraining transform of one cholesky_factor_corr, cholesky_factor_cov, corr_matrix or cov_matrix
   * (R x C; square but for cholesky_factor_cov) from its free coordinates `zAt(pos)` (pos 0-based), adding the
   * log-Jacobian to the target (Stan Math's *_constrain with lp, the reference manual's "Constraint
   * transforms"). It writes the Cholesky factor through `L`: for the factor types, which are reported, every
   * entry (zeros above the diagonal); with `L.x` (corr_matrix, cov_matrix) the lower triangle only, then x = L L^T
   * through `L.x`.
   *
   * - Correlation factors: canonical partial correlations w = tanh(z), L[i,j] = w sqrt(1 - sum_{l<j} L[i,l]^2)
   *   below the diagonal, L[i,i] = sqrt(1 - sum_{l<i} L[i,l]^2). cholesky_factor_corr reads the w row by row
   *   and adds log(1 - w^2) + 0.5 log(1 - sum_{l<j} L[i,l]^2) for each; corr_matrix reads them column by
   *   column and adds (1 + (K - j - 1) / 2) log(1 - w^2) (the Jacobian to the matrix's free entries).
   *   log(1 - tanh(z)^2) is computed as 2 (log 2 - |z| - log1p(exp(-2|z|))), which f32 keeps finite.
   * - Covariance factors: row by row, the entries below the diagonal as they are and the diagonal as exp(z)
   *   (adding z), then for cholesky_factor_cov[M, N] the rows below N in full; cov_matrix adds
   *   K log 2 + sum_k (K - k + 2) z_kk instead (the Jacobian of L -> L L^T included).
   */
  matrixTransform(
    kw: string,
    R: Expr,
    C: Expr,
    zAt: (pos: Expr) => Expr,
    L: {
      read: (i: Expr, j: Expr) => Expr;
      write: (i: Expr, j: Expr, v: Expr) => Stmt;
      x?: ((i: Expr, j: Expr, v: Expr) => Stmt) | undefined;
    },
  ): Stmt[] {
    const int = (fn: string, a: Expr, b: Expr) => call(fn, [a, b], 'int');
    const one = c(1, 'int');
    const loop = (): [number, Expr] => {
      const id = this.loopId();
      return [id, { k: 'loop', id, t: 'int' }];
    };
    const sumSq = (i: Expr, count: Expr): Expr => {
      const [id, l] = loop();
      return { k: 'reduce', op: 'sum', id, count, body: call('square', [L.read(i, l)]), t: 'real' };
    };
    const [iv, i] = loop();
    const [jv, j] = loop();
    const out: Stmt[] = [];
    if (!L.x) out.push(forIn(iv, one, R, [forIn(jv, one, C, [L.write(i, j, c(0))])]));
    const K = R;
    if (kw === 'cholesky_factor_corr' || kw === 'corr_matrix') {
      // The free coordinate of L[i, j], j < i: row-major (cholesky_factor_corr) or column-major (corr_matrix).
      const pos =
        kw === 'cholesky_factor_corr'
          ? int(
              'add',
              int('div', int('mul', int('sub', i, one), int('sub', i, c(2, 'int'))), c(2, 'int')),
              int('sub', j, one),
            )
          : int(
              'add',
              int(
                'sub',
                int('mul', int('sub', j, one), K),
                int('div', int('mul', int('sub', j, one), j), c(2, 'int')),
              ),
              int('sub', int('sub', i, j), one),
            );
      const u = zAt(pos);
      const w = call('tanh', [u]);
      const au = call('fabs', [u]);
      const log1mW2 = call('mul', [
        c(2),
        call('sub', [call('sub', [c(Math.LN2), au]), call('log1p_exp', [call('mul', [c(-2), au])])]),
      ]);
      const ss = sumSq(i, int('sub', j, one));
      const jac =
        kw === 'cholesky_factor_corr'
          ? call('add', [log1mW2, call('mul', [c(0.5), call('log1m', [ss])])])
          : call('mul', [
              call('add', [c(1), call('mul', [c(0.5), int('sub', int('sub', K, j), one)])]),
              log1mW2,
            ]);
      out.push({
        k: 'if',
        cond: call('ge', [K, one], 'int'),
        then: [L.write(one, one, c(1))],
        else: [],
      });
      out.push(
        forIn(iv, c(2, 'int'), K, [
          forIn(jv, one, int('sub', i, one), [
            L.write(i, j, call('mul', [w, call('sqrt', [call('sub', [c(1), ss])])])),
            { k: 'target', value: jac },
          ]),
          L.write(i, i, call('sqrt', [call('sub', [c(1), sumSq(i, int('sub', i, one))])])),
        ]),
      );
    } else {
      // Covariance factors: row i of the triangle starts at (i - 1) i / 2.
      const N = kw === 'cholesky_factor_cov' ? C : K;
      const rowStart = int('div', int('mul', int('sub', i, one), i), c(2, 'int'));
      const diag = zAt(int('add', rowStart, int('sub', i, one)));
      const jacobian: Expr =
        kw === 'cov_matrix' ? call('mul', [int('add', int('sub', K, i), c(2, 'int')), diag]) : diag;
      out.push(
        forIn(iv, one, N, [
          forIn(jv, one, int('sub', i, one), [L.write(i, j, zAt(int('add', rowStart, int('sub', j, one))))]),
          L.write(i, i, call('exp', [diag])),
          { k: 'target', value: jacobian },
        ]),
      );
      if (kw === 'cov_matrix') out.push({ k: 'target', value: call('mul', [K, c(Math.LN2)]) });
      if (kw === 'cholesky_factor_cov') {
        const tri = int('div', int('mul', N, int('add', N, one)), c(2, 'int'));
        const below = int(
          'add',
          tri,
          int('add', int('mul', int('sub', int('sub', i, N), one), N), int('sub', j, one)),
        );
        out.push(forIn(iv, int('add', N, one), R, [forIn(jv, one, N, [L.write(i, j, zAt(below))])]));
      }
    }
    if (L.x) {
      const [kv, k] = loop();
      const lower: Expr = {
        k: 'reduce',
        op: 'sum',
        id: kv,
        count: int('min', i, j),
        body: call('mul', [L.read(i, k), L.read(j, k)]),
        t: 'real',
      };
      out.push(forIn(iv, one, K, [forIn(jv, one, K, [L.x(i, j, lower)])]));
    }
    return out;
  }

  loopId(): number {
    return this.loopCount++;
  }

  /** Nested loops over 1-based indices of shape, calling body with the index expressions. */
  nest(shape: readonly Expr[], body: (idx: readonly Expr[]) => Stmt[]): Stmt[] {
    if (shape.length === 0) return body([]);
    const go = (k: number, idx: Expr[]): Stmt[] => {
      if (k === shape.length) return body(idx);
      const id = this.loopId();
      return [
        {
          k: 'for',
          id,
          lower: c(1, 'int'),
          upper: shape[k]!,
          body: go(k + 1, [...idx, { k: 'loop', id, t: 'int' }]),
        },
      ];
    };
    return go(0, []);
  }

  // ---- statements

  stmts(list: readonly AStmt[]): Stmt[] {
    this.scopes.push(new Map());
    const out = this.stmtList(list, 0);
    this.scopes.pop();
    return out;
  }

  /**
   * list[from..] in the current scope. Inside an inlined function that can return early, what follows a
   * statement containing a `return` runs only if it did not return: `if (returned) break;` inside a loop, the
   * rest wrapped in `if (!returned)` outside one.
   */
  stmtList(list: readonly AStmt[], from: number): Stmt[] {
    const out: Stmt[] = [];
    for (let i = from; i < list.length; i++) {
      const s = list[i]!;
      out.push(...this.stmt(s));
      if (s.kind === 'Return') break; // the rest is dead code
      const flag = this.fn?.flag;
      if (flag && i + 1 < list.length && containsReturn(s)) {
        if (this.fn!.loopDepth > 0) out.push({ k: 'if', cond: flag.read, then: [{ k: 'break' }], else: [] });
        else {
          out.push({ k: 'if', cond: flag.read, then: [], else: this.stmtList(list, i + 1) });
          break;
        }
      }
    }
    return out;
  }

  /**
   * f's statements, preceded by those of the user functions its expressions call (inlined); `mark` (the
   * statement's source line) before both and again after the inlined ones, whose own lines come between.
   */
  withPending(f: () => Stmt[], mark?: Stmt): Stmt[] {
    const saved = this.pending;
    this.pending = [];
    try {
      const out = f();
      if (!mark) return [...this.pending, ...out];
      return [mark, ...this.pending, ...(this.pending.length > 0 ? [mark] : []), ...out];
    } finally {
      this.pending = saved;
    }
  }

  /** A loop body: inside an inlined function, a `return` in it must also leave the loop. */
  loopBody(body: AStmt): Stmt[] {
    if (this.fn) this.fn.loopDepth++;
    try {
      return this.stmts([body]);
    } finally {
      if (this.fn) this.fn.loopDepth--;
    }
  }

  stmt(s: AStmt): Stmt[] {
    // Blocks carry no line of their own: their statements do.
    const marked = s.kind !== 'Block' && s.kind !== 'Profile' && s.kind !== 'Empty' && s.kind !== 'Print';
    return this.withPending(
      () => this.stmtInner(s),
      marked ? { k: 'line', line: s.span.start.line } : undefined,
    );
  }

  stmtInner(s: AStmt): Stmt[] {
    switch (s.kind) {
      case 'VarDecl':
        return this.declareLocal(s);
      case 'Empty':
      case 'Print':
        return [];
      case 'Reject':
      case 'FatalError':
        return [{ k: 'reject' }];
      case 'Block':
      case 'Profile':
        return this.stmts(s.body);
      case 'Break':
        return [{ k: 'break' }];
      case 'Continue':
        return [{ k: 'continue' }];
      case 'TargetPlus': {
        if (this.phase === 'transformed data') throw new Unsupported(s.span, 'target += outside the model');
        return [{ k: 'target', value: this.total(this.lx(s.expr), 'sum') }];
      }
      case 'Tilde': {
        if (s.truncation) throw new Unsupported(s.truncation.span, 'truncation T[...] is not supported yet');
        if (s.resolved?.kind === 'user') {
          const def = this.userDef(s.resolved.def, s.densityName ?? s.distribution, s.distSpan);
          const lp = this.inline(def, [s.lhs, ...s.args], this.proptoCtx, s.span);
          return [{ k: 'target', value: this.total(lp!, 'sum') }];
        }
        const name = this.densityName(s.distribution, s.distSpan);
        return [{ k: 'target', value: this.density(name, [s.lhs, ...s.args], true, s.span) }];
      }
      case 'Assign':
        return this.assign(s.lhs, s.op, s.rhs, s.span);
      case 'For': {
        const id = this.loopId();
        const lower = this.scalarExpr(s.lower, 'a loop bound');
        const upper = this.scalarExpr(s.upper, 'a loop bound');
        this.scopes.push(
          new Map([[s.variable.name, { kind: 'alias', lazy: scalar({ k: 'loop', id, t: 'int' }) }]]),
        );
        const body = this.loopBody(s.body);
        this.scopes.pop();
        return [{ k: 'for', id, lower, upper, body }];
      }
      case 'ForEach': {
        const it = this.lx(s.iterable);
        if (it.shape.length === 0) throw new Unsupported(s.iterable.span, 'foreach over a scalar');
        const id = this.loopId();
        const i: Expr = { k: 'loop', id, t: 'int' };
        const el = this.index(it, [i]);
        this.scopes.push(new Map([[s.variable.name, { kind: 'alias', lazy: el }]]));
        const body = this.loopBody(s.body);
        this.scopes.pop();
        return [{ k: 'for', id, lower: c(1, 'int'), upper: it.shape[0]!, body }];
      }
      case 'While': {
        const before = this.pending.length;
        const cond = this.scalarExpr(s.cond, 'a condition');
        // A condition calling a user function with statements: they run before each test.
        const pre = this.pending.splice(before);
        const body = this.loopBody(s.body);
        if (pre.length === 0) return [{ k: 'while', cond, body }];
        const stop: Stmt = { k: 'if', cond, then: [], else: [{ k: 'break' }] };
        return [{ k: 'while', cond: c(1, 'int'), body: [...pre, stop, ...body] }];
      }
      case 'If':
        return [
          {
            k: 'if',
            cond: this.scalarExpr(s.cond, 'a condition'),
            then: this.stmts([s.then]),
            else: s.else ? this.stmts([s.else]) : [],
          },
        ];
      case 'Return':
        return this.returnStmt(s);
      case 'CallStmt': {
        const e = s.call;
        if (e.resolved?.kind !== 'user')
          throw new Unsupported(s.span, `a call of "${e.name}" as a statement is not supported`);
        this.inline(this.userDef(e.resolved.def, e.name, e.nameSpan), e.args, this.proptoCtx, e.span);
        return [];
      }
    }
  }

  // ---- user functions, inlined

  /** The definition with a body (the checker resolved the overload; a forward declaration has none). */
  userDef(def: FunDef | undefined, name: string, span: Span): FunDef {
    if (def?.body) return def;
    const n = def?.params.length;
    const found = this.functions.find(
      (f) => f.body && f.name === (def?.name ?? name) && (n === undefined || f.params.length === n),
    );
    if (!found) throw new Unsupported(span, `function "${name}" has no definition`);
    return found;
  }

  /**
   * A call of def, expanded in place: a body that is a single `return e;` becomes e with the arguments bound
   * (lazy, like a built-in); any other body goes to `pending` with its locals fresh and its result in a slot,
   * which the call reads. Arguments are bound as they are (Stan's arguments are read-only, and the body sees
   * nothing else of the caller). Returns undefined for a void function.
   */
  inline(def: FunDef, argExprs: readonly AExpr[], propto: boolean, span: Span): Lazy | undefined {
    if (this.inlining.includes(def))
      throw new Unsupported(span, `function "${def.name}" is recursive, which is not supported`);
    return this.inlineLazy(
      def,
      argExprs.map((a) => this.lx(a)),
      propto,
      span,
    );
  }

  /** `inline` with the arguments lowered already (an ODE solver's right-hand side gets its state so). */
  inlineLazy(def: FunDef, argLazies: readonly Lazy[], propto: boolean, span: Span): Lazy | undefined {
    if (this.inlining.includes(def))
      throw new Unsupported(span, `function "${def.name}" is recursive, which is not supported`);
    const args = argLazies.map((l, k) => {
      const p = def.params[k];
      // An int passed for a real argument is a real inside (so `x / 2` divides as reals).
      return p && p.type.base !== 'int' && l.t === 'int'
        ? this.map(l, (x) => call('add', [x, c(0)], 'real'), 'real')
        : l;
    });
    const scope = new Map<string, Binding>();
    def.params.forEach((p, k) => scope.set(p.name, { kind: 'alias', lazy: args[k]! }));
    const saved = { scopes: this.scopes, fn: this.fn, propto: this.proptoCtx };
    this.scopes = [scope];
    this.inlining.push(def);
    this.proptoCtx = propto;
    try {
      const body = def.body?.body ?? [];
      const live = body.filter((s) => s.kind !== 'Empty' && s.kind !== 'Print');
      const only = live[0];
      if (live.length === 1 && only?.kind === 'Return' && only.value) return this.lx(only.value);
      const last = body.length - 1;
      const early = body.some((s, i) => (s.kind === 'Return' ? i !== last : containsReturn(s)));
      const ctx: InlineCtx = { def, loopDepth: 0 };
      this.fn = ctx;
      const out: Stmt[] = [];
      if (early) {
        const flag = this.scratch(`${def.name}__returned`, 'int', []);
        ctx.flag = { read: flag.read([]), set: flag.write([], c(1, 'int')) };
        out.push(...flag.alloc, flag.write([], c(0, 'int')));
      }
      out.push(...this.stmts(body));
      this.pending.push(...out);
      if (def.returnType === 'void') return undefined;
      const slot = ctx.slot;
      if (!slot) throw new Unsupported(def.nameSpan, `function "${def.name}" returns no value`);
      const b = this.scopes[0]!.get(RETURN_SLOT);
      if (!b) throw new Unsupported(def.nameSpan, `function "${def.name}" returns no value`);
      return b.lazy;
    } finally {
      this.scopes = saved.scopes;
      this.fn = saved.fn;
      this.proptoCtx = saved.propto;
      this.inlining.pop();
    }
  }

  /** Storage for the lowering's own use: a local, or a host variable while lowering transformed data. */
  scratch(
    name: string,
    t: ScalarKind,
    dims: readonly number[],
    active = true,
  ): {
    id: number;
    kind: 'host' | 'local';
    alloc: Stmt[];
    read: (idx: readonly Expr[]) => Expr;
    write: (idx: readonly Expr[], value: Expr) => Stmt;
  } {
    const index = (idx: readonly Expr[]) => (dims.length ? flatIndex(dims, idx) : c(0, 'int'));
    if (this.phase === 'transformed data') {
      const id = this.hosts.length;
      this.hosts.push({ id, name, t, dims, source: 'transformed' });
      return {
        id,
        kind: 'host',
        alloc: [{ k: 'allocHost', host: id }],
        read: (idx) => ({ k: 'host', id, index: index(idx), t }),
        write: (idx, value) => ({ k: 'hostAssign', host: id, index: index(idx), value }),
      };
    }
    const id = this.newLocal(name, t, dims, false, active);
    return {
      id,
      kind: 'local',
      alloc: [],
      read: (idx) => ({ k: 'local', id, index: index(idx), t }),
      write: (idx, value) => ({ k: 'assign', local: id, index: index(idx), value }),
    };
  }

  /** Loop variables and scratch storage for a built-in lowered in its own module (ode.ts, hmm.ts). */
  scratchEnv(): ScratchEnv {
    return {
      loopId: () => this.loopId(),
      store: (label, t, dims, active) => {
        const st = this.scratch(label, t, dims, active);
        return { alloc: st.alloc, read: st.read, write: st.write };
      },
    };
  }

  returnStmt(s: Extract<AStmt, { kind: 'Return' }>): Stmt[] {
    const fn = this.fn;
    if (!fn) throw new Unsupported(s.span, 'return outside a function');
    const out: Stmt[] = [];
    if (s.value) {
      const v = this.lx(s.value);
      const rt = fn.def.returnType;
      const t: ScalarKind = rt !== 'void' && rt.base === 'int' ? 'int' : 'real';
      if (!fn.slot) {
        const dims = v.shape.map((e) => this.sizeOf(e, s.value!.span));
        const base: Base = v.shape.length === 0 ? t : v.base;
        fn.slot = { base, t, dims, arr: v.arr };
        const st = this.scratch(`${fn.def.name}__return`, t, dims);
        this.scopes[0]!.set(RETURN_SLOT, {
          kind: st.kind,
          id: st.id,
          dims,
          lazy: this.storageLazy(st.kind, st.id, base, t, dims, v.arr),
        });
      }
      const b = this.scopes[0]!.get(RETURN_SLOT)!;
      if (b.kind === 'host') out.push({ k: 'allocHost', host: b.id });
      out.push(...this.assignAll(RETURN_SLOT, s.span, [], v));
    }
    if (fn.flag) {
      out.push(fn.flag.set);
      if (fn.loopDepth > 0) out.push({ k: 'break' });
    }
    return out;
  }

  densityName(dist: string, span: Span): string {
    if (dist in GLM) return `${dist}_lpmf`;
    if (dist === 'dirichlet') return 'dirichlet_lpdf';
    if (dist === 'categorical' || dist === 'categorical_logit') return `${dist}_lpmf`;
    if (MATRIX_DENSITIES.has(dist)) return `${dist}_lpdf`;
    for (const suffix of ['_lpdf', '_lpmf']) if (PRIMS[dist + suffix]?.lpdf) return dist + suffix;
    throw new Unsupported(span, `distribution "${dist}" is not supported yet`);
  }

  /** A density summed over its vectorised arguments. */
  density(name: string, args: readonly AExpr[], propto: boolean, span: Span): Expr {
    let ls = args.map((a) => this.lx(a));
    const glm = GLM[name.replace(/_lp[dm]f$/, '')];
    if (glm) {
      // y ~ foo_glm(x, alpha, beta[, extra]) is y ~ foo(alpha + x * beta[, extra]).
      if (ls.length < 4) throw new Unsupported(span, `${name} takes (y | x, alpha, beta, ...)`);
      const [y, x, alpha, beta, ...extra] = ls as [Lazy, Lazy, Lazy, Lazy, ...Lazy[]];
      ls = [y, this.binary('+', alpha, this.multiply(x, beta, span), span), ...extra];
      name = glm;
    }
    if (name === 'dirichlet_lpdf') return this.dirichlet(ls, propto, span);
    if (name === 'lkj_corr_lpdf' || name === 'lkj_corr_cholesky_lpdf')
      return this.lkj(name === 'lkj_corr_cholesky_lpdf', ls, propto, span);
    if (name === 'multi_normal_lpdf' || name === 'multi_normal_cholesky_lpdf')
      return this.multiNormal(name === 'multi_normal_cholesky_lpdf', ls, propto, span);
    if (name === 'categorical_lpmf' || name === 'categorical_logit_lpmf')
      return this.categorical(name === 'categorical_logit_lpmf', ls, propto, span);
    const prim = PRIMS[name];
    if (!prim?.lpdf && !prim?.cdf) throw new Unsupported(span, `"${name}" is not supported yet`);
    if (ls.length !== prim.arity)
      throw new Unsupported(span, `${name} takes ${prim.arity} arguments here, got ${ls.length}`);
    const shaped = ls.find((l) => l.shape.length > 0);
    const elem = (idx: readonly Expr[]) =>
      call(
        name,
        ls.map((l) => (l.shape.length === 0 ? l.at([]) : l.at(idx))),
        'real',
        propto,
      );
    if (!shaped) return elem([]);
    return this.reduceAll(shaped.shape, elem, 'sum');
  }

  /**
   * dirichlet_lpdf(theta | alpha), summed over arrays of simplexes and/or of alphas: lgamma(sum alpha) +
   * sum_k (-lgamma(alpha_k) + (alpha_k - 1) log theta_k), each piece a primitive that drops itself under `~`
   * when its arguments are data.
   */
  dirichlet(ls: readonly Lazy[], propto: boolean, span: Span): Expr {
    const [theta, alpha] = ls as [Lazy, Lazy];
    if (ls.length !== 2 || theta.shape.length !== theta.arr + 1 || alpha.shape.length !== alpha.arr + 1)
      throw new Unsupported(
        span,
        'dirichlet takes a vector (or an array of them) and a vector of the same size',
      );
    const outer = theta.arr ? theta.shape.slice(0, theta.arr) : alpha.shape.slice(0, alpha.arr);
    const K = theta.shape[theta.arr]!;
    const el = (l: Lazy, o: readonly Expr[], k: Expr) => l.at([...(l.arr ? o : []), k]);
    const one = (o: readonly Expr[]): Expr => {
      const s = this.reduceAll([K], (k) => el(alpha, o, k[0]!), 'sum');
      const terms = this.reduceAll(
        [K],
        (k) => call('dirichlet_term', [el(theta, o, k[0]!), el(alpha, o, k[0]!)], 'real', propto),
        'sum',
      );
      return call('add', [call('dirichlet_norm', [s], 'real', propto), terms]);
    };
    return outer.length ? this.reduceAll(outer, one, 'sum') : one([]);
  }

  /**
   * Whether an element of l carries derivatives, decided statically as Stan decides by types: it reads z or an
   * active local. `~` drops a term exactly when none of the arguments it depends on is active.
   */
  lazyActive(l: Lazy): boolean {
    const idx = l.shape.map((): Expr => ({ k: 'loop', id: -1, t: 'int' }));
    return exprActive(l.at(idx), this.locals);
  }

  /**
   * The lower Cholesky factor of the symmetric K x K matrix S (its lower triangle is read), row by row
   * (Cholesky-Banachiewicz), as statements writing it through `write`: a pivot <= 0 (S not positive definite)
   * rejects, as Stan's check does. In f32 each pivot gets a jitter tol = K 2^-23 S_ii (the prim cholesky_pivot;
   * float64 keeps Stan's pivot), so the f32 factor is the exact one of S + diag(tol) up to rounding: a GP kernel
   * plus Stan's usual 1e-10 jitter is positive definite in float64 but not once rounded to f32 (the 1e-10 is
   * below f32's resolution of the diagonal), and without it gp_pois_regr's kernel rejects at rho > 8. The
   * relative change, K 2^-23, is f32's own rounding of the pivot.
   */
  choleskyStmts(
    S: (i: Expr, j: Expr) => Expr,
    K: Expr,
    read: (i: Expr, j: Expr) => Expr,
    write: (i: Expr, j: Expr, v: Expr) => Stmt,
  ): Stmt[] {
    const [iv, jv] = [this.loopId(), this.loopId()];
    const i: Expr = { k: 'loop', id: iv, t: 'int' };
    const j: Expr = { k: 'loop', id: jv, t: 'int' };
    const dotRows = (a: Expr, b: Expr, n: Expr): Expr => {
      const id = this.loopId();
      const k: Expr = { k: 'loop', id, t: 'int' };
      return { k: 'reduce', op: 'sum', id, count: n, body: call('mul', [read(a, k), read(b, k)]), t: 'real' };
    };
    const before = (x: Expr) => call('sub', [x, c(1, 'int')], 'int');
    const offDiag = call('div', [call('sub', [S(i, j), dotRows(i, j, before(j))]), read(j, j)]);
    const tol = call('mul', [c(CHOLESKY_PIVOT_TOLERANCE), call('mul', [K, S(i, i)])]);
    const pivot = call('cholesky_pivot', [call('sub', [S(i, i), dotRows(i, i, before(i))]), tol]);
    return [
      {
        k: 'for',
        id: iv,
        lower: c(1, 'int'),
        upper: K,
        body: [
          { k: 'for', id: jv, lower: c(1, 'int'), upper: before(i), body: [write(i, j, offDiag)] },
          { k: 'if', cond: call('le', [pivot, c(0)], 'int'), then: [{ k: 'reject' }], else: [] },
          write(i, i, call('sqrt', [pivot])),
        ],
      },
    ];
  }

  /**
   * The Cholesky factor of a covariance matrix argument: computed once on the host in float64 (a host variable
   * written after the transformed data) when S reads data only, else by statements run before the statement
   * that needs it (`pending`), into a local.
   */
  choleskyOf(S: Lazy, span: Span): (i: Expr, j: Expr) => Expr {
    const kId = this.sizeOf(S.shape[0]!, span);
    const K = sz(kId);
    const probe = [this.loopId(), this.loopId()];
    const el = S.at(probe.map((id): Expr => ({ k: 'loop', id, t: 'int' })));
    const dims = [kId, kId];
    const index = (i: Expr, j: Expr) => flatIndex(dims, [i, j]);
    if (this.phase !== 'transformed data' && hostEvaluableWith(el, new Set(probe))) {
      const id = this.hosts.length;
      this.hosts.push({ id, name: 'cholesky__', t: 'real', dims, source: 'transformed' });
      const read = (i: Expr, j: Expr): Expr => ({ k: 'host', id, index: index(i, j), t: 'real' });
      this.hostPrep.push(
        { k: 'allocHost', host: id },
        ...this.choleskyStmts(
          (i, j) => S.at([i, j]),
          K,
          read,
          (i, j, value) => ({ k: 'hostAssign', host: id, index: index(i, j), value }),
        ),
      );
      return read;
    }
    const st = this.scratch('cholesky__', 'real', dims);
    this.pending.push(
      ...st.alloc,
      ...this.choleskyStmts(
        (i, j) => S.at([i, j]),
        K,
        (i, j) => st.read([i, j]),
        (i, j, v) => st.write([i, j], v),
      ),
    );
    return (i, j) => st.read([i, j]);
  }

  /**
   * gp_exp_quad_cov(x, alpha, rho) and (x1, x2, alpha, rho), x an array of reals or of vectors: element (i, j) is
   * alpha^2 exp(-|x_i - x'_j|^2 / (2 rho^2)), as Stan defines it, computed per element (nothing stored). Vectors
   * of different lengths (two-set form) reject, as Stan's size check throws.
   */
  gpExpQuadCov(name: string, ls: readonly Lazy[], span: Span): Lazy {
    const [x1, x2, alpha, rho] = (ls.length === 4 ? ls : [ls[0], ls[0], ls[1], ls[2]]) as [
      Lazy,
      Lazy,
      Lazy,
      Lazy,
    ];
    const vectors = x1.base === 'vector';
    const points = (x: Lazy) =>
      x.arr === 1 && (vectors ? x.base === 'vector' && x.shape.length === 2 : x.shape.length === 1);
    if (!points(x1) || !points(x2) || alpha.shape.length || rho.shape.length)
      throw new Unsupported(span, `${name} takes an array of reals or of vectors (or two), then two reals`);
    if (vectors && ls.length === 4)
      this.pending.push({
        k: 'if',
        cond: call('ne', [x1.shape[1]!, x2.shape[1]!], 'int'),
        then: [{ k: 'reject' }],
        else: [],
      });
    const sqDist = (i: Expr, j: Expr): Expr => {
      if (!vectors) return call('square', [call('sub', [x1.at([i]), x2.at([j])])]);
      const id = this.loopId();
      const d: Expr = { k: 'loop', id, t: 'int' };
      const body = call('square', [call('sub', [x1.at([i, d]), x2.at([j, d])])]);
      return { k: 'reduce', op: 'sum', id, count: x1.shape[1]!, body, t: 'real' };
    };
    return {
      base: 'matrix',
      t: 'real',
      arr: 0,
      shape: [x1.shape[0]!, x2.shape[0]!],
      at: (idx) => {
        const [i, j] = idx as [Expr, Expr];
        const scaled = call('div', [sqDist(i, j), call('square', [rho.at([])])]);
        return call('mul', [call('square', [alpha.at([])]), call('exp', [call('mul', [c(-0.5), scaled])])]);
      },
    };
  }

  /**
   * hmm_marginal(log_omega, Gamma, rho) (src/stan/hmm.ts): the scaled forward algorithm's statements go before
   * the statement (`pending`); the value reads its log marginal.
   */
  hmmMarginal(ls: readonly Lazy[], span: Span): Expr {
    const [logOmega, gamma, rho] = ls as [Lazy, Lazy, Lazy];
    const matrix = (l: Lazy) => l.base === 'matrix' && l.arr === 0;
    if (ls.length !== 3 || !matrix(logOmega) || !matrix(gamma) || rho.base !== 'vector' || rho.arr)
      throw new Unsupported(
        span,
        'hmm_marginal takes a matrix (log_omega), a matrix (Gamma) and a vector (rho)',
      );
    const solve = hmmMarginal(
      {
        k: this.sizeOf(logOmega.shape[0]!, span),
        n: logOmega.shape[1]!,
        gammaRows: gamma.shape[0]!,
        gammaCols: gamma.shape[1]!,
        rhoSize: rho.shape[0]!,
        logOmega: (k, n) => logOmega.at([k, n]),
        gamma: (i, j) => gamma.at([i, j]),
        rho: (k) => rho.at([k]),
        active: ls.some((l) => this.lazyActive(l)),
      },
      this.scratchEnv(),
    );
    this.pending.push(...solve.stmts);
    return solve.value;
  }

  /**
   * The eigendecomposition of a symmetric matrix of data (eigenvalues_sym, eigenvectors_sym), on the host in
   * float64 (an `eigenSym` statement): in the transformed data before the statement that needs it, elsewhere
   * once after the transformed data. Of a parameter-dependent matrix it is refused: its derivatives would need
   * the eigenvectors' (and a GPU eigensolver).
   */
  eigenOf(
    S: Lazy,
    name: string,
    span: Span,
  ): { values: (k: Expr) => Expr; vectors: (i: Expr, j: Expr) => Expr } {
    if (S.base !== 'matrix' || S.arr) throw new Unsupported(span, `${name} takes a matrix`);
    const probe = [this.loopId(), this.loopId()];
    const loops = probe.map((id): Expr => ({ k: 'loop', id, t: 'int' }));
    const td = this.phase === 'transformed data';
    if (!td && !hostEvaluableWith(S.at(loops), new Set(probe)))
      throw new Unsupported(
        span,
        `${name} of a parameter-dependent matrix is not supported (only of data and transformed data, computed once on the host)`,
      );
    const [rId, cId] = [this.sizeOf(S.shape[0]!, span), this.sizeOf(S.shape[1]!, span)];
    const host = (suffix: string, dims: readonly number[]) => {
      const id = this.hosts.length;
      this.hosts.push({ id, name: `${name}__${suffix}`, t: 'real', dims, source: 'transformed' });
      return id;
    };
    const [matrix, values, vectors] = [
      host('matrix', [rId, cId]),
      host('values', [rId]),
      host('vectors', [rId, rId]),
    ];
    const stmts: Stmt[] = [
      { k: 'allocHost', host: matrix },
      ...this.nest([S.shape[0]!, S.shape[1]!], (idx) => [
        { k: 'hostAssign', host: matrix, index: flatIndex([rId, cId], idx), value: S.at(idx) },
      ]),
      { k: 'eigenSym', matrix, values, vectors },
    ];
    (td ? this.pending : this.hostPrep).push(...stmts);
    return {
      values: (k) => ({ k: 'host', id: values, index: flatIndex([rId], [k]), t: 'real' }),
      vectors: (i, j) => ({ k: 'host', id: vectors, index: flatIndex([rId, rId], [i, j]), t: 'real' }),
    };
  }

  /**
   * multi_normal(_cholesky)(y | mu, Sigma or L), summed over arrays of vectors (y, mu or both) as Stan's is:
   * with w = L^-1 (y - mu) by forward substitution into a local (statements run before the statement),
   * -0.5 sum w^2 - N sum log L_ii - 0.5 N K log(2 pi). Under `~` the log-determinant goes when L is data, the
   * 2 pi term always, the whole density when nothing is active (Stan's include_summand).
   */
  multiNormal(cholesky: boolean, ls: readonly Lazy[], propto: boolean, span: Span): Expr {
    const what = cholesky ? 'multi_normal_cholesky' : 'multi_normal';
    const [y, mu, S] = ls as [Lazy, Lazy, Lazy];
    const isVecs = (l: Lazy) =>
      l.arr <= 1 && l.shape.length === l.arr + 1 && (l.base === 'vector' || l.base === 'row_vector');
    if (ls.length !== 3 || !isVecs(y) || !isVecs(mu) || S.base !== 'matrix' || S.arr !== 0)
      throw new Unsupported(
        span,
        `${what} takes a vector (or an array of them), a vector (or an array of them) and a matrix`,
      );
    const active = [y, mu, S].map((l) => this.lazyActive(l));
    if (propto && !active.some(Boolean)) return c(0);
    // Sizes that do not match (Stan's check_size_match) reject: K of y, mu and the matrix; the array lengths.
    const sizes: [Expr, Expr][] = [
      [y.shape[y.arr]!, mu.shape[mu.arr]!],
      [y.shape[y.arr]!, S.shape[0]!],
      [y.shape[y.arr]!, S.shape[1]!],
    ];
    if (y.arr && mu.arr) sizes.push([y.shape[0]!, mu.shape[0]!]);
    for (const [a, b] of sizes)
      this.pending.push({ k: 'if', cond: call('ne', [a, b], 'int'), then: [{ k: 'reject' }], else: [] });
    const L = cholesky ? (i: Expr, j: Expr) => S.at([i, j]) : this.choleskyOf(S, span);
    const kId = this.sizeOf(y.shape[y.arr]!, span);
    const K = sz(kId);
    const outer = y.arr ? y.shape[0]! : mu.arr ? mu.shape[0]! : c(1, 'int');
    const nId = this.sizeOf(outer, span);
    const el = (l: Lazy, n: Expr, i: Expr) => l.at(l.arr ? [n, i] : [i]);
    const w = this.scratch(`${what}__w`, 'real', [nId, kId]);
    const [nv, iv, kv] = [this.loopId(), this.loopId(), this.loopId()];
    const n: Expr = { k: 'loop', id: nv, t: 'int' };
    const i: Expr = { k: 'loop', id: iv, t: 'int' };
    const k: Expr = { k: 'loop', id: kv, t: 'int' };
    const solved: Expr = {
      k: 'reduce',
      op: 'sum',
      id: kv,
      count: call('sub', [i, c(1, 'int')], 'int'),
      body: call('mul', [L(i, k), w.read([n, k])]),
      t: 'real',
    };
    const value = call('div', [call('sub', [call('sub', [el(y, n, i), el(mu, n, i)]), solved]), L(i, i)]);
    this.pending.push(...w.alloc, {
      k: 'for',
      id: nv,
      lower: c(1, 'int'),
      upper: sz(nId),
      body: [{ k: 'for', id: iv, lower: c(1, 'int'), upper: K, body: [w.write([n, i], value)] }],
    });
    const N = sz(nId);
    let lp: Expr = call('mul', [
      c(-0.5),
      this.reduceAll([N, K], (idx) => call('square', [w.read([idx[0]!, idx[1]!])]), 'sum'),
    ]);
    if (!propto || active[2]) {
      const logDet = this.reduceAll([K], (idx) => call('log', [L(idx[0]!, idx[0]!)]), 'sum');
      lp = call('sub', [lp, call('mul', [N, logDet])]);
    }
    if (!propto) lp = call('sub', [lp, call('mul', [call('mul', [N, K], 'int'), c(0.5 * LOG_2PI)])]);
    return lp;
  }

  /**
   * lkj_corr_cholesky(L | eta) and lkj_corr(Omega | eta), as Stan Math's: the normalising constant (Lewandowski,
   * Kurowicka and Joe 2009, theorem 5: (K - 1) lgamma(eta + (K - 1) / 2) - sum_{k=1}^{K-1} (k/2 log pi +
   * lgamma(eta + (K - 1 - k) / 2)), which Stan's eta = 1 branch equals) kept unless `~` with a data eta; then
   * sum_{i>=2} (K - i + 2 eta - 2) log L_ii for the factor, (eta - 1) log det Omega for the matrix (its log
   * determinant from its Cholesky factor), dropped under `~` only when both arguments are data.
   */
  lkj(cholesky: boolean, ls: readonly Lazy[], propto: boolean, span: Span): Expr {
    const what = cholesky ? 'lkj_corr_cholesky' : 'lkj_corr';
    const [m, eta] = ls as [Lazy, Lazy];
    if (ls.length !== 2 || m.base !== 'matrix' || m.arr || eta.shape.length !== 0)
      throw new Unsupported(span, `${what} takes a matrix and a real`);
    const [mActive, etaActive] = [this.lazyActive(m), this.lazyActive(eta)];
    const e = eta.at([]);
    const K = m.shape[0]!;
    const km1 = call('sub', [K, c(1, 'int')], 'int');
    const half = (x: Expr) => call('mul', [c(0.5), x]);
    const terms: Expr[] = [];
    if (!propto || etaActive) {
      const sum = this.reduceAll(
        [km1],
        (idx) =>
          call('add', [
            call('mul', [half(idx[0]!), c(Math.log(Math.PI))]),
            call('lgamma', [call('add', [e, half(call('sub', [km1, idx[0]!], 'int'))])]),
          ]),
        'sum',
      );
      terms.push(call('sub', [call('mul', [km1, call('lgamma', [call('add', [e, half(km1)])])]), sum]));
    }
    if (!propto || mActive || etaActive) {
      if (cholesky) {
        // Diagonal entry i = r + 1 for r = 1..K-1: coefficient K - r - 3 + 2 eta.
        terms.push(
          this.reduceAll(
            [km1],
            (idx) => {
              const r = idx[0]!;
              const i = call('add', [r, c(1, 'int')], 'int');
              const coef = call('add', [
                call('sub', [K, call('add', [r, c(3, 'int')], 'int')], 'int'),
                call('mul', [c(2), e]),
              ]);
              return call('mul', [coef, call('log', [m.at([i, i])])]);
            },
            'sum',
          ),
        );
      } else {
        const L = this.choleskyOf(m, span);
        const logDet = this.reduceAll([K], (idx) => call('log', [L(idx[0]!, idx[0]!)]), 'sum');
        terms.push(call('mul', [call('sub', [e, c(1)]), call('mul', [c(2), logDet])]));
      }
    }
    return terms.reduce((a, b) => call('add', [a, b]), c(0));
  }

  /** categorical(_logit)(y | theta): log theta[y] (beta[y] - log_sum_exp(beta)), summed over an int array y. */
  categorical(logit: boolean, ls: readonly Lazy[], propto: boolean, span: Span): Expr {
    const [y, theta] = ls as [Lazy, Lazy];
    if (ls.length !== 2 || y.t !== 'int' || y.shape.length > 1 || theta.shape.length !== 1 || theta.arr)
      throw new Unsupported(span, 'categorical takes an int (or an array of them) and a vector');
    const one = (k: Expr): Expr => {
      const el = theta.at([k]);
      if (!logit) return call('categorical_term', [el], 'real', propto);
      return call('categorical_logit_term', [el, this.total(theta, 'lse')], 'real', propto);
    };
    if (y.shape.length === 0) return one(y.at([]));
    return this.reduceAll(y.shape, (i) => one(y.at(i)), 'sum');
  }

  reduceAll(
    shape: readonly Expr[],
    elem: (idx: readonly Expr[]) => Expr,
    op: 'sum' | 'lse' | 'max' | 'min' | 'prod',
  ): Expr {
    const go = (k: number, idx: Expr[]): Expr => {
      if (k === shape.length) return elem(idx);
      const id = this.loopId();
      const body = go(k + 1, [...idx, { k: 'loop', id, t: 'int' }]);
      return { k: 'reduce', op, id, count: shape[k]!, body, t: body.t };
    };
    return go(0, []);
  }

  total(l: Lazy, op: 'sum' | 'lse' | 'max' | 'min' | 'prod'): Expr {
    return l.shape.length === 0 ? l.at([]) : this.reduceAll(l.shape, l.at, op);
  }

  assign(lhsIn: AExpr, op: string, rhsE: AExpr, span: Span): Stmt[] {
    // The place: a variable with indices (ints, int arrays, ranges); a[i][j] with single indices is a[i, j].
    const lhs = flattenSingleIndices(lhsIn);
    const target = lhs.kind === 'Indexed' ? lhs.target : lhs;
    if (target.kind !== 'Variable') throw new Unsupported(lhs.span, 'unsupported assignment target');
    const b = this.lookup(target.name, span);
    if (b.kind === 'alias') throw new Unsupported(span, `cannot assign to "${target.name}"`);
    const items = lhs.kind === 'Indexed' ? this.indexItems(lhs, b.lazy) : [];
    let rhs = this.lx(rhsE);
    if (op !== '=') {
      const cur = this.lx(lhs);
      const bop = { '+=': '+', '-=': '-', '*=': '*', '/=': '/', '.*=': '.*', './=': './' }[op] ?? '+';
      rhs = bop === '*' ? this.multiply(cur, rhs, span) : this.binary(bop, cur, rhs, span);
    }
    return this.assignAll(target.name, span, items, rhs);
  }

  /**
   * Assigns rhs to the place name[items]: one loop per dimension the place keeps (a range, a multi-index, or a
   * dimension not indexed), elementwise (a right-hand side that overlaps the place is read as it is written).
   */
  assignAll(name: string, span: Span, items: readonly IndexItem[], rhs: Lazy): Stmt[] {
    const b = this.lookup(name, span);
    if (b.kind === 'alias') throw new Unsupported(span, `cannot assign to "${name}"`);
    const full = b.dims;
    const kept: Expr[] = [];
    items.forEach((it) => {
      if (it.kind === 'range') kept.push(it.n);
      else if (it.kind === 'multi') kept.push(it.l.shape[0]!);
    });
    kept.push(...full.slice(items.length).map(sz));
    if (rhs.shape.length !== 0 && rhs.shape.length !== kept.length)
      throw new Unsupported(
        span,
        `assignment of a value with ${rhs.shape.length} dimensions to one with ${kept.length}`,
      );
    return this.nest(kept, (ridx) => {
      const index = flatIndex(full, resolveItems(items, ridx));
      const value = rhs.shape.length === 0 ? rhs.at([]) : rhs.at(ridx);
      if (b.kind === 'host') {
        if (this.phase !== 'transformed data') throw new Unsupported(span, `cannot assign to data "${name}"`);
        return [{ k: 'hostAssign', host: b.id, index, value }];
      }
      return [{ k: 'assign', local: b.id, index, value }];
    });
  }

  // ---- expressions

  scalarExpr(e: AExpr, what: string): Expr {
    const l = this.lx(e);
    if (l.shape.length !== 0) throw new Unsupported(e.span, `${what} must be a scalar`);
    return l.at([]);
  }

  index(l: Lazy, idx: readonly Expr[]): Lazy {
    const n = idx.length;
    const consumedInner = Math.max(0, n - l.arr);
    let base = l.base;
    if (consumedInner > 0) {
      if (base === 'vector' || base === 'row_vector') base = 'real';
      else if (base === 'matrix') base = consumedInner === 1 ? 'row_vector' : 'real';
    }
    return {
      base,
      t: l.t,
      shape: l.shape.slice(n),
      arr: Math.max(0, l.arr - n),
      at: (rest) => l.at([...idx, ...rest]),
    };
  }

  lx(e: AExpr): Lazy {
    switch (e.kind) {
      case 'IntLiteral':
        return scalar(c(e.value, 'int'));
      case 'RealLiteral':
        return scalar(c(e.value, 'real'));
      case 'Variable':
        return this.lookup(e.name, e.span).lazy;
      case 'Indexed':
        return this.indexed(e);
      case 'Unary': {
        const o = this.lx(e.operand);
        if (e.op === '+') return o;
        if (e.op === '!') return this.map(o, (x) => call('not', [x, c(0, 'int')], 'int'), 'int');
        return this.map(o, (x) => call('neg', [x], x.t), o.t);
      }
      case 'Binary':
        return this.binary(e.op, this.lx(e.left), this.lx(e.right), e.span);
      case 'Transpose': {
        const o = this.lx(e.operand);
        if (o.base === 'vector') return { ...o, base: 'row_vector' };
        if (o.base === 'row_vector') return { ...o, base: 'vector' };
        if (o.base === 'matrix' && o.arr === 0)
          return { ...o, shape: [o.shape[1]!, o.shape[0]!], at: (i) => o.at([i[1]!, i[0]!]) };
        throw new Unsupported(e.span, 'transpose of this value is not supported');
      }
      case 'Ternary': {
        const cond = this.scalarExpr(e.cond, 'a condition');
        const a = this.lx(e.then);
        const b = this.lx(e.else);
        if (a.shape.length || b.shape.length)
          throw new Unsupported(e.span, 'a vector-valued ?: is not supported yet');
        const t: ScalarKind = a.t === 'real' || b.t === 'real' ? 'real' : 'int';
        return scalar({ k: 'select', cond, a: a.at([]), b: b.at([]), t });
      }
      case 'Call':
        return this.callExpr(e);
      case 'ArrayLiteral':
      case 'RowVectorLiteral': {
        const ls = e.elements.map((x) => this.lx(x));
        const inner = ls[0]!;
        if (ls.some((l) => l.shape.length !== inner.shape.length))
          throw new Unsupported(e.span, 'the elements of a literal must have the same shape');
        if (e.kind === 'RowVectorLiteral' && inner.shape.length > 1)
          throw new Unsupported(e.span, 'a literal of matrices');
        const t: ScalarKind =
          ls.some((x) => x.t === 'real') || e.kind === 'RowVectorLiteral' ? 'real' : 'int';
        // Element k of the literal, chosen by the 1-based index i (a chain of selects: literals are short).
        const pick = (i: Expr, rest: readonly Expr[]): Expr => {
          let out: Expr = ls[ls.length - 1]!.at(rest);
          for (let k = ls.length - 2; k >= 0; k--)
            out = {
              k: 'select',
              cond: call('eq', [i, c(k + 1, 'int')], 'int'),
              a: ls[k]!.at(rest),
              b: out,
              t,
            };
          return out;
        };
        const shape = [c(ls.length, 'int'), ...inner.shape];
        if (e.kind === 'ArrayLiteral')
          return {
            base: inner.base === 'int' ? t : inner.base,
            t,
            shape,
            arr: 1 + inner.arr,
            at: (i) => pick(i[0]!, i.slice(1)),
          };
        // [a, b] of scalars: a row vector; [r1, r2] of row vectors: a matrix with those rows.
        return {
          base: inner.shape.length ? 'matrix' : 'row_vector',
          t,
          shape,
          arr: 0,
          at: (i) => pick(i[0]!, i.slice(1)),
        };
      }
      case 'ImagLiteral':
        throw new Unsupported(e.span, 'complex numbers are not supported');
    }
  }

  indexItems(e: Extract<AExpr, { kind: 'Indexed' }>, t: Lazy): IndexItem[] {
    if (e.indices.length > t.shape.length) throw new Unsupported(e.span, 'too many indices');
    return e.indices.map((it, k): IndexItem => {
      if (it.kind === 'range') {
        const lo = it.lower ? this.scalarExpr(it.lower, 'a range bound') : c(1, 'int');
        const hi = it.upper ? this.scalarExpr(it.upper, 'a range bound') : t.shape[k]!;
        return { kind: 'range', lo, n: call('add', [call('sub', [hi, lo], 'int'), c(1, 'int')], 'int') };
      }
      const l = this.lx(it.expr);
      if (l.shape.length === 0) return { kind: 'single', e: l.at([]) };
      if (l.shape.length === 1 && l.t === 'int') return { kind: 'multi', l };
      throw new Unsupported(it.span, 'an index must be an int or an array of ints');
    });
  }

  /** a[i], a[idxs] (an int array: a multi-index), a[l:u], a[:], in any combination. */
  indexed(e: Extract<AExpr, { kind: 'Indexed' }>): Lazy {
    const t = this.lx(e.target);
    if (e.indices.length > t.shape.length) throw new Unsupported(e.span, 'too many indices');
    const items = this.indexItems(e, t);
    if (items.every((i) => i.kind === 'single'))
      return this.index(
        t,
        items.map((i) => (i as { e: Expr }).e),
      );
    const keptAt = (k: number) => k >= items.length || items[k]!.kind !== 'single';
    const shape: Expr[] = [];
    items.forEach((it) => {
      if (it.kind === 'range') shape.push(it.n);
      else if (it.kind === 'multi') shape.push(it.l.shape[0]!);
    });
    shape.push(...t.shape.slice(items.length));
    let arr = 0;
    for (let k = 0; k < t.arr; k++) if (keptAt(k)) arr++;
    let base: Base = t.base;
    if (t.base === 'vector' || t.base === 'row_vector') base = keptAt(t.arr) ? t.base : t.t;
    if (t.base === 'matrix') {
      const [r, cc] = [keptAt(t.arr), keptAt(t.arr + 1)];
      base = r && cc ? 'matrix' : r ? 'vector' : cc ? 'row_vector' : t.t;
    }
    const at = (rest: readonly Expr[]): Expr => {
      let j = 0;
      const full: Expr[] = items.map((it) => {
        if (it.kind === 'single') return it.e;
        const r = rest[j++]!;
        return it.kind === 'multi'
          ? it.l.at([r])
          : call('add', [it.lo, call('sub', [r, c(1, 'int')], 'int')], 'int');
      });
      return t.at([...full, ...rest.slice(j)]);
    };
    return { base, t: t.t, shape, arr, at };
  }

  map(l: Lazy, f: (x: Expr) => Expr, t: ScalarKind): Lazy {
    return { ...l, t, base: l.shape.length === 0 ? t : l.base, at: (i) => f(l.at(i)) };
  }

  zip(a: Lazy, b: Lazy, f: (x: Expr, y: Expr) => Expr, t: ScalarKind, span: Span): Lazy {
    if (a.shape.length === 0 && b.shape.length === 0) return scalar(f(a.at([]), b.at([])));
    if (a.shape.length === 0) return { ...b, t, at: (i) => f(a.at([]), b.at(i)) };
    if (b.shape.length === 0) return { ...a, t, at: (i) => f(a.at(i), b.at([])) };
    if (a.shape.length !== b.shape.length) throw new Unsupported(span, 'operands of different shapes');
    return { ...a, t, at: (i) => f(a.at(i), b.at(i)) };
  }

  binary(op: string, a: Lazy, b: Lazy, span: Span): Lazy {
    const both: ScalarKind = a.t === 'int' && b.t === 'int' ? 'int' : 'real';
    const arith = (fn: string, t: ScalarKind = both) =>
      this.zip(a, b, (x, y) => call(fn, [x, y], t), t, span);
    switch (op) {
      case '+':
        return arith('add');
      case '-':
        return arith('sub');
      case '.*':
        return arith('mul');
      case './':
        return arith('div', 'real');
      case '/':
        if (b.shape.length) throw new Unsupported(span, 'division by a vector or matrix: use ./');
        return arith('div', both);
      case '%':
        return arith('mod', 'int');
      case '%/%':
        return arith('div', 'int');
      case '^':
      case '.^':
        return this.zip(a, b, (x, y) => call('pow', [x, y], 'real'), 'real', span);
      case '*':
        return this.multiply(a, b, span);
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '==':
      case '!=':
      case '&&':
      case '||': {
        const fn = {
          '<': 'lt',
          '<=': 'le',
          '>': 'gt',
          '>=': 'ge',
          '==': 'eq',
          '!=': 'ne',
          '&&': 'and',
          '||': 'or',
        }[op];
        if (a.shape.length || b.shape.length) throw new Unsupported(span, `${op} on vectors`);
        // && and || short-circuit, as in Stan (`i <= N && x[i] > 0` must not read x[N + 1]).
        if (op === '&&' || op === '||') {
          const bTrue = call('ne', [b.at([]), c(0, 'int')], 'int');
          return scalar({
            k: 'select',
            cond: a.at([]),
            a: op === '&&' ? bTrue : c(1, 'int'),
            b: op === '&&' ? c(0, 'int') : bTrue,
            t: 'int',
          });
        }
        return scalar(call(fn, [a.at([]), b.at([])], 'int'));
      }
      default:
        throw new Unsupported(span, `operator ${op} is not supported yet`);
    }
  }

  multiply(a: Lazy, b: Lazy, span: Span): Lazy {
    if (a.shape.length === 0 || b.shape.length === 0) {
      const t: ScalarKind = a.t === 'int' && b.t === 'int' ? 'int' : 'real';
      return this.zip(a, b, (x, y) => call('mul', [x, y], t), t, span);
    }
    if (a.arr || b.arr) throw new Unsupported(span, '* on arrays');
    const dot = (row: (j: Expr) => Expr, col: (j: Expr) => Expr, n: Expr): Expr => {
      const id = this.loopId();
      const j: Expr = { k: 'loop', id, t: 'int' };
      return {
        k: 'reduce',
        op: 'sum',
        id,
        count: n,
        body: call('mul', [row(j), col(j)]),
        t: 'real',
      };
    };
    if (a.base === 'matrix' && b.base === 'vector')
      return {
        base: 'vector',
        t: 'real',
        arr: 0,
        shape: [a.shape[0]!],
        at: (i) =>
          dot(
            (j) => a.at([i[0]!, j]),
            (j) => b.at([j]),
            a.shape[1]!,
          ),
      };
    if (a.base === 'row_vector' && b.base === 'vector')
      return scalar(
        dot(
          (j) => a.at([j]),
          (j) => b.at([j]),
          a.shape[0]!,
        ),
      );
    if (a.base === 'row_vector' && b.base === 'matrix')
      return {
        base: 'row_vector',
        t: 'real',
        arr: 0,
        shape: [b.shape[1]!],
        at: (i) =>
          dot(
            (j) => a.at([j]),
            (j) => b.at([j, i[0]!]),
            b.shape[0]!,
          ),
      };
    if (a.base === 'matrix' && b.base === 'matrix')
      return {
        base: 'matrix',
        t: 'real',
        arr: 0,
        shape: [a.shape[0]!, b.shape[1]!],
        at: (i) =>
          dot(
            (j) => a.at([i[0]!, j]),
            (j) => b.at([j, i[1]!]),
            a.shape[1]!,
          ),
      };
    if (a.base === 'vector' && b.base === 'row_vector')
      return {
        base: 'matrix',
        t: 'real',
        arr: 0,
        shape: [a.shape[0]!, b.shape[0]!],
        at: (i) => call('mul', [a.at([i[0]!]), b.at([i[1]!])]),
      };
    throw new Unsupported(span, `${a.base} * ${b.base} is not supported`);
  }

  /**
   * An `_rng` call, in generated quantities (shaders/stan/rng.wgsl, src/stan/rng.ts): each element is drawn once,
   * in program order, by statements put in `pending` that fill a fresh local, which the call then reads. (A lazy
   * draw would be drawn again wherever its value is read.) Vectorised as Stan's: a container argument gives an
   * array of draws. categorical_rng(theta) is one uniform u and 1 + #{k < K : theta_1 + ... + theta_k <= u}.
   */
  rngCall(e: Extract<AExpr, { kind: 'Call' }>): Lazy {
    const name = e.name;
    const family = name.slice(0, -'_rng'.length);
    if (!this.generating)
      throw new Unsupported(
        e.nameSpan,
        `${name}: random numbers are supported in generated quantities only (transformed data runs before any seed)`,
      );
    const args = e.args.map((a) => this.lx(a));
    if (family === 'categorical') return this.categoricalRng(args[0]!, e.span);
    const spec = RNG_FAMILIES[family];
    if (!spec) throw new Unsupported(e.nameSpan, `function "${name}" is not supported yet`);
    const shaped = args.find((l) => l.shape.length > 0);
    if (shaped && args.some((l) => l.shape.length > 0 && l.shape.length !== shaped.shape.length))
      throw new Unsupported(e.span, `${name}: arguments of different shapes`);
    if (shaped && shaped.shape.length > 1)
      throw new Unsupported(e.span, `${name} of a matrix or nested array is not supported yet`);
    const draw = (idx: readonly Expr[]): Expr =>
      call(
        name,
        args.map((l) => l.at(l.shape.length ? idx : [])),
        spec.t,
      );
    const shape = shaped ? shaped.shape : [];
    const dims = shape.map((x) => this.sizeOf(x, e.span));
    const st = this.scratch(`${name}__draw`, spec.t, dims);
    this.pending.push(...st.alloc, ...this.nest(shape, (idx) => [st.write(idx, draw(idx))]));
    return this.storageLazy(st.kind, st.id, spec.t, spec.t, dims, dims.length);
  }

  categoricalRng(theta: Lazy, span: Span): Lazy {
    if (theta.shape.length !== 1 || theta.arr) throw new Unsupported(span, 'categorical_rng takes a vector');
    const u = this.scratch('categorical_rng__u', 'real', []);
    const acc = this.scratch('categorical_rng__cumulative', 'real', []);
    const out = this.scratch('categorical_rng__draw', 'int', []);
    const id = this.loopId();
    const k: Expr = { k: 'loop', id, t: 'int' };
    const K = theta.shape[0]!;
    this.pending.push(
      ...u.alloc,
      ...acc.alloc,
      ...out.alloc,
      u.write([], call('uniform_rng', [c(0), c(1)])),
      acc.write([], c(0)),
      out.write([], c(1, 'int')),
      {
        k: 'for',
        id,
        lower: c(1, 'int'),
        upper: call('sub', [K, c(1, 'int')], 'int'),
        body: [
          acc.write([], call('add', [acc.read([]), theta.at([k])])),
          out.write(
            [],
            call(
              'add',
              [
                out.read([]),
                {
                  k: 'select',
                  cond: call('le', [acc.read([]), u.read([])], 'int'),
                  a: c(1, 'int'),
                  b: c(0, 'int'),
                  t: 'int',
                },
              ],
              'int',
            ),
          ),
        ],
      },
    );
    return scalar(out.read([]));
  }

  callExpr(e: Extract<AExpr, { kind: 'Call' }>): Lazy {
    const name = e.name;
    const args = e.args;
    if (name in CONSTANTS && args.length === 0) return scalar(c(CONSTANTS[name]!));
    const unsupported = () => new Unsupported(e.nameSpan, `function "${name}" is not supported yet`);
    if (e.resolved?.kind === 'user') {
      const def = this.userDef(e.resolved.def, name, e.nameSpan);
      // A user density called as _lupdf (or a _lp function) keeps dropping constants where the caller does.
      const isDensity = /_(lpdf|lpmf)$/.test(def.name);
      const propto = isDensity ? /_lup[dm]f$/.test(name) && this.proptoCtx : this.proptoCtx;
      const out = this.inline(def, args, propto, e.span);
      if (!out) throw new Unsupported(e.span, `function "${name}" returns no value`);
      return out;
    }
    if (ODE_SOLVERS.has(name)) return this.ode(e);
    if (/_lc?cdf$/.test(name)) {
      if (!PRIMS[name]?.cdf) throw unsupported();
      if (name.startsWith('student_t_') && args[1]?.dataOnly === false)
        throw new Unsupported(args[1].span, `${name} with a parameter-dependent nu is not supported yet`);
      return scalar(this.density(name, args, false, e.span));
    }
    if (name.endsWith('_rng')) return this.rngCall(e);
    for (const suffix of ['_lpdf', '_lpmf', '_lupdf', '_lupmf']) {
      if (name.endsWith(suffix)) {
        const base = name.slice(0, -suffix.length);
        const full = this.densityName(base, e.nameSpan);
        return scalar(this.density(full, args, suffix.startsWith('_lu') && this.proptoCtx, e.span));
      }
    }
    const prim = ELEMENTWISE[name];
    if (prim && args.length === 1) return this.map(this.lx(args[0]!), (x) => call(prim, [x], 'real'), 'real');
    const ls = () => args.map((a) => this.lx(a));
    switch (name) {
      case 'pow':
      case 'fmin':
      case 'fmax': {
        const [a, b] = ls() as [Lazy, Lazy];
        return this.zip(a, b, (x, y) => call(name, [x, y], 'real'), 'real', e.span);
      }
      case 'min':
      case 'max': {
        const l = ls();
        if (l.length === 2) {
          const [a, b] = l as [Lazy, Lazy];
          const t: ScalarKind = a.t === 'int' && b.t === 'int' ? 'int' : 'real';
          return this.zip(
            a,
            b,
            (x, y) => call(t === 'int' ? name : name === 'min' ? 'fmin' : 'fmax', [x, y], t),
            t,
            e.span,
          );
        }
        if (l.length === 1) return scalar(this.total(l[0]!, name));
        throw unsupported();
      }
      case 'log_sum_exp': {
        const l = ls();
        if (l.length === 2)
          return this.zip(l[0]!, l[1]!, (x, y) => call('log_sum_exp2', [x, y]), 'real', e.span);
        if (l.length === 1) return scalar(this.total(l[0]!, 'lse'));
        throw unsupported();
      }
      case 'log_mix': {
        const l = ls();
        if (l.length !== 3 || l.some((x) => x.shape.length)) throw unsupported();
        return scalar(
          call(
            'log_mix',
            l.map((x) => x.at([])),
          ),
        );
      }
      case 'sum':
      case 'prod':
        return scalar(this.total(this.lx(args[0]!), name));
      case 'mean': {
        const l = this.lx(args[0]!);
        return scalar(call('div', [this.total(l, 'sum'), this.countOf(l)]));
      }
      case 'dot_product': {
        const [a, b] = ls() as [Lazy, Lazy];
        return scalar(
          this.total(
            this.zip(a, b, (x, y) => call('mul', [x, y]), 'real', e.span),
            'sum',
          ),
        );
      }
      case 'dot_self':
      case 'squared_distance': {
        const l = ls();
        const d =
          l.length === 2 ? this.zip(l[0]!, l[1]!, (x, y) => call('sub', [x, y]), 'real', e.span) : l[0]!;
        return scalar(
          this.total(
            this.map(d, (x) => call('square', [x]), 'real'),
            'sum',
          ),
        );
      }
      case 'size':
      case 'num_elements':
      case 'rows':
      case 'cols': {
        const l = this.lx(args[0]!);
        if (name === 'num_elements') return scalar(this.countOf(l));
        const k = name === 'cols' ? l.shape.length - 1 : 0;
        if (l.shape.length === 0) return scalar(c(1, 'int'));
        return scalar(l.shape[k]!);
      }
      case 'rep_vector':
      case 'rep_row_vector':
      case 'rep_array': {
        const [x, ...ns] = args;
        const v = this.lx(x!);
        if (v.shape.length) throw unsupported();
        const dims = ns.map((n) => this.scalarExpr(n, 'a size'));
        const base: Base = name === 'rep_vector' ? 'vector' : name === 'rep_row_vector' ? 'row_vector' : v.t;
        return {
          base,
          t: name === 'rep_array' ? v.t : 'real',
          shape: dims,
          arr: name === 'rep_array' ? dims.length : 0,
          at: () => v.at([]),
        };
      }
      case 'rep_matrix': {
        const [x, ...ns] = args;
        const v = this.lx(x!);
        const dims = ns.map((n) => this.scalarExpr(n, 'a size'));
        const shape: Expr[] =
          v.shape.length === 0
            ? dims
            : v.base === 'vector'
              ? [v.shape[0]!, dims[0]!]
              : [dims[0]!, v.shape[0]!];
        if (shape.length !== 2 || v.arr) throw unsupported();
        const at = (i: readonly Expr[]): Expr =>
          v.shape.length === 0 ? v.at([]) : v.base === 'vector' ? v.at([i[0]!]) : v.at([i[1]!]);
        return { base: 'matrix', t: 'real', shape, arr: 0, at };
      }
      case 'cumulative_sum': {
        const l = this.lx(args[0]!);
        if (l.shape.length !== 1) throw unsupported();
        // Element i sums the first i (recomputed per element: quadratic, and no stored partial sums).
        return {
          ...l,
          at: (i) => {
            const id = this.loopId();
            const body = l.at([{ k: 'loop', id, t: 'int' }]);
            return { k: 'reduce', op: 'sum', id, count: i[0]!, body, t: body.t };
          },
        };
      }
      case 'variance':
      case 'sd': {
        const l = this.lx(args[0]!);
        const n = this.countOf(l);
        const mean = call('div', [this.total(l, 'sum'), n]);
        const ss = this.total(
          this.map(l, (x) => call('square', [call('sub', [x, mean])]), 'real'),
          'sum',
        );
        const v = call('div', [ss, call('sub', [n, c(1, 'int')], 'int')]);
        return scalar(name === 'sd' ? call('sqrt', [v]) : v);
      }
      case 'softmax':
      case 'log_softmax': {
        const l = this.lx(args[0]!);
        if (l.shape.length !== 1) throw unsupported();
        // exp(x_i - log_sum_exp(x)): the normaliser is recomputed per element (quadratic; nothing stored).
        return this.map(
          l,
          (x) => {
            const d = call('sub', [x, this.total(l, 'lse')]);
            return name === 'softmax' ? call('exp', [d]) : d;
          },
          'real',
        );
      }
      case 'to_vector':
      case 'to_row_vector': {
        const l = this.lx(args[0]!);
        if (l.base === 'matrix' && l.arr === 0) {
          // Column-major, as Stan: element k is m[(k - 1) % R + 1, (k - 1) / R + 1].
          const R = l.shape[0]!;
          const k0 = (i: readonly Expr[]) => call('sub', [i[0]!, c(1, 'int')], 'int');
          return {
            base: name === 'to_vector' ? 'vector' : 'row_vector',
            t: 'real',
            shape: [call('mul', [R, l.shape[1]!], 'int')],
            arr: 0,
            at: (i) =>
              l.at([
                call('add', [call('mod', [k0(i), R], 'int'), c(1, 'int')], 'int'),
                call('add', [call('div', [k0(i), R], 'int'), c(1, 'int')], 'int'),
              ]),
          };
        }
        if (l.shape.length !== 1)
          throw new Unsupported(e.span, `${name} of a matrix or nested array is not supported yet`);
        return { ...l, base: name === 'to_vector' ? 'vector' : 'row_vector', t: 'real', arr: 0 };
      }
      case 'segment':
      case 'head':
      case 'tail': {
        const v = this.lx(args[0]!);
        if (v.shape.length === 0) throw unsupported();
        const rest = args.slice(1).map((a) => this.scalarExpr(a, `an argument of ${name}`));
        const n = name === 'segment' ? rest[1]! : rest[0]!;
        const first =
          name === 'segment'
            ? rest[0]!
            : name === 'head'
              ? c(1, 'int')
              : call('add', [call('sub', [v.shape[0]!, n], 'int'), c(1, 'int')], 'int');
        return {
          ...v,
          shape: [n, ...v.shape.slice(1)],
          at: (i) =>
            v.at([call('add', [first, call('sub', [i[0]!, c(1, 'int')], 'int')], 'int'), ...i.slice(1)]),
        };
      }
      case 'to_matrix': {
        // One argument: a view (nothing stored). A vector is one column, a row vector one row; a 2-D array of
        // reals and an array of row vectors are their rows.
        if (args.length !== 1) throw unsupported();
        const m = this.lx(args[0]!);
        const one = c(1, 'int');
        const rows = (shape: readonly Expr[], at: (i: Expr, j: Expr) => Expr): Lazy => ({
          base: 'matrix',
          t: 'real',
          shape,
          arr: 0,
          at: (idx) => at(idx[0]!, idx[1]!),
        });
        if (m.base === 'matrix' && !m.arr) return m;
        if (m.base === 'vector' && !m.arr) return rows([m.shape[0]!, one], (i) => m.at([i]));
        if (m.base === 'row_vector' && !m.arr) return rows([one, m.shape[0]!], (_, j) => m.at([j]));
        const twoD = (m.base === 'real' && m.arr === 2) || (m.base === 'row_vector' && m.arr === 1);
        if (twoD && m.t === 'real') return rows(m.shape, (i, j) => m.at([i, j]));
        throw unsupported();
      }
      case 'col':
      case 'row': {
        const m = this.lx(args[0]!);
        if (m.base !== 'matrix' || m.arr) throw unsupported();
        const k = this.scalarExpr(args[1]!, `an argument of ${name}`);
        return {
          base: name === 'col' ? 'vector' : 'row_vector',
          t: 'real',
          shape: [m.shape[name === 'col' ? 0 : 1]!],
          arr: 0,
          at: (i) => (name === 'col' ? m.at([i[0]!, k]) : m.at([k, i[0]!])),
        };
      }
      case 'sub_col':
      case 'sub_row': {
        const m = this.lx(args[0]!);
        if (m.base !== 'matrix' || m.arr) throw unsupported();
        const [i, j, n] = args.slice(1).map((a) => this.scalarExpr(a, `an argument of ${name}`)) as [
          Expr,
          Expr,
          Expr,
        ];
        const off = (a: Expr, k: Expr) => call('add', [a, call('sub', [k, c(1, 'int')], 'int')], 'int');
        return {
          base: name === 'sub_col' ? 'vector' : 'row_vector',
          t: 'real',
          shape: [n],
          arr: 0,
          at: (k) => (name === 'sub_col' ? m.at([off(i, k[0]!), j]) : m.at([i, off(j, k[0]!)])),
        };
      }
      case 'append_row':
      case 'append_col':
        return this.append(name, this.lx(args[0]!), this.lx(args[1]!), e.span);
      case 'diag_pre_multiply':
      case 'diag_post_multiply':
      case 'quad_form_diag': {
        const [a, b] = ls() as [Lazy, Lazy];
        const [m, v] = name === 'diag_pre_multiply' ? [b, a] : [a, b];
        if (m.base !== 'matrix' || m.arr || v.shape.length !== 1 || v.arr) throw unsupported();
        // Elementwise: v_i M_ij, M_ij v_j, v_i M_ij v_j (nothing stored).
        const at = (idx: readonly Expr[]): Expr => {
          const [i, j] = idx as [Expr, Expr];
          const x = m.at([i, j]);
          if (name === 'diag_pre_multiply') return call('mul', [v.at([i]), x]);
          if (name === 'diag_post_multiply') return call('mul', [x, v.at([j])]);
          return call('mul', [call('mul', [v.at([i]), x]), v.at([j])]);
        };
        return { base: 'matrix', t: 'real', arr: 0, shape: m.shape, at };
      }
      case 'multiply_lower_tri_self_transpose': {
        const l = this.lx(args[0]!);
        if (l.base !== 'matrix' || l.arr) throw unsupported();
        // (L L^T)_ij over the lower triangle of L only: k <= min(i, j, cols).
        return {
          base: 'matrix',
          t: 'real',
          arr: 0,
          shape: [l.shape[0]!, l.shape[0]!],
          at: (idx) => {
            const [i, j] = idx as [Expr, Expr];
            const id = this.loopId();
            const k: Expr = { k: 'loop', id, t: 'int' };
            const count = call('min', [call('min', [i, j], 'int'), l.shape[1]!], 'int');
            return {
              k: 'reduce',
              op: 'sum',
              id,
              count,
              body: call('mul', [l.at([i, k]), l.at([j, k])]),
              t: 'real',
            };
          },
        };
      }
      case 'cholesky_decompose': {
        const l = this.lx(args[0]!);
        if (l.base !== 'matrix' || l.arr) throw unsupported();
        const L = this.choleskyOf(l, e.span);
        return {
          base: 'matrix',
          t: 'real',
          arr: 0,
          shape: [l.shape[0]!, l.shape[0]!],
          at: (idx) => {
            const [i, j] = idx as [Expr, Expr];
            return { k: 'select', cond: call('le', [j, i], 'int'), a: L(i, j), b: c(0), t: 'real' };
          },
        };
      }
      case 'diag_matrix':
      case 'identity_matrix': {
        const v = name === 'diag_matrix' ? this.lx(args[0]!) : undefined;
        if (v && (v.shape.length !== 1 || v.arr)) throw unsupported();
        const n = v ? v.shape[0]! : this.scalarExpr(args[0]!, 'a size');
        // Elementwise: v_i (or 1) on the diagonal, 0 elsewhere (nothing stored).
        return {
          base: 'matrix',
          t: 'real',
          arr: 0,
          shape: [n, n],
          at: (idx) => {
            const [i, j] = idx as [Expr, Expr];
            return {
              k: 'select',
              cond: call('eq', [i, j], 'int'),
              a: v ? v.at([i]) : c(1),
              b: c(0),
              t: 'real',
            };
          },
        };
      }
      case 'diagonal': {
        const m = this.lx(args[0]!);
        if (m.base !== 'matrix' || m.arr) throw unsupported();
        return {
          base: 'vector',
          t: 'real',
          arr: 0,
          shape: [call('min', [m.shape[0]!, m.shape[1]!], 'int')],
          at: (i) => m.at([i[0]!, i[0]!]),
        };
      }
      case 'add_diag': {
        const [m, d] = ls() as [Lazy, Lazy];
        if (m.base !== 'matrix' || m.arr || d.arr || d.shape.length > 1) throw unsupported();
        return {
          ...m,
          t: 'real',
          at: (idx) => {
            const [i, j] = idx as [Expr, Expr];
            const x = m.at([i, j]);
            const add = call('add', [x, d.shape.length ? d.at([i]) : d.at([])]);
            return { k: 'select', cond: call('eq', [i, j], 'int'), a: add, b: x, t: 'real' };
          },
        };
      }
      case 'dims': {
        // The shape as an int array: element k is the k-th size (a select over k; nothing stored).
        const shape = this.lx(args[0]!).shape;
        return {
          base: 'int',
          t: 'int',
          arr: 1,
          shape: [c(shape.length, 'int')],
          at: (i) =>
            shape.reduceRight<Expr>(
              (rest, n, k) => ({
                k: 'select',
                cond: call('eq', [i[0]!, c(k + 1, 'int')], 'int'),
                a: n,
                b: rest,
                t: 'int',
              }),
              c(0, 'int'),
            ),
        };
      }
      case 'gp_exp_quad_cov':
      case 'cov_exp_quad':
        return this.gpExpQuadCov(name, ls(), e.span);
      case 'hmm_marginal':
        return scalar(this.hmmMarginal(ls(), e.span));
      case 'eigenvalues_sym':
      case 'eigenvectors_sym': {
        const m = this.lx(args[0]!);
        const eig = this.eigenOf(m, name, e.span);
        if (name === 'eigenvalues_sym')
          return { base: 'vector', t: 'real', arr: 0, shape: [m.shape[0]!], at: (i) => eig.values(i[0]!) };
        return {
          base: 'matrix',
          t: 'real',
          arr: 0,
          shape: [m.shape[0]!, m.shape[0]!],
          at: (i) => eig.vectors(i[0]!, i[1]!),
        };
      }
      case 'inv_cloglog':
      case 'log10':
      case 'log2':
      default:
        throw unsupported();
    }
  }

  /**
   * An ODE solve (src/stan/ode.ts): its statements go before the statement (`pending`), the right-hand side
   * inlined once inside them; the value reads the solution's local. The old interface (integrate_ode_*: f(t, y,
   * theta, x_r, x_i), arrays) and the variadic one (ode_*: f(t, y, ...), vectors); the tolerances are data.
   */
  ode(e: Extract<AExpr, { kind: 'Call' }>): Lazy {
    const name = e.name;
    const variadic = name.startsWith('ode_');
    const fArg = e.args[0];
    if (fArg?.kind !== 'Variable')
      throw new Unsupported(e.span, `the first argument of ${name} must name a function`);
    const [y0A, t0A, tsA] = [e.args[1], e.args[2], e.args[3]];
    if (!y0A || !t0A || !tsA)
      throw new Unsupported(e.span, `${name} needs an initial state, t0 and output times`);

    const rest = e.args.slice(4);
    const stiff = /_(bdf|adams)/.test(name);
    // Stan's defaults: rk45 (and ckrk) 1e-6, 1e-6, 1e6 steps; bdf and adams 1e-10, 1e-10, 1e8.
    let tol: AExpr[] = [];
    let extras: readonly AExpr[];
    if (variadic) {
      if (name.endsWith('_tol')) tol = rest.slice(0, 3);
      extras = rest.slice(tol.length);
    } else {
      extras = rest.slice(0, 3);
      tol = rest.slice(3, 6);
    }
    const [rtol, atol, maxSteps] = (
      tol.length
        ? tol.map((a) => this.scalarExpr(a, `a tolerance of ${name}`))
        : stiff
          ? [c(1e-10), c(1e-10), c(1e8)]
          : [c(1e-6), c(1e-6), c(1e6)]
    ) as [Expr, Expr, Expr];
    const def = this.userDef(undefined, fArg.name, fArg.span);
    const y0 = this.lx(y0A);
    const ts = this.lx(tsA);
    if (y0.shape.length !== 1 || ts.shape.length !== 1)
      throw new Unsupported(e.span, `${name} needs a one-dimensional initial state and output times`);
    const t0 = this.scalarExpr(t0A, 't0');
    // Decided on the values as lowered (inside a function, an argument is data when the caller's value is).
    if (exprActive(t0, this.locals) || this.lazyActive(ts))
      throw new Unsupported(e.span, `${name} with parameter-dependent times is not supported`);
    if ([rtol, atol, maxSteps].some((x) => exprActive(x, this.locals)))
      throw new Unsupported(e.span, `the tolerances of ${name} must be data`);
    const extraLazies = extras.map((a) => this.lx(a));
    const n = this.sizeOf(y0.shape[0]!, y0A.span);
    const times = this.sizeOf(ts.shape[0]!, tsA.span);
    const env: OdeEnv = {
      ...this.scratchEnv(),
      constSize: (k) => this.sizeOf(c(k, 'int'), e.span),
      tableau: (row, col) => {
        const rows = DORMAND_PRINCE.length;
        const cols = DORMAND_PRINCE[0]!.length;
        if (this.odeTableau === undefined) {
          const id = this.hosts.length;
          const dims = [this.sizeOf(c(rows, 'int'), e.span), this.sizeOf(c(cols, 'int'), e.span)];
          this.hosts.push({ id, name: 'ode__dormand_prince', t: 'real', dims, source: 'transformed' });
          this.hostInit.push(
            { k: 'allocHost', host: id },
            ...DORMAND_PRINCE.flat().map((value, i): Stmt => ({
              k: 'hostAssign',
              host: id,
              index: c(i, 'int'),
              value: c(value),
            })),
          );
          this.odeTableau = id;
        }
        const index = call(
          'add',
          [
            call('mul', [call('sub', [row, c(1, 'int')], 'int'), c(cols, 'int')], 'int'),
            call('sub', [col, c(1, 'int')], 'int'),
          ],
          'int',
        );
        return { k: 'host', id: this.odeTableau, index, t: 'real' };
      },
    };
    const state = (read: (i: Expr) => Expr): Lazy => ({
      base: variadic ? 'vector' : 'real',
      t: 'real',
      shape: [sz(n)],
      arr: variadic ? 0 : 1,
      at: (idx) => read(idx[0]!),
    });
    const solve = dormandPrince(
      {
        name,
        n,
        times,
        y0: (i) => y0.at([i]),
        t0,
        ts: (i) => ts.at([i]),
        rtol,
        atol,
        maxSteps,
        rhs: (t, y) => {
          const saved = this.pending;
          this.pending = [];
          try {
            const r = this.inlineLazy(def, [scalar(t), state(y), ...extraLazies], this.proptoCtx, e.span);
            if (!r || r.shape.length !== 1)
              throw new Unsupported(
                fArg.span,
                `the ODE function "${def.name}" must return a one-dimensional state`,
              );
            return { stmts: this.pending, at: (i) => r.at([i]), length: r.shape[0]! };
          } finally {
            this.pending = saved;
          }
        },
      },
      env,
    );
    this.pending.push(...solve.stmts);
    return {
      base: variadic ? 'vector' : 'real',
      t: 'real',
      shape: [sz(times), sz(n)],
      arr: variadic ? 1 : 2,
      at: (idx) => solve.at(idx[0]!, idx[1]!),
    };
  }

  /**
   * append_row / append_col: the elements of a, then those of b along the rows (columns); a real counts as a
   * one-element vector (row vector), a row vector (vector) as a one-row (one-column) matrix. Each element reads
   * one operand (a select on the index), so nothing is stored.
   */
  append(name: string, a: Lazy, b: Lazy, span: Span): Lazy {
    const rows = name === 'append_row';
    if (a.arr || b.arr) throw new Unsupported(span, `${name} of arrays is not supported`);
    const flat: Base = rows ? 'vector' : 'row_vector';
    const one = (l: Lazy) => l.shape.length === 0 || l.base === flat;
    const pickAt = (i: Expr, n: Expr, ea: (k: Expr) => Expr, eb: (k: Expr) => Expr): Expr => ({
      k: 'select',
      cond: call('le', [i, n], 'int'),
      a: ea(i),
      b: eb(call('sub', [i, n], 'int')),
      t: 'real',
    });
    const add = (x: Expr, y: Expr) => call('add', [x, y], 'int');
    if (one(a) && one(b)) {
      const len = (l: Lazy) => (l.shape.length === 0 ? c(1, 'int') : l.shape[0]!);
      const el = (l: Lazy) => (k: Expr) => (l.shape.length === 0 ? l.at([]) : l.at([k]));
      const na = len(a);
      return {
        base: flat,
        t: 'real',
        shape: [add(na, len(b))],
        arr: 0,
        at: (i) => pickAt(i[0]!, na, el(a), el(b)),
      };
    }
    // Matrices: a row_vector (append_row) or vector (append_col) is one line of the matrix.
    const line: Base = rows ? 'row_vector' : 'vector';
    const ok = (l: Lazy) => l.base === 'matrix' || l.base === line;
    if (!ok(a) || !ok(b))
      throw new Unsupported(span, `${name} of a ${a.base} and a ${b.base} is not supported`);
    const count = (l: Lazy) => (l.base === line ? c(1, 'int') : l.shape[rows ? 0 : 1]!);
    const other = a.base === line ? a.shape[0]! : a.shape[rows ? 1 : 0]!;
    // Element (along, across) of l: along indexes the appended dimension.
    const el = (l: Lazy, across: Expr) => (k: Expr) =>
      l.base === line ? l.at([across]) : rows ? l.at([k, across]) : l.at([across, k]);
    const na = count(a);
    const total = add(na, count(b));
    return {
      base: 'matrix',
      t: 'real',
      shape: rows ? [total, other] : [other, total],
      arr: 0,
      at: (i) => {
        const [along, across] = rows ? [i[0]!, i[1]!] : [i[1]!, i[0]!];
        return pickAt(along, na, el(a, across), el(b, across));
      },
    };
  }

  countOf(l: Lazy): Expr {
    let n: Expr = c(1, 'int');
    for (const e of l.shape) n = call('mul', [n, e], 'int');
    return n;
  }
}

/** `a[i][j]` as `a[i, j]` when the outer indexing (`[i]`) has single indices only (the same element). */
function flattenSingleIndices(e: AExpr): AExpr {
  if (e.kind !== 'Indexed' || e.target.kind !== 'Indexed') return e;
  const inner = flattenSingleIndices(e.target);
  if (inner.kind !== 'Indexed' || !inner.indices.every((i) => i.kind === 'single' && !i.multi)) return e;
  return { ...e, target: inner.target, indices: [...inner.indices, ...e.indices] };
}

type IndexItem =
  | { readonly kind: 'single'; readonly e: Expr }
  | { readonly kind: 'multi'; readonly l: Lazy }
  | { readonly kind: 'range'; readonly lo: Expr; readonly n: Expr };

/** The full index of the element that `rest` (one index per kept dimension, then the unindexed ones) selects. */
function resolveItems(items: readonly IndexItem[], rest: readonly Expr[]): Expr[] {
  let j = 0;
  const full = items.map((it) => {
    if (it.kind === 'single') return it.e;
    const r = rest[j++]!;
    return it.kind === 'multi'
      ? it.l.at([r])
      : call('add', [it.lo, call('sub', [r, c(1, 'int')], 'int')], 'int');
  });
  return [...full, ...rest.slice(j)];
}

/** Whether e reads data and sizes only (no loop variable, local or parameter): the host can evaluate it once. */
function hostEvaluable(e: Expr): boolean {
  switch (e.k) {
    case 'const':
    case 'size':
      return true;
    case 'host':
      return hostEvaluable(e.index);
    case 'local':
    case 'z':
    case 'loop':
      return false;
    case 'call':
      return e.args.every(hostEvaluable);
    case 'select':
      return hostEvaluable(e.cond) && hostEvaluable(e.a) && hostEvaluable(e.b);
    case 'reduce':
      // The reduction's own loop variable is bound inside it.
      return hostEvaluable(e.count) && hostEvaluableIn(e.body, e.id);
  }
}

function hostEvaluableIn(e: Expr, bound: number): boolean {
  if (e.k === 'loop') return e.id === bound;
  switch (e.k) {
    case 'host':
      return hostEvaluableIn(e.index, bound);
    case 'call':
      return e.args.every((a) => hostEvaluableIn(a, bound));
    case 'select':
      return hostEvaluableIn(e.cond, bound) && hostEvaluableIn(e.a, bound) && hostEvaluableIn(e.b, bound);
    case 'reduce':
      return (
        hostEvaluableIn(e.count, bound) && hostEvaluableIn(e.body, bound) && hostEvaluableIn(e.body, e.id)
      );
    default:
      return hostEvaluable(e);
  }
}

/** hostEvaluable, where the loop variables in `bound` are the host's own (its statements bind them). */
function hostEvaluableWith(e: Expr, bound: ReadonlySet<number>): boolean {
  switch (e.k) {
    case 'loop':
      return bound.has(e.id);
    case 'const':
    case 'size':
      return true;
    case 'host':
      return hostEvaluableWith(e.index, bound);
    case 'local':
    case 'z':
      return false;
    case 'call':
      return e.args.every((a) => hostEvaluableWith(a, bound));
    case 'select':
      return [e.cond, e.a, e.b].every((a) => hostEvaluableWith(a, bound));
    case 'reduce':
      return hostEvaluableWith(e.count, bound) && hostEvaluableWith(e.body, new Set([...bound, e.id]));
  }
}

/** Whether e carries derivatives: it reads z or an active local (the static rule of the WGSL and of Stan). */
function exprActive(e: Expr, locals: readonly Local[]): boolean {
  switch (e.k) {
    case 'z':
      return true;
    case 'local':
      return locals[e.id]?.active === true;
    case 'call':
      return e.fn !== 'value_of' && e.args.some((a) => exprActive(a, locals));
    case 'select':
      return exprActive(e.a, locals) || exprActive(e.b, locals);
    case 'reduce':
      return exprActive(e.body, locals);
    default:
      return false;
  }
}

/** Whether a statement contains a `return` (of the function being inlined: bodies hold no nested functions). */
function containsReturn(s: AStmt): boolean {
  switch (s.kind) {
    case 'Return':
      return true;
    case 'For':
    case 'ForEach':
    case 'While':
      return containsReturn(s.body);
    case 'If':
      return containsReturn(s.then) || (s.else !== undefined && containsReturn(s.else));
    case 'Block':
    case 'Profile':
      return s.body.some(containsReturn);
    default:
      return false;
  }
}

function blockVars(body: readonly AStmt[] | undefined): VarDecl[] {
  return (body ?? []).filter((s): s is VarDecl => s.kind === 'VarDecl');
}
