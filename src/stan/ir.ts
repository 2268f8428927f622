/**
 * The Stan back end's intermediate form: the program scalarised (every expression is an int or a real; vector
 * statements became loops over their elements, vector functions reductions), with every variable stored flat.
 *
 * - Sizes (`sizes`) are int expressions over data only; the host evaluates them in float64 once the data is known
 *   (prepare) and the WGSL reads them as constants STAN_SZ_<id>.
 * - Data and transformed data are host variables (`HostVar`): read from the Stan JSON, or written by the
 *   transformed data statements (run on the host in float64), then uploaded as f32 / i32 storage buffers.
 * - Parameters, transformed parameters and model locals are `Local`s: flat arrays of scalars, active (carrying
 *   derivatives with respect to z) or not. The parameters' constraining transforms are ordinary IR statements that
 *   read `z` and add the log-Jacobian to the target, so the interpreter and the WGSL treat them like the rest.
 * - Loop variables and indices keep Stan's 1-based values; a flat index is built explicitly by the lowering.
 *
 * Consumed by interpret.ts (float64, forward-mode derivatives: the oracle) and codegen.ts (WGSL).
 */

export type ScalarKind = 'int' | 'real';

export type Expr =
  | { readonly k: 'const'; readonly value: number; readonly t: ScalarKind }
  /** Element `index` (0-based flat) of a host variable. */
  | { readonly k: 'host'; readonly id: number; readonly index: Expr; readonly t: ScalarKind }
  /** Element `index` (0-based flat) of a local. */
  | { readonly k: 'local'; readonly id: number; readonly index: Expr; readonly t: ScalarKind }
  /** Coordinate `index` (0-based) of the unconstrained point. */
  | { readonly k: 'z'; readonly index: Expr; readonly t: 'real' }
  | { readonly k: 'loop'; readonly id: number; readonly t: 'int' }
  | { readonly k: 'size'; readonly id: number; readonly t: 'int' }
  /**
   * A primitive (prims.ts) on scalars; `propto` drops the terms that depend on no parameter (`~`). One call is
   * no primitive: `value_of(x)`, x's value without derivatives (an ODE solver's error norm, which only steers
   * its step size: both back ends evaluate x in values only).
   */
  | {
      readonly k: 'call';
      readonly fn: string;
      readonly args: readonly Expr[];
      readonly t: ScalarKind;
      readonly propto?: boolean;
    }
  | { readonly k: 'select'; readonly cond: Expr; readonly a: Expr; readonly b: Expr; readonly t: ScalarKind }
  /** op over loop variable `id` = 1..count of body (lse: log-sum-exp; count >= 1 for lse, max, min). */
  | {
      readonly k: 'reduce';
      readonly op: 'sum' | 'lse' | 'max' | 'min' | 'prod';
      readonly id: number;
      readonly count: Expr;
      readonly body: Expr;
      readonly t: ScalarKind;
    };

export type Stmt =
  | { readonly k: 'assign'; readonly local: number; readonly index: Expr; readonly value: Expr }
  | { readonly k: 'hostAssign'; readonly host: number; readonly index: Expr; readonly value: Expr }
  | { readonly k: 'target'; readonly value: Expr }
  /** for id in lower..upper (inclusive). */
  | {
      readonly k: 'for';
      readonly id: number;
      readonly lower: Expr;
      readonly upper: Expr;
      readonly body: readonly Stmt[];
    }
  | { readonly k: 'while'; readonly cond: Expr; readonly body: readonly Stmt[] }
  | { readonly k: 'if'; readonly cond: Expr; readonly then: readonly Stmt[]; readonly else: readonly Stmt[] }
  | { readonly k: 'break' | 'continue' }
  /** Where the statements that follow come from (a Stan source line); no effect. The WGSL keeps it as a comment. */
  | { readonly k: 'line'; readonly line: number }
  /**
   * Sets the target to -inf (reject in the model: the point has no density). `message` says why, for the
   * interpreter's Evaluation (an ODE solver past its step limit); the WGSL only rejects.
   */
  | { readonly k: 'reject'; readonly message?: string }
  /** Evaluates sizes[id] on the host (transformed data declarations, in program order). */
  | { readonly k: 'allocHost'; readonly host: number }
  /**
   * Host only: the eigendecomposition of the symmetric matrix in host variable `matrix` (K x K; its lower
   * triangle is read) into `values` (K, ascending) and `vectors` (K x K, column k the unit eigenvector of
   * values[k]), in float64 (src/math/eigen.ts). Not a scalar loop: Jacobi's convergence test and sort would make
   * a long IR for what the host does once.
   */
  | { readonly k: 'eigenSym'; readonly matrix: number; readonly values: number; readonly vectors: number };

