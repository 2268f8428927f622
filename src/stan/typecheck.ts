/**
 * The Stan checker: resolves names and scopes, types every expression, checks assignments, calls (user functions
 * and builtins.ts) and Stan's block rules, and marks each expression data-only or parameter-dependent. It
 * annotates the parser's AST in place (the optional fields of ast.ts) and never throws; problems come back as
 * diagnostics, several per program where they are independent.
 *
 * Data-only (see ast.ts): data and transformed data are data-only; parameters, transformed parameters and
 * generated quantities are not; a local (and a top-level model variable) is data-only until something
 * parameter-dependent is assigned to it, or it is assigned under a parameter-dependent condition or loop. That
 * is a fixed point: a block is re-checked until no local loses the flag (each pass can only clear flags).
 *
 * Block rules checked: data/transformed-data variables are read-only outside transformed data; a block's
 * variables can be assigned only in that block; parameters never; function arguments and loop variables are
 * read-only; `~` and `target +=` only in the model block and in functions named `*_lp`; `*_rng` only in
 * transformed data, generated quantities and `*_rng` functions; `*_lp` functions only in the model block,
 * transformed parameters and `*_lp` functions; sizes of block-level declarations outside the model are
 * data-only; user functions may not recurse (the WGSL back end has no recursion).
 */

import type {
  Assign,
  BlockName,
  Call,
  Expr,
  FunDef,
  FunParam,
  IndexItem,
  LoopVar,
  PrintArg,
  Program,
  ProgramBlock,
  ResolvedCall,
  ReturnType,
  Span,
  StanDiagnostic,
  StanType,
  Stmt,
  Tilde,
  VarDecl,
  VarOrigin,
} from './ast';
import { baseOfKeyword, diagnosticAt } from './ast';
import {
  DISTRIBUTIONS,
  ELEMENTWISE_BINARY_NAMES,
  ELEMENTWISE_UNARY_NAMES,
  FUNCTIONS,
  HIGHER_ORDER,
  INT,
  REAL,
  VARIADIC_ODE,
  assignable,
  densityOverloads,
  elementwiseBinaryResult,
  matchesPattern,
  parseTypeName,
  splitDensityName,
  typeName,
  type Overload,
} from './builtins';

export interface CheckResult {
  /** The same program, annotated in place. */
  program: Program;
  diagnostics: StanDiagnostic[];
}

interface Symbol {
  readonly name: string;
  readonly type: StanType;
  readonly origin: VarOrigin;
  /** The block the variable belongs to ('functions' inside a function body). */
  readonly block: BlockName;
  readonly node: VarDecl | FunParam | LoopVar;
  dataOnly: boolean;
  /** Locals (and model-block variables) whose data-only flag the fixed point computes. */
  readonly inferred: boolean;
}

/** Where statements are being checked. */
interface Context {
  readonly block: BlockName;
  /** Inside a user function: its definition. */
  readonly fn?: FunDef;
  loopDepth: number;
  /** Depth of enclosing parameter-dependent conditions / loop ranges. */
  paramControl: number;
}

const isScalarNum = (t: StanType): boolean => t.dims === 0 && (t.base === 'int' || t.base === 'real');
const isLinAlg = (t: StanType): boolean =>
  t.dims === 0 && (t.base === 'vector' || t.base === 'row_vector' || t.base === 'matrix');
const promote = (t: StanType): StanType => (t.base === 'int' ? { base: 'real', dims: t.dims } : t);
const sameType = (a: StanType, b: StanType): boolean => a.base === b.base && a.dims === b.dims;

function returnTypeName(t: ReturnType): string {
  return t === 'void' ? 'void' : typeName(t);
}

/** The result type of a binary operator, or a message why the operand types do not fit. */
function binaryResult(op: string, a: StanType, b: StanType): StanType | string {
  const both = `${typeName(a)} ${op} ${typeName(b)}`;
  const scalars = isScalarNum(a) && isScalarNum(b);
  const intsOnly = a.base === 'int' && b.base === 'int' && a.dims === 0 && b.dims === 0;
  switch (op) {
    case '||':
    case '&&':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return scalars ? INT : `'${op}' needs int or real operands, got ${both}`;
    case '==':
    case '!=':
      if (scalars) return INT;
      if (a.dims === 0 && b.dims === 0 && (a.base === 'complex' || b.base === 'complex')) return INT;
      return `'${op}' needs int or real operands, got ${both}`;
    case '%':
    case '%/%':
      return intsOnly ? INT : `'${op}' needs int operands, got ${both}`;
    case '+':
    case '-': {
      if (intsOnly) return INT;
      if (scalars) return REAL;
      if (isLinAlg(a) && isScalarNum(b)) return a;
      if (isScalarNum(a) && isLinAlg(b)) return b;
      if (isLinAlg(a) && sameType(a, b)) return a;
      if (a.dims === 0 && b.dims === 0 && (a.base === 'complex' || b.base === 'complex')) {
        if (isScalarNum(a) || isScalarNum(b) || sameType(a, b)) return { base: 'complex', dims: 0 };
      }
      return `no '${op}' for ${both}`;
    }
    case '*': {
      if (intsOnly) return INT;
      if (scalars) return REAL;
      if (isScalarNum(a) && isLinAlg(b)) return b;
      if (isLinAlg(a) && isScalarNum(b)) return a;
      if (a.dims === 0 && b.dims === 0) {
        const k = `${a.base}*${b.base}`;
        const table: Record<string, StanType> = {
          'row_vector*vector': REAL,
          'vector*row_vector': { base: 'matrix', dims: 0 },
          'matrix*vector': { base: 'vector', dims: 0 },
          'row_vector*matrix': { base: 'row_vector', dims: 0 },
          'matrix*matrix': { base: 'matrix', dims: 0 },
        };
        const r = table[k];
        if (r) return r;
        if (a.base === 'complex' || b.base === 'complex') {
          if (isScalarNum(a) || isScalarNum(b) || sameType(a, b)) return { base: 'complex', dims: 0 };
        }
      }
      return `no '*' for ${both}${a.base === b.base && a.base === 'vector' ? " (use '.*' or dot_product)" : ''}`;
    }
    case '/': {
      if (intsOnly) return INT;
      if (scalars) return REAL;
      if (isLinAlg(a) && isScalarNum(b)) return a;
      if (isScalarNum(a) && isLinAlg(b)) return b;
      if (a.dims === 0 && b.dims === 0) {
        if (a.base === 'row_vector' && b.base === 'matrix') return a;
        if (a.base === 'matrix' && b.base === 'matrix') return a;
        if (a.base === 'complex' || b.base === 'complex') return { base: 'complex', dims: 0 };
      }
      return `no '/' for ${both}${sameType(a, b) && isLinAlg(a) ? " (use './')" : ''}`;
    }
    case '\\':
      if (a.dims === 0 && a.base === 'matrix' && b.dims === 0 && (b.base === 'vector' || b.base === 'matrix'))
        return b;
      return `no '\\' for ${both}`;
    case '.*':
    case './':
      if (isLinAlg(a) && sameType(a, b)) return a;
      if (isLinAlg(a) && isScalarNum(b)) return a;
      if (isScalarNum(a) && isLinAlg(b)) return b;
      if (scalars) return intsOnly && op === '.*' ? INT : REAL;
      return `no '${op}' for ${both}`;
    case '^':
      if (scalars) return REAL;
      if (a.dims === 0 && b.dims === 0 && (a.base === 'complex' || b.base === 'complex')) {
        return { base: 'complex', dims: 0 };
      }
      return `'^' needs scalar operands, got ${both} (use '.^' elementwise)`;
    case '.^': {
      const r = elementwiseBinaryResult(a, b);
      return r ?? `no '.^' for ${both}`;
    }
  }
  return `unknown operator '${op}'`;
}

