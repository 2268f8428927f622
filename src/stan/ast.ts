/**
 * The Stan AST: the contract between the Stan front end (lexer.ts, parser.ts, typecheck.ts, data-schema.ts) and
 * the Stan -> WGSL back end. Pure data and two small helpers; no DOM or Node APIs (it runs in the page, the
 * worker and Node alike).
 *
 * Contract:
 * - Every node has `span` (start inclusive, end exclusive). Lines and columns are 1-based, columns count UTF-16
 *   code units of the source line (a tab is one column), `offset` is the 0-based index into the source string.
 * - The parser (parseStan) builds the tree and sets no optional annotation. The checker (checkStan) fills the
 *   fields marked "set by the checker" in place, on the same objects; a field is only trustworthy when checkStan
 *   returned no error diagnostic.
 * - Sizes, bounds and other expressions are kept exactly as written (never folded); `VarDecl.arraySizes` holds
 *   the array dimensions outermost first whichever syntax was used (`array[N] real y` or pre-2.26 `real y[N]`).
 * - Expressions are trees of plain objects: a back end may key Maps by node identity. Parentheses leave no node.
 *   One exception to "a tree": `real<lower=0> a, b;` gives two VarDecls that share one DeclType object (and so its
 *   size and bound expressions).
 * - A Variable that names a user function (the first argument of integrate_ode_rk45/_bdf) gets no `type`,
 *   `origin` or `decl`; the call's `resolved` says what it returns.
 * - `dataOnly` (set by the checker) is true when an expression's value depends on data only (data, transformed
 *   data, literals, loop variables over data-only ranges, locals assigned only from data-only expressions):
 *   the back end may evaluate those parts on the host in float64. Parameter-dependent means `dataOnly === false`.
 */

// ---------------------------------------------------------------------------------------------------------------
// Positions and diagnostics

export interface Position {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column (UTF-16 code units; a tab counts as one). */
  readonly column: number;
  /** 0-based offset into the source string. */
  readonly offset: number;
}

/** A source range: `start` inclusive, `end` exclusive. */
export interface Span {
  readonly start: Position;
  readonly end: Position;
}

export type Severity = 'error' | 'warning';

export interface StanDiagnostic {
  message: string;
  line: number;
  column: number;
  /** End of the offending range (exclusive column), when known. */
  endLine?: number;
  endColumn?: number;
  severity: Severity;
}

/** A diagnostic covering `span`. */
export function diagnosticAt(span: Span, message: string, severity: Severity = 'error'): StanDiagnostic {
  return {
    message,
    line: span.start.line,
    column: span.start.column,
    endLine: span.end.line,
    endColumn: span.end.column,
    severity,
  };
}

/**
 * `model.stan:5:3: expected ';' ...` (warnings say `warning: `), then the source line and a caret line under the
 * offending range (one caret when the range is empty or spans lines). Tabs before the column are kept in the caret
 * line so the carets line up in a terminal.
 */