export interface HostVar {
  readonly id: number;
  readonly name: string;
  readonly t: ScalarKind;
  /** Dimensions, outermost first, as size ids; the flat layout is row-major over them. */
  readonly dims: readonly number[];
  /** 'data': read from the Stan JSON; 'transformed': written by `transformedData`. */
  readonly source: 'data' | 'transformed';
  /** For data: Stan's declared matrix-ness (JSON gives a matrix as an array of rows, which is row-major too). */
  readonly bounds?: { readonly lower?: Expr; readonly upper?: Expr };
}

export interface Local {
  readonly id: number;
  readonly name: string;
  readonly t: ScalarKind;
  readonly dims: readonly number[];
  /** Carries derivatives with respect to z (a parameter, or assigned a parameter-dependent value somewhere). */
  readonly active: boolean;
  /**
   * Reported through model_constrain, in this order (local ids ascending): parameters, transformed parameters,
   * generated quantities.
   */
  readonly reported: boolean;
}

export interface Program {
  /** Int expressions over data; evaluated in order by the host (each may use earlier sizes and host vars). */
  readonly sizes: readonly Expr[];
  readonly hosts: readonly HostVar[];
  readonly locals: readonly Local[];
  /** Transformed data statements (host only). */
  readonly transformedData: readonly Stmt[];
  /** Size ids of the unconstrained parameters' blocks, in declaration order; D is their sum. */
  readonly paramSizes: readonly number[];
  /** Constrain the parameters (reading z, adding log-Jacobians) and compute the transformed parameters. */
  readonly constrain: readonly Stmt[];
  /** The model block. */
  readonly model: readonly Stmt[];
  /**
   * The generated quantities, run after `constrain` for the reported values only (model_constrain; never in the
   * log density). Their top-level locals are reported after the transformed parameters, without derivatives.
   */
  readonly generated: readonly Stmt[];
  /** Number of loop variables (ids 0 .. loopCount - 1). */
  readonly loopCount: number;
}

/**
 * Storage the lowering gives a built-in it lowers to statements (ode.ts, hmm.ts): a local, or a host variable
 * while lowering transformed data.
 */
export interface ScratchStore {
  read(idx: readonly Expr[]): Expr;
  write(idx: readonly Expr[], value: Expr): Stmt;
  readonly alloc: readonly Stmt[];
}

/** What such a built-in needs from the lowering: fresh loop variables and storage. */
export interface ScratchEnv {
  loopId(): number;
  /** Fresh storage of the given dims (size ids); `active`: carries derivatives (reals only). */
  store(name: string, t: ScalarKind, dims: readonly number[], active: boolean): ScratchStore;
}

export const c = (value: number, t: ScalarKind = 'real'): Expr => ({ k: 'const', value, t });
export const call = (fn: string, args: readonly Expr[], t: ScalarKind = 'real', propto?: boolean): Expr =>
  propto === undefined ? { k: 'call', fn, args, t } : { k: 'call', fn, args, t, propto };
/** A `for` over the loop variable `id` from lower to upper, inclusive (Stan's order). */
export const forIn = (id: number, lower: Expr, upper: Expr, body: Stmt[]): Stmt => ({
  k: 'for',
  id,
  lower,
  upper,
  body,
});

/** Flat row-major index of 1-based `indices` into dims (size ids): sum (i_k - 1) * stride_k. */
export function flatIndex(dims: readonly number[], indices: readonly Expr[]): Expr {
  let acc: Expr = c(0, 'int');
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as Expr;
    const zeroBased = call('sub', [i, c(1, 'int')], 'int');
    const stride: Expr = { k: 'size', id: dims[k] as number, t: 'int' };
    acc = k === 0 ? zeroBased : call('add', [call('mul', [acc, stride], 'int'), zeroBased], 'int');
  }
  // Dims not indexed (a partial index) are the caller's business: it multiplies in the remaining strides.
  return acc;
}