class Checker {
  readonly diagnostics: StanDiagnostic[] = [];
  private readonly scopes: Map<string, Symbol>[] = [];
  private readonly userFns = new Map<string, FunDef[]>();
  /** Calls from each user function to user functions, for the recursion check. */
  private readonly callGraph = new Map<FunDef, Set<FunDef>>();
  private ctx: Context = { block: 'data', loopDepth: 0, paramControl: 0 };
  /** Set when a pass cleared an inferred data-only flag (the block needs another pass). */
  private changed = false;

  constructor(private readonly program: Program) {}

  private error(span: Span, message: string): void {
    this.diagnostics.push(diagnosticAt(span, message));
  }

  private warn(span: Span, message: string): void {
    this.diagnostics.push(diagnosticAt(span, message, 'warning'));
  }

  // --- scopes -------------------------------------------------------------------------------------------

  private lookup(name: string): Symbol | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const s = (this.scopes[i] as Map<string, Symbol>).get(name);
      if (s) return s;
    }
    return undefined;
  }

  private declare(sym: Symbol, span: Span): void {
    const prior = this.lookup(sym.name);
    if (prior) {
      this.error(
        span,
        `'${sym.name}' is already declared (line ${prior.node.span.start.line}); Stan does not allow shadowing`,
      );
      return;
    }
    if (this.userFns.has(sym.name)) {
      this.error(span, `'${sym.name}' is already the name of a function`);
      return;
    }
    (this.scopes[this.scopes.length - 1] as Map<string, Symbol>).set(sym.name, sym);
  }

  private withScope<R>(f: () => R): R {
    this.scopes.push(new Map());
    try {
      return f();
    } finally {
      this.scopes.pop();
    }
  }

  // --- program --------------------------------------------------------------------------------------------

  check(): void {
    this.collectFunctions();
    this.scopes.push(new Map()); // program-level variables
    for (const def of this.program.functions) if (def.body) this.checkFunction(def);
    this.checkRecursion();
    const blocks: [BlockName, ProgramBlock | undefined][] = [
      ['data', this.program.data],
      ['transformed data', this.program.transformedData],
      ['parameters', this.program.parameters],
      ['transformed parameters', this.program.transformedParameters],
      ['model', this.program.model],
      ['generated quantities', this.program.generatedQuantities],
    ];
    for (const [name, block] of blocks) {
      if (!block) continue;
      if (name === 'model') {
        // The model block's variables are local to it: generated quantities cannot see them.
        this.withScope(() => this.checkBlock(name, block));
      } else {
        this.checkBlock(name, block);
      }
    }
  }

  private collectFunctions(): void {
    for (const def of this.program.functions) {
      if (DISTRIBUTIONS.has(def.name) || FUNCTIONS.has(def.name) || splitDensityName(def.name)) {
        this.error(def.nameSpan, `function '${def.name}' has the name of a built-in function`);
        continue;
      }
      const list = this.userFns.get(def.name) ?? [];
      const clash = list.find(
        (d) =>
          d.params.length === def.params.length &&
          d.params.every((p, i) => sameType(p.type, (def.params[i] as FunParam).type)),
      );
      if (clash) {
        if (clash.body && def.body) {
          this.error(def.nameSpan, `function '${def.name}' is defined twice with the same argument types`);
        } else if (!clash.body && def.body) {
          list[list.indexOf(clash)] = def; // the definition replaces its forward declaration
        }
        if (
          clash.returnType !== def.returnType &&
          returnTypeName(clash.returnType) !== returnTypeName(def.returnType)
        ) {
          this.error(
            def.nameSpan,
            `function '${def.name}' is declared with return type ${returnTypeName(clash.returnType)}`,
          );
        }
      } else {
        list.push(def);
      }
      this.userFns.set(def.name, list);
      for (const suffix of ['_lpdf', '_lpmf'] as const) {
        if (def.name.endsWith(suffix) && (def.params.length === 0 || def.returnType === 'void')) {
          this.error(def.nameSpan, `a ${suffix} function needs a variate argument and a real return type`);
        }
      }
    }
    for (const list of this.userFns.values()) {
      for (const def of list) {
        if (!def.body) this.error(def.nameSpan, `function '${def.name}' is declared but never defined`);
      }
    }
  }

  private checkFunction(def: FunDef): void {
    const saved = this.ctx;
    this.ctx = { block: 'functions', fn: def, loopDepth: 0, paramControl: 0 };
    this.callGraph.set(def, new Set());
    this.withScope(() => {
      for (const p of def.params) {
        this.declare(
          {
            name: p.name,
            type: p.type,
            origin: 'argument',
            block: 'functions',
            node: p,
            dataOnly: p.dataOnly,
            inferred: false,
          },
          p.span,
        );
      }
      if (def.body) this.fixedPoint(() => this.checkStmts(def.body?.body ?? []));
    });
    if (def.returnType !== 'void' && def.body && !alwaysReturns(def.body)) {
      this.error(def.nameSpan, `function '${def.name}' can end without returning a value`);
    }
    this.ctx = saved;
  }

  private checkRecursion(): void {
    const state = new Map<FunDef, 'active' | 'done'>();
    const visit = (f: FunDef): FunDef | undefined => {
      if (state.get(f) === 'done') return undefined;
      if (state.get(f) === 'active') return f;
      state.set(f, 'active');
      for (const g of this.callGraph.get(f) ?? []) {
        const cycle = visit(g);
        if (cycle) return cycle;
      }
      state.set(f, 'done');
      return undefined;
    };
    for (const f of this.callGraph.keys()) {
      const cycle = visit(f);
      if (cycle) {
        this.error(
          cycle.nameSpan,
          `function '${cycle.name}' is recursive, which is not supported (WGSL has no recursion)`,
        );
        return;
      }
    }
  }

  /**
   * Runs `pass` (which checks statements and may clear inferred data-only flags) until no flag changes; the
   * diagnostics are those of the last pass.
   */
  private fixedPoint(pass: () => void): void {
    for (let round = 0; round < 64; round++) {
      const mark = this.diagnostics.length;
      this.changed = false;
      const scopeDepth = this.scopes.length;
      const snapshot = this.scopes.map((s) => new Map(s));
      pass();
      if (!this.changed) return;
      // Undo this pass's declarations and diagnostics, keeping the cleared flags (they live on the nodes).
      this.diagnostics.length = mark;
      this.scopes.length = scopeDepth;
      snapshot.forEach((s, i) => {
        const live = this.scopes[i] as Map<string, Symbol>;
        live.clear();
        for (const [k, v] of s) live.set(k, v);
      });
    }
  }

  private checkBlock(name: BlockName, block: ProgramBlock): void {
    this.ctx = { block: name, loopDepth: 0, paramControl: 0 };
    this.fixedPoint(() => this.checkStmts(block.body, true));
  }

  // --- statements ---------------------------------------------------------------------------------------

  private checkStmts(stmts: readonly Stmt[], topLevel = false): void {
    for (const s of stmts) this.checkStmt(s, topLevel);
  }

  private checkStmt(s: Stmt, topLevel = false): void {
    switch (s.kind) {
      case 'VarDecl':
        this.checkDecl(s, topLevel);
        return;
      case 'Tilde':
        this.checkTilde(s);
        return;
      case 'TargetPlus': {
        this.requireTargetAccess(s.span, "'target +='");
        const t = this.expr(s.expr);
        if (
          t &&
          !(
            t.base === 'int' ||
            t.base === 'real' ||
            isLinAlg(t) ||
            t.base === 'vector' ||
            t.base === 'row_vector'
          )
        ) {
          this.error(
            s.expr.span,
            `'target +=' needs a real value (or a container of them), got ${typeName(t)}`,
          );
        }
        return;
      }
      case 'Assign':
        this.checkAssign(s);
        return;
      case 'For':
      case 'ForEach':
        this.checkLoop(s);
        return;
      case 'While': {
        this.condition(s.cond, 'while');
        this.underControl(s.cond, () => {
          this.ctx.loopDepth++;
          this.withScope(() => this.checkStmt(s.body));
          this.ctx.loopDepth--;
        });
        return;
      }
      case 'If':
        this.condition(s.cond, 'if');
        this.underControl(s.cond, () => {
          this.withScope(() => this.checkStmt(s.then));
          if (s.else) {
            const otherwise = s.else;
            this.withScope(() => this.checkStmt(otherwise));
          }
        });
        return;
      case 'Block':
        this.withScope(() => this.checkStmts(s.body));
        return;
      case 'Profile':
        this.withScope(() => this.checkStmts(s.body));
        return;
      case 'Print':
      case 'Reject':
      case 'FatalError':
        for (const a of s.args) this.printArg(a);
        return;
      case 'Break':
      case 'Continue':
        if (this.ctx.loopDepth === 0) this.error(s.span, `'${s.kind.toLowerCase()}' outside a loop`);
        return;
      case 'Return': {
        const fn = this.ctx.fn;
        if (!fn) {
          this.error(s.span, "'return' outside a function");
          if (s.value) this.expr(s.value);
          return;
        }
        if (fn.returnType === 'void') {
          if (s.value) {
            this.expr(s.value);
            this.error(s.value.span, `function '${fn.name}' returns void: write 'return;'`);
          }
          return;
        }
        if (!s.value) {
          this.error(s.span, `function '${fn.name}' must return a ${typeName(fn.returnType)}`);
          return;
        }
        const t = this.expr(s.value);
        if (t && !assignable(fn.returnType, t)) {
          this.error(
            s.value.span,
            `function '${fn.name}' returns ${typeName(fn.returnType)}, not ${typeName(t)}`,
          );
        }
        return;
      }
      case 'CallStmt': {
        const r = this.call(s.call);
        if (r !== undefined && r !== 'void') {
          this.error(
            s.call.span,
            `'${s.call.name}' returns ${typeName(r)}; a function called as a statement must return void`,
          );
        }
        return;
      }
      case 'Empty':
        return;
    }
  }

  private condition(e: Expr, what: string): void {
    const t = this.expr(e);
    if (t && !isScalarNum(t))
      this.error(e.span, `the ${what} condition must be int or real, got ${typeName(t)}`);
  }

  /** Runs `f` with the control context parameter-dependent when `e` is. */
  private underControl(e: Expr, f: () => void): void {
    const param = e.dataOnly === false;
    if (param) this.ctx.paramControl++;
    f();
    if (param) this.ctx.paramControl--;
  }

  private checkLoop(s: Extract<Stmt, { kind: 'For' | 'ForEach' }>): void {
    let type: StanType | undefined;
    let dataOnly = true;
    const range: Expr[] = [];
    if (s.kind === 'For') {
      for (const e of [s.lower, s.upper]) {
        const t = this.expr(e);
        if (t && !(t.base === 'int' && t.dims === 0)) {
          this.error(e.span, `a for loop's bounds must be int, got ${typeName(t)}`);
        }
        range.push(e);
      }
      type = INT;
    } else {
      const t = this.expr(s.iterable);
      range.push(s.iterable);
      if (t) {
        if (t.dims > 0) type = { base: t.base, dims: t.dims - 1 };
        else if (isLinAlg(t)) type = REAL;
        else
          this.error(
            s.iterable.span,
            `'for (x in ...)' needs an array, vector or matrix, got ${typeName(t)}`,
          );
      }
    }
    dataOnly = range.every((e) => e.dataOnly !== false);
    s.variable.type = type;
    s.variable.dataOnly = dataOnly;
    const param = !dataOnly;
    if (param) this.ctx.paramControl++;
    this.withScope(() => {
      if (type) {
        this.declare(
          {
            name: s.variable.name,
            type,
            origin: 'loop',
            block: this.ctx.block,
            node: s.variable,
            dataOnly,
            inferred: false,
          },
          s.variable.span,
        );
      }
      this.ctx.loopDepth++;
      this.withScope(() => this.checkStmt(s.body));
      this.ctx.loopDepth--;
    });
    if (param) this.ctx.paramControl--;
  }

  private printArg(a: PrintArg): void {
    if (a.kind === 'String') return;
    this.expr(a);
  }

  private checkDecl(d: VarDecl, topLevel: boolean): void {
    const block = this.ctx.block;
    const blockLevel = topLevel && block !== 'model';
    const base = baseOfKeyword(d.declType.keyword);
    const type: StanType = { base, dims: d.arraySizes.length };
    const sizeMustBeData = blockLevel;
    for (const e of [...d.arraySizes, ...d.declType.sizes]) {
      const t = this.expr(e);
      if (t && !(t.base === 'int' && t.dims === 0))
        this.error(e.span, `a size must be an int, got ${typeName(t)}`);
      if (sizeMustBeData && e.dataOnly === false) {
        this.error(e.span, `the sizes of '${block}' variables must be data only`);
      }
    }
    const c = d.declType.constraint;
    if (c.kind !== 'none') {
      if (!blockLevel) this.error(c.span, 'local variables cannot have constraints');
      const bounds = c.kind === 'bounds' ? [c.lower, c.upper] : [c.offset, c.multiplier];
      for (const e of bounds) {
        if (!e) continue;
        const t = this.expr(e);
        const elem: StanType = { base: base === 'int' ? 'int' : 'real', dims: 0 };
        const shaped: StanType = { base, dims: d.arraySizes.length };
        if (
          t &&
          !(
            assignable(elem, t) ||
            assignable(promote(shaped), t) ||
            (base !== 'int' && assignable({ base, dims: 0 }, t))
          )
        ) {
          this.error(
            e.span,
            `a bound of ${typeName(shaped)} must be a scalar or a ${typeName(shaped)}, got ${typeName(t)}`,
          );
        }
        if (block === 'data' && base === 'int' && t && t.base !== 'int') {
          this.error(e.span, 'an int bound must be an int');
        }
      }
    }
    if (base === 'complex' && blockLevel && (block === 'parameters' || block === 'data')) {
      this.error(d.declType.span, `complex ${block} are not supported`);
    }
    if ((block === 'parameters' || block === 'transformed parameters') && base === 'int' && blockLevel) {
      this.error(d.declType.span, `'${block}' cannot hold int variables`);
    }
    let initDataOnly = true;
    if (d.init) {
      const t = this.expr(d.init);
      if (t && !assignable(type, t)) {
        this.error(d.init.span, `cannot initialise '${d.name}' (${typeName(type)}) with a ${typeName(t)}`);
      }
      initDataOnly = d.init.dataOnly !== false;
    }
    const origin: VarOrigin = topLevel ? block : 'local';
    const inferred = block === 'model' || (!topLevel && block !== 'transformed data');
    let dataOnly: boolean;
    if (block === 'data' || block === 'transformed data') dataOnly = true;
    else if (inferred) {
      // Keep what an earlier pass learnt: the flag on the node only ever goes from true to false.
      dataOnly = d.dataOnly !== false && initDataOnly && this.ctx.paramControl === 0;
      if (d.dataOnly === true && !dataOnly) this.changed = true;
    } else dataOnly = false;
    if (this.ctx.fn && !topLevel) {
      dataOnly = d.dataOnly !== false && initDataOnly && this.ctx.paramControl === 0;
      if (d.dataOnly === true && !dataOnly) this.changed = true;
    }
    d.type = type;
    d.origin = origin;
    d.dataOnly = dataOnly;
    this.declare(
      {
        name: d.name,
        type,
        origin,
        block: this.ctx.fn ? 'functions' : block,
        node: d,
        dataOnly,
        inferred: inferred || this.ctx.fn !== undefined,
      },
      d.nameSpan,
    );
  }

  private requireTargetAccess(span: Span, what: string): void {
    const fn = this.ctx.fn;
    if (fn) {
      if (!fn.name.endsWith('_lp'))
        this.error(span, `${what} is only allowed in functions whose names end in _lp`);
      return;
    }
    if (this.ctx.block !== 'model') this.error(span, `${what} is only allowed in the model block`);
  }

  private checkTilde(s: Tilde): void {
    this.requireTargetAccess(s.span, "'~'");
    const lhsType = this.expr(s.lhs);
    const argTypes = s.args.map((a) => this.expr(a));
    const name = s.distribution;
    const stripped = name.replace(/_(lpdf|lpmf|log)$/, '');
    if (
      stripped !== name &&
      !DISTRIBUTIONS.has(name) &&
      (DISTRIBUTIONS.has(stripped) || /_lp[dm]f$/.test(name))
    ) {
      this.error(s.distSpan, `write the family name after '~' ('${stripped}'), not '${name}'`);
      return;
    }
    for (const a of s.args) if (!a.type) return;
    if (!lhsType) return;
    const types = [lhsType, ...(argTypes as StanType[])];
    // A user-defined density first (it may not shadow a built-in one, checked in collectFunctions).
    for (const suffix of ['_lpdf', '_lpmf']) {
      const defs = this.userFns.get(name + suffix);
      if (!defs) continue;
      const def = this.pickUser(defs, types);
      if (!def) {
        this.error(s.distSpan, `no ${name}${suffix} takes (${types.map(typeName).join(', ')})`);
        return;
      }
      this.noteUserCall(def);
      s.densityName = name + suffix;
      s.resolved = { kind: 'user', returnType: def.returnType, def };
      this.checkDataArgs(def, [s.lhs, ...s.args]);
      return;
    }
    const dist = DISTRIBUTIONS.get(name);
    if (!dist) {
      const users = [...this.userFns.keys()].filter((n) => /_lp[dm]f$/.test(n)).map((n) => n.slice(0, -5));
      this.error(
        s.distSpan,
        `unknown distribution '${name}'${suggestion(name, [...DISTRIBUTIONS.keys(), ...users])}`,
      );
      return;
    }
    const suffix = dist.discrete ? '_lpmf' : '_lpdf';
    const over = pickOverload(densityOverloads(dist, suffix), types);
    if (!over) {
      this.error(
        s.span,
        `no '${name}' distribution for ${typeName(lhsType)} ~ ${name}(${(argTypes as StanType[]).map(typeName).join(', ')})` +
          ` (it takes ${name}(${dist.variate}${dist.params.length ? ` | ${dist.params.join(', ')}` : ''}))`,
      );
      return;
    }
    s.densityName = name + suffix;
    s.resolved = { kind: 'builtin', returnType: REAL };
    if (s.truncation) {
      if (!dist.cdf) this.error(s.truncation.span, `'${name}' has no CDF, so it cannot be truncated`);
      if (!isScalarNum(lhsType))
        this.error(s.lhs.span, `a truncated variate must be a scalar, got ${typeName(lhsType)}`);
      for (const b of [s.truncation.lower, s.truncation.upper]) {
        if (!b) continue;
        const t = this.expr(b);
        if (t && !isScalarNum(t))
          this.error(b.span, `a truncation bound must be int or real, got ${typeName(t)}`);
      }
    }
  }

  private checkAssign(s: Assign): void {
    const root = lvalueRoot(s.lhs);
    const sym = this.lookup(root.name);
    const lhsType = this.expr(s.lhs);
    const rhsType = this.expr(s.rhs);
    if (!sym) return; // already reported by expr()
    if (sym.origin === 'argument') {
      this.error(root.span, `cannot assign to function argument '${sym.name}'`);
    } else if (sym.origin === 'loop') {
      this.error(root.span, `cannot assign to loop variable '${sym.name}'`);
    } else if (sym.block !== this.ctx.block && !(this.ctx.fn && sym.block === 'functions')) {
      this.error(
        root.span,
        `cannot assign to '${sym.name}' here: it belongs to the '${sym.block}' block and can only be assigned there`,
      );
    }
    if (lhsType && rhsType) {
      if (s.op === '=') {
        if (!assignable(lhsType, rhsType)) {
          this.error(
            s.rhs.span,
            `cannot assign a ${typeName(rhsType)} to '${root.name}' (${typeName(lhsType)})`,
          );
        }
      } else {
        const op = s.op.slice(0, -1);
        const r = binaryResult(op, lhsType, rhsType);
        if (typeof r === 'string') this.error(s.span, r);
        else if (!assignable(lhsType, r)) {
          this.error(
            s.span,
            `'${s.op}' gives a ${typeName(r)}, which cannot be stored in a ${typeName(lhsType)}`,
          );
        }
      }
    }
    // Data-only inference: a parameter-dependent value (or a parameter-dependent context) taints the variable.
    const tainted =
      s.rhs.dataOnly === false ||
      this.ctx.paramControl > 0 ||
      (s.lhs.kind === 'Indexed' && s.lhs.dataOnly === false && s.op !== '=');
    const indicesTainted = s.lhs.kind === 'Indexed' && indexExprs(s.lhs).some((e) => e.dataOnly === false);
    if (sym.inferred && sym.dataOnly && (tainted || indicesTainted)) {
      sym.dataOnly = false;
      const node = sym.node;
      if (node.kind === 'VarDecl') node.dataOnly = false;
      this.changed = true;
    }
    if (sym.origin === 'loop' || sym.origin === 'argument') return;
  }

  // --- expressions ----------------------------------------------------------------------------------------

  /** Types `e` (setting e.type and e.dataOnly); undefined after an error in it (already reported). */
  private expr(e: Expr): StanType | undefined {
    const t = this.exprInner(e);
    e.type = t;
    return t;
  }

  private exprInner(e: Expr): StanType | undefined {
    switch (e.kind) {
      case 'IntLiteral':
        e.dataOnly = true;
        if (!Number.isSafeInteger(e.value) || e.value > 2147483647) {
          this.error(e.span, `integer literal ${e.text} is too large for a 32-bit int`);
        }
        return INT;
      case 'RealLiteral':
        e.dataOnly = true;
        return REAL;
      case 'ImagLiteral':
        e.dataOnly = true;
        return { base: 'complex', dims: 0 };
      case 'Variable': {
        const sym = this.lookup(e.name);
        if (!sym) {
          e.dataOnly = true;
          if (this.userFns.has(e.name) || FUNCTIONS.has(e.name)) {
            this.error(e.span, `'${e.name}' is a function: call it with (...)`);
          } else {
            const visible = this.scopes.flatMap((m) => [...m.keys()]);
            this.error(e.span, `unknown variable '${e.name}'${suggestion(e.name, visible)}`);
          }
          return undefined;
        }
        e.origin = sym.origin;
        e.decl = sym.node;
        e.dataOnly = sym.dataOnly;
        return sym.type;
      }
      case 'Binary': {
        const a = this.expr(e.left);
        const b = this.expr(e.right);
        e.dataOnly = e.left.dataOnly !== false && e.right.dataOnly !== false;
        if (!a || !b) return undefined;
        const r = binaryResult(e.op, a, b);
        if (e.op === '/' && a.base === 'int' && b.base === 'int' && a.dims === 0 && b.dims === 0) {
          this.warn(
            e.span,
            "int / int rounds toward zero; write '%/%' for integer division, or use a real (1.0 * a / b)",
          );
        }
        if (typeof r === 'string') {
          this.error(e.span, r);
          return undefined;
        }
        return r;
      }
      case 'Unary': {
        const t = this.expr(e.operand);
        e.dataOnly = e.operand.dataOnly !== false;
        if (!t) return undefined;
        if (e.op === '!') {
          if (!isScalarNum(t)) {
            this.error(e.span, `'!' needs an int or real, got ${typeName(t)}`);
            return undefined;
          }
          return INT;
        }
        if (isScalarNum(t) || isLinAlg(t) || (t.base === 'complex' && t.dims === 0)) return t;
        this.error(e.span, `unary '${e.op}' needs a scalar, vector or matrix, got ${typeName(t)}`);
        return undefined;
      }
      case 'Transpose': {
        const t = this.expr(e.operand);
        e.dataOnly = e.operand.dataOnly !== false;
        if (!t) return undefined;
        if (t.dims === 0 && t.base === 'vector') return { base: 'row_vector', dims: 0 };
        if (t.dims === 0 && t.base === 'row_vector') return { base: 'vector', dims: 0 };
        if (t.dims === 0 && t.base === 'matrix') return t;
        this.error(e.span, `"'" (transpose) needs a vector, row_vector or matrix, got ${typeName(t)}`);
        return undefined;
      }
      case 'Ternary': {
        const c = this.expr(e.cond);
        const a = this.expr(e.then);
        const b = this.expr(e.else);
        e.dataOnly = e.cond.dataOnly !== false && e.then.dataOnly !== false && e.else.dataOnly !== false;
        if (c && !isScalarNum(c))
          this.error(e.cond.span, `the condition of '?:' must be int or real, got ${typeName(c)}`);
        if (!a || !b) return undefined;
        if (sameType(a, b)) return a;
        if (assignable(a, b)) return a;
        if (assignable(b, a)) return b;
        this.error(e.span, `the branches of '?:' differ: ${typeName(a)} and ${typeName(b)}`);
        return undefined;
      }
      case 'Indexed':
        return this.indexed(e);
      case 'Call': {
        const r = this.call(e);
        if (r === 'void') {
          this.error(e.span, `'${e.name}' returns void, so it has no value`);
          return undefined;
        }
        return r;
      }
      case 'ArrayLiteral': {
        const ts = e.elements.map((x) => this.expr(x));
        e.dataOnly = e.elements.every((x) => x.dataOnly !== false);
        if (ts.some((t) => !t)) return undefined;
        let elem = ts[0] as StanType;
        for (const t of ts as StanType[]) {
          if (assignable(elem, t)) continue;
          if (assignable(t, elem)) {
            elem = t;
            continue;
          }
          this.error(
            e.span,
            `the elements of an array expression differ in type: ${typeName(elem)} and ${typeName(t)}`,
          );
          return undefined;
        }
        return { base: elem.base, dims: elem.dims + 1 };
      }
      case 'RowVectorLiteral': {
        const ts = e.elements.map((x) => this.expr(x));
        e.dataOnly = e.elements.every((x) => x.dataOnly !== false);
        if (ts.some((t) => !t)) return undefined;
        const all = ts as StanType[];
        if (all.every(isScalarNum)) return { base: 'row_vector', dims: 0 };
        if (all.every((t) => t.dims === 0 && t.base === 'row_vector')) return { base: 'matrix', dims: 0 };
        this.error(
          e.span,
          "the elements of '[...]' must be all int/real (a row_vector) or all row_vector (a matrix)",
        );
        return undefined;
      }
    }
  }

  private indexed(e: Extract<Expr, { kind: 'Indexed' }>): StanType | undefined {
    const t = this.expr(e.target);
    let dataOnly = e.target.dataOnly !== false;
    const kinds: ('single' | 'keep')[] = [];
    let bad = false;
    for (const ix of e.indices) {
      const k = this.indexItem(ix);
      for (const x of indexItemExprs(ix)) if (x.dataOnly === false) dataOnly = false;
      if (k === undefined) bad = true;
      else kinds.push(k);
    }
    e.dataOnly = dataOnly;
    if (!t || bad) return undefined;
    // The dimensions, outermost first: the array's, then a vector's one or a matrix's rows and columns.
    const inner = t.base === 'vector' || t.base === 'row_vector' ? 1 : t.base === 'matrix' ? 2 : 0;
    if (kinds.length > t.dims + inner) {
      this.error(e.span, `too many indices (${kinds.length}) for a ${typeName(t)}`);
      return undefined;
    }
    let dims = 0;
    kinds.forEach((k, i) => {
      if (i < t.dims && k === 'keep') dims++;
    });
    dims += Math.max(0, t.dims - kinds.length);
    const innerKinds = kinds.slice(t.dims);
    while (innerKinds.length < inner) innerKinds.push('keep');
    let base = t.base;
    if (t.base === 'vector' || t.base === 'row_vector') {
      if (innerKinds[0] === 'single') base = 'real';
    } else if (t.base === 'matrix') {
      const [r, c] = innerKinds;
      if (r === 'single' && c === 'single') base = 'real';
      else if (r === 'single') base = 'row_vector';
      else if (c === 'single') base = 'vector';
    }
    return { base, dims };
  }

  /** 'single' drops a dimension, 'keep' (range or multi-index) keeps it; undefined after an error. */
  private indexItem(ix: IndexItem): 'single' | 'keep' | undefined {
    if (ix.kind === 'range') {
      let ok = true;
      for (const b of [ix.lower, ix.upper]) {
        if (!b) continue;
        const t = this.expr(b);
        if (!t) ok = false;
        else if (!(t.base === 'int' && t.dims === 0)) {
          this.error(b.span, `a range bound must be an int, got ${typeName(t)}`);
          ok = false;
        }
      }
      return ok ? 'keep' : undefined;
    }
    const t = this.expr(ix.expr);
    if (!t) return undefined;
    if (t.base === 'int' && t.dims === 0) {
      ix.multi = false;
      return 'single';
    }
    if (t.base === 'int' && t.dims === 1) {
      ix.multi = true;
      return 'keep';
    }
    this.error(ix.expr.span, `an index must be an int or an array of ints, got ${typeName(t)}`);
    return undefined;
  }

  private pickUser(defs: readonly FunDef[], types: readonly StanType[]): FunDef | undefined {
    const fits = (d: FunDef): boolean =>
      d.params.length === types.length && d.params.every((p, i) => assignable(p.type, types[i] as StanType));
    const exact = defs.find(
      (d) =>
        d.params.length === types.length && d.params.every((p, i) => sameType(p.type, types[i] as StanType)),
    );
    return exact ?? defs.find(fits);
  }

  private noteUserCall(def: FunDef): void {
    const caller = this.ctx.fn;
    if (caller) this.callGraph.get(caller)?.add(def);
  }

  private checkDataArgs(def: FunDef, args: readonly Expr[]): void {
    def.params.forEach((p, i) => {
      const a = args[i];
      if (p.dataOnly && a && a.dataOnly === false) {
        this.error(
          a.span,
          `argument '${p.name}' of '${def.name}' is declared data, but this value depends on parameters`,
        );
      }
    });
  }

  /** Types a call; `void` for void functions; undefined after an error. */
  private call(e: Call): ReturnType | undefined {
    const name = e.name;
    if (name === 'target') {
      e.dataOnly = false;
      this.requireTargetAccess(e.span, "'target()'");
      e.resolved = { kind: 'builtin', returnType: REAL };
      return REAL;
    }
    const higher = HIGHER_ORDER.has(name);
    const args = higher ? e.args.slice(1) : e.args;
    const types = args.map((a) => this.expr(a));
    e.dataOnly = args.every((a) => a.dataOnly !== false);
    if (higher) {
      const f = e.args[0];
      if (!f || f.kind !== 'Variable' || !this.userFns.has(f.name)) {
        this.error(f?.span ?? e.nameSpan, `the first argument of '${name}' must name a user function`);
        return undefined;
      }
      f.dataOnly = true;
      const defs = this.userFns.get(f.name) ?? [];
      for (const d of defs) this.noteUserCall(d);
    }
    if (types.some((t) => !t)) return undefined;
    const argTypes = types as StanType[];
    const sig = `(${argTypes.map(typeName).join(', ')})`;
    if (VARIADIC_ODE.has(name)) return this.variadicOde(e, argTypes);

    // Block rules on suffixes.
    if (name.endsWith('_rng')) {
      const fn = this.ctx.fn;
      const ok = fn
        ? fn.name.endsWith('_rng')
        : this.ctx.block === 'transformed data' || this.ctx.block === 'generated quantities';
      if (!ok)
        this.error(
          e.nameSpan,
          `'${name}': random number generators are only allowed in transformed data, generated quantities and _rng functions`,
        );
      e.dataOnly = this.ctx.block === 'transformed data' && !fn;
    }
    if (name.endsWith('_lp')) {
      const fn = this.ctx.fn;
      const ok = fn
        ? fn.name.endsWith('_lp')
        : this.ctx.block === 'model' || this.ctx.block === 'transformed parameters';
      if (!ok)
        this.error(
          e.nameSpan,
          `'${name}': _lp functions are only allowed in the model block, transformed parameters and _lp functions`,
        );
      e.dataOnly = false;
    }
    if (/_(lpdf|lupdf|lpmf|lupmf)$/.test(name) && !e.conditional && e.args.length > 1) {
      this.warn(e.nameSpan, `write '${name}(y | ...)' with a bar after the variate`);
    }
    if (
      /_(lupdf|lupmf)$/.test(name) &&
      !(this.ctx.block === 'model' || this.ctx.fn?.name.match(/_(lpdf|lpmf|lp)$/))
    ) {
      this.error(
        e.nameSpan,
        `'${name}' (unnormalised) is only allowed in the model block and in _lpdf/_lpmf/_lp functions`,
      );
    }

    // A user function?
    let userName = name;
    if (!this.userFns.has(name) && /_(lupdf|lupmf)$/.test(name))
      userName = name.replace(/_lup(df|mf)$/, '_lp$1');
    const defs = this.userFns.get(userName);
    if (defs) {
      const def = this.pickUser(defs, argTypes);
      if (!def) {
        const wanted = defs.map((d) => `(${d.params.map((p) => typeName(p.type)).join(', ')})`).join(' or ');
        this.error(e.span, `no '${name}' takes ${sig}; it takes ${wanted}`);
        return undefined;
      }
      this.noteUserCall(def);
      this.checkDataArgs(def, e.args);
      e.resolved = { kind: 'user', returnType: def.returnType, def };
      return def.returnType;
    }

    // A built-in.
    let overloads: readonly Overload[] | undefined = FUNCTIONS.get(name);
    const density = splitDensityName(name);
    if (!overloads && density) overloads = densityOverloads(density.dist, density.suffix);
    if (!overloads) {
      const dist = DISTRIBUTIONS.get(name.replace(/_(lpdf|lpmf|lupdf|lupmf|lcdf|lccdf|cdf|rng|log)$/, ''));
      if (dist && name !== dist.name) {
        this.error(
          e.nameSpan,
          `unknown function '${name}' (the '${dist.name}' family has ${dist.discrete ? '_lpmf' : '_lpdf'}${dist.cdf ? ', _lcdf, _lccdf, _cdf' : ''}${dist.rng ? ', _rng' : ''})`,
        );
      } else if (dist) {
        this.error(
          e.nameSpan,
          `'${name}' is a distribution: call ${name}${dist.discrete ? '_lpmf' : '_lpdf'}(...) or use '~'`,
        );
      } else {
        this.error(
          e.nameSpan,
          `unknown function '${name}'${suggestion(name, [...builtinNames(), ...this.userFns.keys()])}`,
        );
      }
      return undefined;
    }
    const over = pickOverload(overloads, argTypes, higher);
    if (!over) {
      this.error(e.span, `no built-in '${name}' takes ${sig}${describeOverloads(overloads)}`);
      return undefined;
    }
    let ret = typeof over.ret === 'function' ? over.ret(argTypes) : over.ret;
    if (ELEMENTWISE_UNARY_NAMES.has(name) && argTypes.length === 1) {
      const a = argTypes[0] as StanType;
      if (a.base === 'complex') {
        this.error(e.span, `'${name}' does not take complex values`);
        return undefined;
      }
      ret = promote(a);
    }
    if (ELEMENTWISE_BINARY_NAMES.has(name)) {
      const r = elementwiseBinaryResult(argTypes[0] as StanType, argTypes[1] as StanType);
      if (!r) {
        this.error(e.span, `'${name}' cannot combine ${sig}`);
        return undefined;
      }
      ret = r;
    }
    e.resolved = { kind: 'builtin', returnType: ret } satisfies ResolvedCall;
    return ret;
  }

  /**
   * A variadic ODE solver: y0, t0, ts (and the tolerances of a _tol form) typed, then f must be
   * `vector f(real t, vector y, ...)` taking the remaining arguments. Returns array[] vector.
   */
  private variadicOde(e: Call, types: readonly StanType[]): ReturnType | undefined {
    const name = e.name;
    const fixed = name.endsWith('_tol') ? [...ODE_FIXED, ...ODE_TOL] : ODE_FIXED;
    if (types.length < fixed.length || !fixed.every((t, i) => assignable(t, types[i] as StanType))) {
      const tol = name.endsWith('_tol') ? ', real rel_tol, real abs_tol, int max_num_steps' : '';
      this.error(
        e.span,
        `'${name}' takes (function, vector y0, real t0, array[] real ts${tol}, ...), not (function, ${types.map(typeName).join(', ')})`,
      );
      return undefined;
    }
    const f = e.args[0] as Extract<Expr, { kind: 'Variable' }>;
    const extra = types.slice(fixed.length);
    const ok = (d: FunDef): boolean => {
      const [t, y, ...rest] = d.params;
      return (
        d.returnType !== 'void' &&
        typeName(d.returnType) === 'vector' &&
        t !== undefined &&
        typeName(t.type) === 'real' &&
        y !== undefined &&
        typeName(y.type) === 'vector' &&
        rest.length === extra.length &&
        rest.every((p, k) => assignable(p.type, extra[k] as StanType))
      );
    };
    if (!(this.userFns.get(f.name) ?? []).some(ok)) {
      this.error(
        f.span,
        `'${f.name}' must be 'vector ${f.name}(real t, vector y${extra.map((x) => `, ${typeName(x)}`).join('')})' to be solved by '${name}'`,
      );
      return undefined;
    }
    const ret = parseTypeName('array[] vector');
    e.resolved = { kind: 'builtin', returnType: ret } satisfies ResolvedCall;
    return ret;
  }
}