export function formatDiagnostic(fileName: string, source: string, d: StanDiagnostic): string {
  const head = `${fileName}:${d.line}:${d.column}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
  const lines = source.split(/\r\n|\r|\n/);
  const text = lines[d.line - 1];
  if (text === undefined) return head;
  const col = Math.max(1, Math.min(d.column, text.length + 1));
  let width = 1;
  if (d.endLine === d.line && d.endColumn !== undefined && d.endColumn > col) {
    width = Math.min(d.endColumn, text.length + 1) - col;
  }
  const pad = text.slice(0, col - 1).replace(/[^\t]/g, ' ');
  return `${head}\n${text}\n${pad}${'^'.repeat(Math.max(1, width))}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Types as the checker sees them

/** The scalar / linear-algebra kinds of Stan values. */
export type BaseType = 'int' | 'real' | 'complex' | 'vector' | 'row_vector' | 'matrix';

/**
 * An (unsized) Stan type: `base` inside `dims` levels of arrays (`array[N, M] vector[K]` is {vector, 2}).
 * Whether a value is data-only is not part of the type: expressions carry `dataOnly`, function parameters
 * `FunParam.dataOnly`, declarations `VarDecl.dataOnly`.
 */
export interface StanType {
  readonly base: BaseType;
  readonly dims: number;
}

/** The return type of a function: a value type or `void`. */
export type ReturnType = StanType | 'void';

// ---------------------------------------------------------------------------------------------------------------
// Expressions

export type BinaryOp =
  | '||'
  | '&&'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '%/%'
  | '\\'
  | '.*'
  | './'
  | '^'
  | '.^';

export type UnaryOp = '-' | '+' | '!';

/** Fields every expression has; `type` and `dataOnly` are set by the checker. */
export interface ExprBase {
  readonly span: Span;
  /** Set by the checker. */
  type?: StanType;
  /** Set by the checker: the value depends on data only (see the contract above). */
  dataOnly?: boolean;
}

export interface IntLiteral extends ExprBase {
  readonly kind: 'IntLiteral';
  readonly value: number;
  /** As written (an int literal beyond 2^53 loses precision in `value`). */
  readonly text: string;
}

export interface RealLiteral extends ExprBase {
  readonly kind: 'RealLiteral';
  readonly value: number;
  readonly text: string;
}

/** `2.5i`: the imaginary part of a complex literal. */
export interface ImagLiteral extends ExprBase {
  readonly kind: 'ImagLiteral';
  readonly value: number;
  readonly text: string;
}

/** Where a variable was declared: a program block (top level of it), a nested local, a function argument or
 *  a loop variable. Top-level declarations of `model` are locals of the model block ('model'). */
export type VarOrigin = BlockName | 'local' | 'argument' | 'loop';

export interface Variable extends ExprBase {
  readonly kind: 'Variable';
  readonly name: string;
  /** Set by the checker. */
  origin?: VarOrigin;
  /** Set by the checker: the declaration this name resolves to. */
  decl?: VarDecl | FunParam | LoopVar;
}

export interface Binary extends ExprBase {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export interface Unary extends ExprBase {
  readonly kind: 'Unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
}

/** Postfix `x'`. */
export interface Transpose extends ExprBase {
  readonly kind: 'Transpose';
  readonly operand: Expr;
}

export interface Ternary extends ExprBase {
  readonly kind: 'Ternary';
  readonly cond: Expr;
  readonly then: Expr;
  readonly else: Expr;
}

/**
 * One index inside `[...]`:
 * - `single`: `a[i]`; the checker sets `multi` when `expr` is an int array (`a[idxs]`, a multi-index, which keeps
 *   the dimension) rather than an int (which drops it).
 * - `range`: `a[l:u]`, `a[l:]`, `a[:u]`, `a[:]` (lower/upper absent where omitted); an omitted index `a[, j]` is
 *   an all-range too. Ranges keep the dimension.
 */
export type IndexItem =
  | { readonly kind: 'single'; readonly span: Span; readonly expr: Expr; multi?: boolean }
  | { readonly kind: 'range'; readonly span: Span; readonly lower?: Expr; readonly upper?: Expr };

export interface Indexed extends ExprBase {
  readonly kind: 'Indexed';
  readonly target: Expr;
  readonly indices: readonly IndexItem[];
}

/** What a call resolves to; set by the checker. */
export interface ResolvedCall {
  /** Built-in (see builtins.ts) or a user function from the functions block. */
  readonly kind: 'builtin' | 'user';
  readonly returnType: ReturnType;
  /** For a user function, its definition (the one with a body when there is one). */
  readonly def?: FunDef;
}

/**
 * `f(a, b)`. `conditional` is true when the arguments were written with the bar: `foo_lpdf(y | mu, sigma)`
 * gives args [y, mu, sigma]. `target()` is a Call named `target` with no arguments.
 */
export interface Call extends ExprBase {
  readonly kind: 'Call';
  readonly name: string;
  readonly nameSpan: Span;
  readonly args: readonly Expr[];
  readonly conditional: boolean;
  /** Set by the checker. */
  resolved?: ResolvedCall;
}

/** `{a, b, c}`: an array. */
export interface ArrayLiteral extends ExprBase {
  readonly kind: 'ArrayLiteral';
  readonly elements: readonly Expr[];
}

/** `[a, b, c]`: a row vector; `[[a, b], [c, d]]` (elements row vectors) is a matrix (the checker's type says). */
export interface RowVectorLiteral extends ExprBase {
  readonly kind: 'RowVectorLiteral';
  readonly elements: readonly Expr[];
}

export type Expr =
  | IntLiteral
  | RealLiteral
  | ImagLiteral
  | Variable
  | Binary
  | Unary
  | Transpose
  | Ternary
  | Indexed
  | Call
  | ArrayLiteral
  | RowVectorLiteral;

// ---------------------------------------------------------------------------------------------------------------
// Declarations

/** The type keywords, as written; the special ones constrain a vector or matrix (see `baseOfKeyword`). */
export const TYPE_KEYWORDS = [
  'int',
  'real',
  'complex',
  'vector',
  'row_vector',
  'matrix',
  'simplex',
  'ordered',
  'positive_ordered',
  'unit_vector',
  'sum_to_zero_vector',
  'cholesky_factor_corr',
  'cholesky_factor_cov',
  'corr_matrix',
  'cov_matrix',
] as const;

/** The type keyword as written. */
export type TypeKeyword = (typeof TYPE_KEYWORDS)[number];

/** The value type behind a type keyword: `simplex[K]` is a vector, `cov_matrix[K]` a matrix. */
export function baseOfKeyword(keyword: TypeKeyword): BaseType {
  switch (keyword) {
    case 'int':
    case 'real':
    case 'complex':
    case 'vector':
    case 'row_vector':
    case 'matrix':
      return keyword;
    case 'simplex':
    case 'ordered':
    case 'positive_ordered':
    case 'unit_vector':
    case 'sum_to_zero_vector':
      return 'vector';
    case 'cholesky_factor_corr':
    case 'cholesky_factor_cov':
    case 'corr_matrix':
    case 'cov_matrix':
      return 'matrix';
  }
}

/**
 * The `<...>` part of a declaration. `bounds`: `<lower=a>`, `<upper=b>`, `<lower=a, upper=b>` (either may be
 * absent; a bound is any expression, of the declared shape or a scalar, and may mention earlier variables).
 * `affine`: `<offset=o, multiplier=m>` (either may be absent). Special keywords (simplex, ...) have no `<...>`.
 */
export type Constraint =
  | { readonly kind: 'none' }
  | { readonly kind: 'bounds'; readonly span: Span; readonly lower?: Expr; readonly upper?: Expr }
  | { readonly kind: 'affine'; readonly span: Span; readonly offset?: Expr; readonly multiplier?: Expr };

/**
 * A sized type as written in a declaration, without its array dimensions.
 * `sizes` as written: [] for int/real/complex; [n] for vector, row_vector, simplex, ordered, positive_ordered,
 * unit_vector, sum_to_zero_vector; [rows, cols] for matrix; [K] for corr_matrix, cov_matrix, cholesky_factor_corr;
 * [M] or [M, N] for cholesky_factor_cov. Local variables carry no constraint (the checker rejects one).
 */
export interface DeclType {
  readonly span: Span;
  readonly keyword: TypeKeyword;
  readonly constraint: Constraint;
  readonly sizes: readonly Expr[];
}

export type BlockName =
  | 'functions'
  | 'data'
  | 'transformed data'
  | 'parameters'
  | 'transformed parameters'
  | 'model'
  | 'generated quantities';

/** A variable declaration: at the top of a program block, or a local in any statement list. */
export interface VarDecl {
  readonly kind: 'VarDecl';
  readonly span: Span;
  readonly name: string;
  readonly nameSpan: Span;
  readonly declType: DeclType;
  /** Array dimensions, outermost first ([] when not an array). */
  readonly arraySizes: readonly Expr[];
  readonly init?: Expr;
  /** Set by the checker: the block (top-level declaration) or 'local'. */
  origin?: VarOrigin;
  /** Set by the checker: `baseOfKeyword(declType.keyword)` with `arraySizes.length` dims. */
  type?: StanType;
  /** Set by the checker: true for data and transformed data, and for locals that only ever hold data-only values. */
  dataOnly?: boolean;
}

/** The variable of a `for` loop (range or foreach); the checker sets `type` (int for a range). */
export interface LoopVar {
  readonly kind: 'LoopVar';
  readonly span: Span;
  readonly name: string;
  type?: StanType;
  dataOnly?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '.*=' | './=';

/** `y ~ normal(mu, sigma) T[lo, hi];` (`truncation` absent without `T[...]`; its bounds absent where omitted). */
export interface Tilde {
  readonly kind: 'Tilde';
  readonly span: Span;
  readonly lhs: Expr;
  /** The distribution name as written: `normal`, not `normal_lpdf`. */
  readonly distribution: string;
  readonly distSpan: Span;
  readonly args: readonly Expr[];
  readonly truncation?: { readonly span: Span; readonly lower?: Expr; readonly upper?: Expr };
  /** Set by the checker: the density the statement adds, e.g. `normal_lpdf`, `poisson_lpmf`, `foo_lpdf`. */
  densityName?: string;
  /** Set by the checker. */
  resolved?: ResolvedCall;
}

/** `target += e;` */
export interface TargetPlus {
  readonly kind: 'TargetPlus';
  readonly span: Span;
  readonly expr: Expr;
}

/** `lhs op rhs;`; lhs is a Variable or an Indexed whose innermost target is a Variable. */
export interface Assign {
  readonly kind: 'Assign';
  readonly span: Span;
  readonly lhs: Variable | Indexed;
  readonly op: AssignOp;
  readonly rhs: Expr;
}

/** `for (i in lower:upper) body` (both bounds inclusive). */
export interface For {
  readonly kind: 'For';
  readonly span: Span;
  readonly variable: LoopVar;
  readonly lower: Expr;
  readonly upper: Expr;
  readonly body: Stmt;
}

/** `for (x in container) body`: over the elements of an array, or of a vector/row_vector/matrix. */
export interface ForEach {
  readonly kind: 'ForEach';
  readonly span: Span;
  readonly variable: LoopVar;
  readonly iterable: Expr;
  readonly body: Stmt;
}

export interface While {
  readonly kind: 'While';
  readonly span: Span;
  readonly cond: Expr;
  readonly body: Stmt;
}

export interface If {
  readonly kind: 'If';
  readonly span: Span;
  readonly cond: Expr;
  readonly then: Stmt;
  readonly else?: Stmt;
}

/** `{ ... }`: its own scope for local declarations. */
export interface Block {
  readonly kind: 'Block';
  readonly span: Span;
  readonly body: readonly Stmt[];
}

/** `profile("name") { ... }`: a block with a name (no effect on the value). */
export interface Profile {
  readonly kind: 'Profile';
  readonly span: Span;
  readonly name: string;
  readonly body: readonly Stmt[];
}

/** An argument of print / reject / fatal_error: a string literal or an expression. */
export type PrintArg = { readonly kind: 'String'; readonly span: Span; readonly value: string } | Expr;

export interface Print {
  readonly kind: 'Print' | 'Reject' | 'FatalError';
  readonly span: Span;
  readonly args: readonly PrintArg[];
}

export interface Break {
  readonly kind: 'Break' | 'Continue';
  readonly span: Span;
}

export interface Return {
  readonly kind: 'Return';
  readonly span: Span;
  readonly value?: Expr;
}

/** A call as a statement (a void function). */
export interface CallStmt {
  readonly kind: 'CallStmt';
  readonly span: Span;
  readonly call: Call;
}

/** A lone `;`. */
export interface Empty {
  readonly kind: 'Empty';
  readonly span: Span;
}

export type Stmt =
  | VarDecl
  | Tilde
  | TargetPlus
  | Assign
  | For
  | ForEach
  | While
  | If
  | Block
  | Profile
  | Print
  | Break
  | Return
  | CallStmt
  | Empty;

// ---------------------------------------------------------------------------------------------------------------
// Functions and the program

/** A function parameter: `data real x`, `array[] vector v` (unsized). */
export interface FunParam {
  readonly kind: 'FunParam';
  readonly span: Span;
  readonly name: string;
  readonly type: StanType;
  /** Declared with the `data` qualifier. */
  readonly dataOnly: boolean;
}

/** A user function; `body` absent for a forward declaration `real f(real x);`. */
export interface FunDef {
  readonly kind: 'FunDef';
  readonly span: Span;
  readonly name: string;
  readonly nameSpan: Span;
  readonly returnType: ReturnType;
  readonly params: readonly FunParam[];
  readonly body?: Block;
}

/**
 * A program block. In `data` and `parameters` the body is VarDecls only (the parser enforces it); in the other
 * blocks declarations and statements mix, in any order.
 */
export interface ProgramBlock {
  readonly kind: 'ProgramBlock';
  readonly span: Span;
  readonly name: BlockName;
  readonly body: readonly Stmt[];
}

export interface Program {
  readonly kind: 'Program';
  readonly span: Span;
  readonly functions: readonly FunDef[];
  readonly data?: ProgramBlock;
  readonly transformedData?: ProgramBlock;
  readonly parameters?: ProgramBlock;
  readonly transformedParameters?: ProgramBlock;
  readonly model?: ProgramBlock;
  readonly generatedQuantities?: ProgramBlock;
}

/** The program's blocks in source order (the functions block excluded). */
export function programBlocks(program: Program): ProgramBlock[] {
  const blocks = [
    program.data,
    program.transformedData,
    program.parameters,
    program.transformedParameters,
    program.model,
    program.generatedQuantities,
  ];
  return blocks.filter((b): b is ProgramBlock => b !== undefined);
}

/** The top-level declarations of a block (what the block declares for later blocks). */
export function blockDecls(block: ProgramBlock | undefined): VarDecl[] {
  if (!block) return [];
  return block.body.filter((s): s is VarDecl => s.kind === 'VarDecl');
}