/** The types ode_rk45(f, y0, t0, ts, ...) and the other variadic solvers take before their arguments for f. */
const ODE_FIXED = [parseTypeName('vector'), REAL, parseTypeName('array[] real')];
const ODE_TOL = [REAL, REAL, INT];

/** Levenshtein distance, capped: only near misses matter for suggestions. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** `; did you mean 'normal_lpdf'?` when one known name is within two edits, else ''. */
function suggestion(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best === undefined ? '' : `; did you mean '${best}'?`;
}

/** Every built-in function name, the families' density, cdf and rng names included. */
function builtinNames(): string[] {
  const names = [...FUNCTIONS.keys()];
  for (const d of DISTRIBUTIONS.values()) {
    names.push(d.name + (d.discrete ? '_lpmf' : '_lpdf'));
    if (d.cdf) names.push(`${d.name}_lcdf`, `${d.name}_lccdf`, `${d.name}_cdf`);
    if (d.rng) names.push(`${d.name}_rng`);
  }
  return names;
}

function pickOverload(
  overloads: readonly Overload[],
  types: readonly StanType[],
  skipFirst = false,
): Overload | undefined {
  return overloads.find((o) => {
    const pats = skipFirst ? o.args.slice(1) : o.args;
    return pats.length === types.length && pats.every((p, i) => matchesPattern(p, types[i] as StanType));
  });
}

function describeOverloads(overloads: readonly Overload[]): string {
  const shown = overloads.slice(0, 4).map((o) => `(${o.args.join(', ')})`);
  if (shown.length === 0) return '';
  return `; it takes ${shown.join(' or ')}${overloads.length > 4 ? ' or ...' : ''}`;
}

function lvalueRoot(e: Expr): Extract<Expr, { kind: 'Variable' }> {
  let x = e;
  while (x.kind === 'Indexed') x = x.target;
  if (x.kind !== 'Variable') throw new Error('parser guarantees an lvalue');
  return x;
}

function indexItemExprs(ix: IndexItem): Expr[] {
  if (ix.kind === 'single') return [ix.expr];
  return [ix.lower, ix.upper].filter((x): x is Expr => x !== undefined);
}

function indexExprs(e: Expr): Expr[] {
  const out: Expr[] = [];
  let x = e;
  while (x.kind === 'Indexed') {
    for (const ix of x.indices) out.push(...indexItemExprs(ix));
    x = x.target;
  }
  return out;
}

/** Whether every path through `s` ends in return, reject or fatal_error (a conservative check). */
function alwaysReturns(s: Stmt): boolean {
  switch (s.kind) {
    case 'Return':
    case 'Reject':
    case 'FatalError':
      return true;
    case 'Block':
    case 'Profile':
      return s.body.some(alwaysReturns);
    case 'If':
      return s.else !== undefined && alwaysReturns(s.then) && alwaysReturns(s.else);
    case 'While':
      // `while (1) { ... return ...; }` is a common idiom.
      return s.cond.kind === 'IntLiteral' && s.cond.value !== 0;
    default:
      return false;
  }
}

/** Checks and annotates `program` in place. Never throws. */
export function checkStan(program: Program): CheckResult {
  const checker = new Checker(program);
  try {
    checker.check();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    checker.diagnostics.push(diagnosticAt(program.span, 'the program nests too deeply to check'));
  }
  return { program, diagnostics: checker.diagnostics };
}
