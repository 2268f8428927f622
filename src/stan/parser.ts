/**
 * A hand-written recursive-descent parser for Stan (the language of Stan 2.26+, with the pre-2.26 array syntax
 * `real y[N]` too) producing the AST of ast.ts. It stops at the first syntax error and reports it as a diagnostic
 * naming what was expected and what was found; it never throws.
 *
 * Operator precedence, loosest first (as stanc3): `?:` (right), `||`, `&&`, `== !=`, `< <= > >=`, `+ -`,
 * `* / % .* ./`, `%/% \`, prefix `- + !`, `^ .^` (right; so `-a^b` is `-(a^b)` and `a^-b` is `a^(-b)`),
 * postfix `'` and indexing. All binary operators but `^`, `.^` associate to the left. Inside `<lower=...>` and the
 * like the bound is an arithmetic expression (no comparison, logic or ternary unless parenthesised), so that the
 * closing `>` ends it.
 */

import type {
  AssignOp,
  BinaryOp,
  Block,
  BlockName,
  Call,
  Constraint,
  DeclType,
  Expr,
  FunDef,
  FunParam,
  IndexItem,
  Indexed,
  LoopVar,
  PrintArg,
  Program,
  ProgramBlock,
  ReturnType,
  Span,
  StanDiagnostic,
  StanType,
  Stmt,
  TypeKeyword,
  Variable,
  VarDecl,
} from './ast';
import { diagnosticAt, TYPE_KEYWORDS } from './ast';
import { LexError, lex, type Token } from './lexer';

export interface ParseResult {
  program?: Program;
  diagnostics: StanDiagnostic[];
}

class ParseError extends Error {
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

/** Words that cannot name a variable or function. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'for',
  'in',
  'while',
  'repeat',
  'until',
  'if',
  'then',
  'else',
  'true',
  'false',
  'target',
  'functions',
  'model',
  'data',
  'parameters',
  'quantities',
  'transformed',
  'generated',
  'return',
  'break',
  'continue',
  'print',
  'reject',
  'fatal_error',
  'profile',
  'void',
  ...TYPE_KEYWORDS,
  'tuple',
  'struct',
  'typedef',
  'export',
  'auto',
  'extern',
  'var',
  'static',
]);

const TYPE_KEYWORD_SET: ReadonlySet<string> = new Set<string>(TYPE_KEYWORDS);

// Types Stan has that this front end does not take (reported by name rather than as a syntax error).
const UNSUPPORTED_TYPES: ReadonlySet<string> = new Set([
  'complex_vector',
  'complex_row_vector',
  'complex_matrix',
  'tuple',
  'stochastic_row_matrix',
  'stochastic_column_matrix',
  'sum_to_zero_matrix',
  'column_stochastic_matrix',
  'row_stochastic_matrix',
]);

const ASSIGN_OPS: ReadonlySet<string> = new Set<AssignOp>(['=', '+=', '-=', '*=', '/=', '.*=', './=']);

// Binary precedence levels, loosest first (the ternary sits above them).
const BINARY_LEVELS: readonly (readonly BinaryOp[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/', '%', '.*', './'],
  ['%/%', '\\'],
];
/** The level where bounds in `<...>` start: arithmetic only. */
const ARITHMETIC_LEVEL = 4;

const BLOCK_ORDER: readonly BlockName[] = [
  'functions',
  'data',
  'transformed data',
  'parameters',
  'transformed parameters',
  'model',
  'generated quantities',
];

const spanOf = (a: Span, b: Span): Span => ({ start: a.start, end: b.end });

/** What the user sees of a token in a message. */
function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'string':
      return `string "${t.text}"`;
    case 'imag':
      return `'${t.text}i'`;
    default:
      return `'${t.text}'`;
  }
}

class Parser {
  private pos = 0;
  /** Where a statement-level parse is, for rules that depend on the block (assignment in data, ...). */
  private block: BlockName | undefined;

  constructor(private readonly tokens: readonly Token[]) {}

  // --- token helpers -------------------------------------------------------------------------------------

  private peek(ahead = 0): Token {
    const i = Math.min(this.pos + ahead, this.tokens.length - 1);
    return this.tokens[i] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private previousEnd(): Span {
    const t = this.tokens[Math.max(0, this.pos - 1)] as Token;
    return { start: t.span.end, end: t.span.end };
  }

  private isOp(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'op' && t.text === text;
  }

  private isWord(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'ident' && t.text === text;
  }

  private fail(expected: string, t: Token = this.peek()): never {
    throw new ParseError(`expected ${expected}, found ${describeToken(t)}`, t.span);
  }

  private expectOp(text: string, context?: string): Token {
    if (!this.isOp(text)) {
      const expected = `'${text}'${context ? ` ${context}` : ''}`;
      // A missing ';' is best shown where it belongs: right after the previous token.
      if (text === ';' && this.pos > 0) {
        throw new ParseError(`expected ${expected}, found ${describeToken(this.peek())}`, this.previousEnd());
      }
      this.fail(expected);
    }
    return this.next();
  }

  private expectWord(text: string, context?: string): Token {
    if (!this.isWord(text)) this.fail(`'${text}'${context ? ` ${context}` : ''}`);
    return this.next();
  }

  private expectName(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(what);
    if (RESERVED_WORDS.has(t.text)) {
      throw new ParseError(`expected ${what}, found '${t.text}', a reserved word`, t.span);
    }
    if (t.text.startsWith('_') || t.text.endsWith('__')) {
      throw new ParseError(`'${t.text}': Stan names cannot start with '_' or end in '__'`, t.span);
    }
    return this.next();
  }

  // --- program -------------------------------------------------------------------------------------------

  parseProgram(): Program {
    const start = this.peek().span;
    let functions: FunDef[] = [];
    const blocks = new Map<BlockName, ProgramBlock>();
    let last = -1;
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      const name = this.blockName();
      if (name === undefined) {
        this.fail(
          last < 0
            ? "a program block ('functions', 'data', 'transformed data', 'parameters', 'transformed parameters', 'model' or 'generated quantities')"
            : `a program block after '${BLOCK_ORDER[last]}' or end of input`,
        );
      }
      const order = BLOCK_ORDER.indexOf(name);
      if (order <= last) {
        throw new ParseError(
          blocks.has(name) || (name === 'functions' && last === 0)
            ? `block '${name}' appears twice`
            : `block '${name}' must come before '${BLOCK_ORDER[last]}' (Stan's block order: ${BLOCK_ORDER.join(', ')})`,
          t.span,
        );
      }
      last = order;
      this.block = name;
      if (name === 'functions') {
        functions = this.parseFunctionsBlock();
      } else {
        blocks.set(name, this.parseBlock(name, t.span));
      }
      this.block = undefined;
    }
    const program: Program = {
      kind: 'Program',
      span: spanOf(start, this.peek().span),
      functions,
      data: blocks.get('data'),
      transformedData: blocks.get('transformed data'),
      parameters: blocks.get('parameters'),
      transformedParameters: blocks.get('transformed parameters'),
      model: blocks.get('model'),
      generatedQuantities: blocks.get('generated quantities'),
    };
    return program;
  }

  /** Reads a block header ('transformed data' is two words) when one is here, else leaves the cursor. */
  private blockName(): BlockName | undefined {
    const t = this.peek();
    if (t.kind !== 'ident') return undefined;
    switch (t.text) {
      case 'functions':
      case 'data':
      case 'parameters':
      case 'model':
        this.next();
        return t.text;
      case 'transformed':
        this.next();
        if (this.isWord('data')) {
          this.next();
          return 'transformed data';
        }
        if (this.isWord('parameters')) {
          this.next();
          return 'transformed parameters';
        }
        return this.fail("'data' or 'parameters' after 'transformed'");
      case 'generated':
        this.next();
        this.expectWord('quantities', "after 'generated'");
        return 'generated quantities';
      default:
        return undefined;
    }
  }

  private parseFunctionsBlock(): FunDef[] {
    this.expectOp('{', "after 'functions'");
    const defs: FunDef[] = [];
    while (!this.isOp('}')) {
      if (this.peek().kind === 'eof') this.fail("a function definition or '}'");
      defs.push(this.parseFunDef());
    }
    this.next();
    return defs;
  }

  private parseBlock(name: BlockName, headSpan: Span): ProgramBlock {
    this.expectOp('{', `after '${name}'`);
    const body: Stmt[] = [];
    const declsOnly = name === 'data' || name === 'parameters';
    while (!this.isOp('}')) {
      if (this.peek().kind === 'eof') this.fail(`'}' closing the '${name}' block`);
      if (declsOnly) {
        if (!this.startsDecl()) {
          this.fail(`a variable declaration (the '${name}' block holds declarations only) or '}'`);
        }
        body.push(...this.parseDecl(true));
      } else {
        body.push(...this.parseStatementOrDecl(name !== 'model'));
      }
    }
    const end = this.next();
    return { kind: 'ProgramBlock', span: spanOf(headSpan, end.span), name, body };
  }

  // --- functions -----------------------------------------------------------------------------------------

  private parseFunDef(): FunDef {
    const start = this.peek().span;
    let returnType: ReturnType;
    if (this.isWord('void')) {
      this.next();
      returnType = 'void';
    } else {
      returnType = this.parseUnsizedType('a return type (void, int, real, vector, ...)');
    }
    const nameTok = this.expectName('a function name');
    this.expectOp('(', 'after the function name');
    const params: FunParam[] = [];
    if (!this.isOp(')')) {
      for (;;) {
        params.push(this.parseFunParam());
        if (this.isOp(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expectOp(')', 'closing the parameter list');
    if (this.isOp(';')) {
      const end = this.next();
      return {
        kind: 'FunDef',
        span: spanOf(start, end.span),
        name: nameTok.text,
        nameSpan: nameTok.span,
        returnType,
        params,
      };
    }
    if (!this.isOp('{')) this.fail("'{' starting the function body or ';'");
    const saved = this.block;
    this.block = 'functions';
    const body = this.parseBraces();
    this.block = saved;
    return {
      kind: 'FunDef',
      span: spanOf(start, body.span),
      name: nameTok.text,
      nameSpan: nameTok.span,
      returnType,
      params,
      body,
    };
  }

  private parseFunParam(): FunParam {
    const start = this.peek().span;
    let dataOnly = false;
    if (this.isWord('data')) {
      this.next();
      dataOnly = true;
    }
    const type = this.parseUnsizedType(
      'an argument type (int, real, vector, row_vector, matrix or array[] ...)',
    );
    const nameTok = this.expectName('an argument name');
    return { kind: 'FunParam', span: spanOf(start, nameTok.span), name: nameTok.text, type, dataOnly };
  }

  /** `array[,] real`, `real[,]`, `vector`: no sizes. */
  private parseUnsizedType(what: string): StanType {
    let dims = 0;
    if (this.isWord('array') && this.isOp('[', 1)) {
      this.next();
      dims = this.parseUnsizedDims();
    }
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(what);
    if (UNSUPPORTED_TYPES.has(t.text)) throw new ParseError(`type '${t.text}' is not supported`, t.span);
    if (!['int', 'real', 'complex', 'vector', 'row_vector', 'matrix'].includes(t.text)) this.fail(what);
    this.next();
    const base = t.text as StanType['base'];
    if (this.isOp('[')) {
      if (dims > 0) this.fail("a name (array dimensions are given once, after 'array')");
      dims = this.parseUnsizedDims();
    }
    return { base, dims };
  }

  private parseUnsizedDims(): number {
    this.expectOp('[');
    let dims = 1;
    while (this.isOp(',')) {
      this.next();
      dims++;
    }
    this.expectOp(']', 'closing unsized array dimensions (write them as [] or [,])');
    return dims;
  }

  // --- declarations --------------------------------------------------------------------------------------

  /** A declaration starts here: a type keyword, or `array[` ... `]` followed by one. */
  private startsDecl(): boolean {
    const t = this.peek();
    if (t.kind !== 'ident') return false;
    if (TYPE_KEYWORD_SET.has(t.text) || UNSUPPORTED_TYPES.has(t.text)) return true;
    if (t.text === 'array' && this.isOp('[', 1)) {
      // `array[N] real x` vs an expression on a variable called `array`: look past the brackets.
      let depth = 0;
      for (let i = 1; ; i++) {
        const u = this.peek(i);
        if (u.kind === 'eof') return false;
        if (u.kind === 'op' && (u.text === '[' || u.text === '(' || u.text === '{')) depth++;
        if (u.kind === 'op' && (u.text === ']' || u.text === ')' || u.text === '}')) {
          depth--;
          if (depth === 0) {
            const after = this.peek(i + 1);
            return (
              after.kind === 'ident' &&
              (TYPE_KEYWORD_SET.has(after.text) || UNSUPPORTED_TYPES.has(after.text))
            );
          }
        }
      }
    }
    return false;
  }

  /** One declaration statement; `real a, b;` gives two VarDecls. `topLevel`: constraints are allowed. */
  private parseDecl(topLevel: boolean): VarDecl[] {
    const start = this.peek().span;
    let arraySizes: Expr[] = [];
    let newArray = false;
    if (this.isWord('array')) {
      this.next();
      arraySizes = this.parseSizes('array dimensions');
      newArray = true;
    }
    const declType = this.parseDeclType(topLevel);
    const decls: VarDecl[] = [];
    const noInit = this.block === 'data' || this.block === 'parameters';
    for (;;) {
      const nameTok = this.expectName('a variable name');
      let sizes = arraySizes;
      if (this.isOp('[')) {
        if (newArray) this.fail("'=', ',' or ';' (array dimensions are given once, after 'array')");
        if (decls.length > 0) this.fail("'=', ',' or ';'");
        sizes = this.parseSizes('array dimensions');
      }
      let init: Expr | undefined;
      if (this.isOp('=')) {
        if (noInit) {
          throw new ParseError(
            `a variable in the '${this.block}' block cannot be given a value`,
            this.peek().span,
          );
        }
        this.next();
        init = this.parseExpr();
      }
      const end = init ? init.span : nameTok.span;
      decls.push({
        kind: 'VarDecl',
        span: spanOf(start, end),
        name: nameTok.text,
        nameSpan: nameTok.span,
        declType,
        arraySizes: sizes,
        ...(init ? { init } : {}),
      });
      if (this.isOp(',') && !(sizes !== arraySizes)) {
        this.next();
        continue;
      }
      break;
    }
    const semi = this.expectOp(';', 'ending the declaration');
    // The statement's span ends at the ';' for the last declaration.
    const lastDecl = decls[decls.length - 1] as VarDecl;
    decls[decls.length - 1] = { ...lastDecl, span: spanOf(lastDecl.span, semi.span) };
    return decls;
  }

  private parseDeclType(topLevel: boolean): DeclType {
    const t = this.peek();
    if (t.kind !== 'ident' || !TYPE_KEYWORD_SET.has(t.text)) {
      if (t.kind === 'ident' && UNSUPPORTED_TYPES.has(t.text)) {
        throw new ParseError(`type '${t.text}' is not supported`, t.span);
      }
      this.fail('a type (int, real, vector, row_vector, matrix, simplex, ...)');
    }
    this.next();
    const keyword = t.text as TypeKeyword;
    let constraint: Constraint = { kind: 'none' };
    if (this.isOp('<')) {
      if (!['int', 'real', 'vector', 'row_vector', 'matrix'].includes(keyword)) {
        throw new ParseError(`type '${keyword}' takes no '<...>' constraint`, this.peek().span);
      }
      constraint = this.parseConstraint(keyword === 'int');
      if (!topLevel) {
        throw new ParseError(
          'local variables cannot have constraints (only block-level declarations outside the model block can)',
          constraint.kind === 'none' ? t.span : constraint.span,
        );
      }
    }
    let sizes: Expr[] = [];
    switch (keyword) {
      case 'int':
      case 'real':
      case 'complex':
        break;
      case 'matrix':
        sizes = this.parseSizes('matrix sizes [rows, cols]', 2, 2);
        break;
      case 'cholesky_factor_cov':
        sizes = this.parseSizes(`${keyword} size [M] or [M, N]`, 1, 2);
        break;
      default:
        sizes = this.parseSizes(`${keyword} size [n]`, 1, 1);
    }
    return { span: spanOf(t.span, this.previousEnd()), keyword, constraint, sizes };
  }

  /** `<lower=a, upper=b>` in either order, or `<offset=o, multiplier=m>`; int takes bounds only. */
  private parseConstraint(intOnly: boolean): Constraint {
    const open = this.next();
    const seen = new Map<string, Expr>();
    for (;;) {
      const t = this.peek();
      const key = t.kind === 'ident' ? t.text : '';
      const allowed = intOnly ? ['lower', 'upper'] : ['lower', 'upper', 'offset', 'multiplier'];
      if (!allowed.includes(key))
        this.fail(intOnly ? "'lower' or 'upper'" : "'lower', 'upper', 'offset' or 'multiplier'");
      if (seen.has(key)) throw new ParseError(`'${key}' given twice`, t.span);
      const isBound = key === 'lower' || key === 'upper';
      for (const k of seen.keys()) {
        if ((k === 'lower' || k === 'upper') !== isBound) {
          throw new ParseError('bounds (lower/upper) and offset/multiplier cannot be combined', t.span);
        }
      }
      this.next();
      this.expectOp('=', `after '${key}'`);
      seen.set(key, this.parseBinary(ARITHMETIC_LEVEL));
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      if (this.isOp('>=')) {
        throw new ParseError(
          "'>=' here reads as one operator: put a space between '>' and '='",
          this.peek().span,
        );
      }
      break;
    }
    const close = this.expectOp('>', 'closing the constraint');
    const span = spanOf(open.span, close.span);
    if (seen.has('lower') || seen.has('upper')) {
      return { kind: 'bounds', span, lower: seen.get('lower'), upper: seen.get('upper') };
    }
    return { kind: 'affine', span, offset: seen.get('offset'), multiplier: seen.get('multiplier') };
  }

  /** `[e1, e2, ...]` with between `min` and `max` expressions. */
  private parseSizes(what: string, min = 1, max = Infinity): Expr[] {
    this.expectOp('[', `starting ${what}`);
    const sizes: Expr[] = [];
    for (;;) {
      sizes.push(this.parseExpr());
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      break;
    }
    if (sizes.length < min || sizes.length > max) {
      const closeOrComma = sizes.length < min ? "','" : "']'";
      this.fail(`${closeOrComma} in ${what}`);
    }
    this.expectOp(']', `closing ${what}`);
    return sizes;
  }

  // --- statements ----------------------------------------------------------------------------------------

  private parseStatementOrDecl(topLevel: boolean): Stmt[] {
    if (this.startsDecl()) return this.parseDecl(topLevel);
    return [this.parseStatement()];
  }

  private parseBraces(): Block {
    const open = this.expectOp('{');
    const body: Stmt[] = [];
    while (!this.isOp('}')) {
      if (this.peek().kind === 'eof') this.fail("'}'");
      body.push(...this.parseStatementOrDecl(false));
    }
    const close = this.next();
    return { kind: 'Block', span: spanOf(open.span, close.span), body };
  }

  private parseStatement(): Stmt {
    const t = this.peek();
    if (t.kind === 'op') {
      if (t.text === '{') return this.parseBraces();
      if (t.text === ';') {
        this.next();
        return { kind: 'Empty', span: t.span };
      }
    }
    if (t.kind === 'ident') {
      switch (t.text) {
        case 'if':
          return this.parseIf();
        case 'while': {
          this.next();
          this.expectOp('(', "after 'while'");
          const cond = this.parseExpr();
          this.expectOp(')', 'closing the while condition');
          const body = this.parseStatement();
          return { kind: 'While', span: spanOf(t.span, body.span), cond, body };
        }
        case 'for':
          return this.parseFor();
        case 'break':
        case 'continue': {
          this.next();
          const semi = this.expectOp(';', `after '${t.text}'`);
          return { kind: t.text === 'break' ? 'Break' : 'Continue', span: spanOf(t.span, semi.span) };
        }
        case 'return': {
          this.next();
          if (this.isOp(';')) return { kind: 'Return', span: spanOf(t.span, this.next().span) };
          const value = this.parseExpr();
          const semi = this.expectOp(';', 'ending the return statement');
          return { kind: 'Return', span: spanOf(t.span, semi.span), value };
        }
        case 'print':
        case 'reject':
        case 'fatal_error': {
          this.next();
          this.expectOp('(', `after '${t.text}'`);
          const args: PrintArg[] = [];
          for (;;) {
            const a = this.peek();
            if (a.kind === 'string') {
              this.next();
              args.push({ kind: 'String', span: a.span, value: a.text });
            } else {
              args.push(this.parseExpr());
            }
            if (this.isOp(',')) {
              this.next();
              continue;
            }
            break;
          }
          this.expectOp(')', `closing '${t.text}('`);
          const semi = this.expectOp(';', `after '${t.text}(...)'`);
          const kind = t.text === 'print' ? 'Print' : t.text === 'reject' ? 'Reject' : 'FatalError';
          return { kind, span: spanOf(t.span, semi.span), args };
        }
        case 'profile': {
          this.next();
          this.expectOp('(', "after 'profile'");
          const name = this.peek();
          if (name.kind !== 'string') this.fail('a string naming the profile');
          this.next();
          this.expectOp(')', 'closing the profile name');
          const block = this.parseBraces();
          return { kind: 'Profile', span: spanOf(t.span, block.span), name: name.text, body: block.body };
        }
        case 'target':
          if (this.isOp('+=', 1)) {
            this.next();
            this.next();
            const expr = this.parseExpr();
            const semi = this.expectOp(';', "ending 'target +='");
            return { kind: 'TargetPlus', span: spanOf(t.span, semi.span), expr };
          }
          break;
        case 'increment_log_prob':
          if (this.isOp('(', 1)) {
            throw new ParseError(
              "increment_log_prob(...) was removed from Stan: write 'target += ...;'",
              t.span,
            );
          }
          break;
        case 'else':
          throw new ParseError("'else' without a matching 'if'", t.span);
      }
    }
    return this.parseSimpleStatement();
  }

  private parseIf(): Stmt {
    const start = this.next();
    this.expectOp('(', "after 'if'");
    const cond = this.parseExpr();
    this.expectOp(')', 'closing the if condition');
    const then = this.parseStatement();
    if (this.isWord('else')) {
      this.next();
      const otherwise = this.parseStatement();
      return { kind: 'If', span: spanOf(start.span, otherwise.span), cond, then, else: otherwise };
    }
    return { kind: 'If', span: spanOf(start.span, then.span), cond, then };
  }

  private parseFor(): Stmt {
    const start = this.next();
    this.expectOp('(', "after 'for'");
    const nameTok = this.expectName('a loop variable name');
    this.expectWord('in', 'after the loop variable');
    const variable: LoopVar = { kind: 'LoopVar', span: nameTok.span, name: nameTok.text };
    const first = this.parseExpr();
    if (this.isOp(':')) {
      this.next();
      const upper = this.parseExpr();
      this.expectOp(')', 'closing the for loop header');
      const body = this.parseStatement();
      return { kind: 'For', span: spanOf(start.span, body.span), variable, lower: first, upper, body };
    }
    if (!this.isOp(')')) this.fail("':' or ')' in the for loop header");
    this.next();
    const body = this.parseStatement();
    return { kind: 'ForEach', span: spanOf(start.span, body.span), variable, iterable: first, body };
  }

  /** Assignment, `~`, or a call statement: all start with an expression. */
  private parseSimpleStatement(): Stmt {
    const startTok = this.peek();
    const lhs = this.parseExpr();
    const t = this.peek();
    if (t.kind === 'op' && ASSIGN_OPS.has(t.text)) {
      if (!isLValue(lhs)) {
        throw new ParseError(
          'the left of an assignment must be a variable, possibly indexed (like x or x[i, j])',
          lhs.span,
        );
      }
      this.next();
      const rhs = this.parseExpr();
      const semi = this.expectOp(';', 'ending the assignment');
      return { kind: 'Assign', span: spanOf(lhs.span, semi.span), lhs, op: t.text as AssignOp, rhs };
    }
    if (t.kind === 'op' && t.text === '<-') {
      throw new ParseError("'<-' assignment was removed from Stan: use '='", t.span);
    }
    if (t.kind === 'op' && t.text === '~') {
      this.next();
      const dist = this.peek();
      if (dist.kind !== 'ident') this.fail("a distribution name after '~'");
      this.next();
      this.expectOp('(', 'after the distribution name');
      const args = this.parseArgs();
      let truncation: { span: Span; lower?: Expr; upper?: Expr } | undefined;
      if (this.isWord('T') && this.isOp('[', 1)) {
        const tt = this.next();
        this.next();
        const lower = this.isOp(',') ? undefined : this.parseExpr();
        this.expectOp(',', 'in the truncation T[lower, upper]');
        const upper = this.isOp(']') ? undefined : this.parseExpr();
        const close = this.expectOp(']', 'closing the truncation');
        truncation = { span: spanOf(tt.span, close.span), lower, upper };
      }
      const semi = this.expectOp(';', "ending the '~' statement");
      return {
        kind: 'Tilde',
        span: spanOf(lhs.span, semi.span),
        lhs,
        distribution: dist.text,
        distSpan: dist.span,
        args,
        ...(truncation ? { truncation } : {}),
      };
    }
    if (t.kind === 'op' && t.text === ';' && lhs.kind === 'Call') {
      const semi = this.next();
      return { kind: 'CallStmt', span: spanOf(lhs.span, semi.span), call: lhs };
    }
    if (lhs.kind === 'Variable' && lhs.span === startTok.span && t.kind === 'ident') {
      // `foo x;`: a declaration with a type this front end does not know.
      throw new ParseError(`unknown type '${lhs.name}' (or a missing operator before '${t.text}')`, lhs.span);
    }
    if (lhs.kind === 'Call') this.fail("';' after the function call, an assignment or '~'");
    this.fail("an assignment operator ('=', '+=', ...), '~', or a statement");
  }

  /** Arguments after `(`, through `)`; the bar form `f(y | a, b)` is for conditional densities. */
  private parseArgs(): Expr[] {
    const args: Expr[] = [];
    if (this.isOp(')')) {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.parseExpr());
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      break;
    }
    this.expectOp(')', 'closing the argument list');
    return args;
  }

  // --- expressions ---------------------------------------------------------------------------------------

  parseExpr(): Expr {
    const cond = this.parseBinary(0);
    if (!this.isOp('?')) return cond;
    this.next();
    const then = this.parseExpr();
    this.expectOp(':', "in the conditional expression 'a ? b : c'");
    const otherwise = this.parseExpr();
    return { kind: 'Ternary', span: spanOf(cond.span, otherwise.span), cond, then, else: otherwise };
  }

  private parseBinary(level: number): Expr {
    const ops = BINARY_LEVELS[level];
    if (ops === undefined) return this.parsePrefix();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !(ops as readonly string[]).includes(t.text)) return left;
      this.next();
      const right = this.parseBinary(level + 1);
      left = { kind: 'Binary', span: spanOf(left.span, right.span), op: t.text as BinaryOp, left, right };
    }
  }

  /** Prefix `- + !`, which bind looser than `^`. */
  private parsePrefix(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '!')) {
      this.next();
      const operand = this.parsePrefix();
      return { kind: 'Unary', span: spanOf(t.span, operand.span), op: t.text, operand };
    }
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parsePostfix();
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '^' || t.text === '.^')) {
      this.next();
      const exponent = this.parsePrefix();
      return {
        kind: 'Binary',
        span: spanOf(base.span, exponent.span),
        op: t.text,
        left: base,
        right: exponent,
      };
    }
    return base;
  }

  private parsePostfix(): Expr {
    let e = this.parsePrimary();
    for (;;) {
      if (this.isOp("'")) {
        const t = this.next();
        e = { kind: 'Transpose', span: spanOf(e.span, t.span), operand: e };
      } else if (this.isOp('[')) {
        this.next();
        const indices = this.parseIndices();
        const close = this.expectOp(']', 'closing the index');
        e = { kind: 'Indexed', span: spanOf(e.span, close.span), target: e, indices };
      } else {
        return e;
      }
    }
  }

  /** Inside `[...]`: comma-separated single indices and ranges, any of them omitted (an all-range). */
  private parseIndices(): IndexItem[] {
    const items: IndexItem[] = [];
    for (;;) {
      const startSpan = this.peek().span;
      if (this.isOp(',') || this.isOp(']')) {
        items.push({ kind: 'range', span: { start: startSpan.start, end: startSpan.start } });
      } else if (this.isOp(':')) {
        const colon = this.next();
        if (this.isOp(',') || this.isOp(']')) {
          items.push({ kind: 'range', span: colon.span });
        } else {
          const upper = this.parseExpr();
          items.push({ kind: 'range', span: spanOf(colon.span, upper.span), upper });
        }
      } else {
        const lower = this.parseExpr();
        if (this.isOp(':')) {
          const colon = this.next();
          if (this.isOp(',') || this.isOp(']')) {
            items.push({ kind: 'range', span: spanOf(lower.span, colon.span), lower });
          } else {
            const upper = this.parseExpr();
            items.push({ kind: 'range', span: spanOf(lower.span, upper.span), lower, upper });
          }
        } else {
          items.push({ kind: 'single', span: lower.span, expr: lower });
        }
      }
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      return items;
    }
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    switch (t.kind) {
      case 'int':
        this.next();
        return { kind: 'IntLiteral', span: t.span, value: Number(t.text), text: t.text };
      case 'real':
        this.next();
        return { kind: 'RealLiteral', span: t.span, value: Number(t.text), text: t.text };
      case 'imag':
        this.next();
        return { kind: 'ImagLiteral', span: t.span, value: Number(t.text), text: t.text };
      case 'string':
        throw new ParseError(
          'a string literal can only be an argument of print, reject or fatal_error',
          t.span,
        );
      case 'ident': {
        if (this.isOp('(', 1)) return this.parseCall();
        if (RESERVED_WORDS.has(t.text)) this.fail('an expression');
        this.next();
        const v: Variable = { kind: 'Variable', span: t.span, name: t.text };
        return v;
      }
      case 'op':
        if (t.text === '(') {
          this.next();
          const inner = this.parseExpr();
          this.expectOp(')', 'closing the parenthesis');
          return inner;
        }
        if (t.text === '{' || t.text === '[') {
          const open = this.next();
          const close = t.text === '{' ? '}' : ']';
          const elements: Expr[] = [];
          if (!(t.text === '[' && this.isOp(']'))) {
            for (;;) {
              elements.push(this.parseExpr());
              if (this.isOp(',')) {
                this.next();
                continue;
              }
              break;
            }
          }
          const end = this.expectOp(
            close,
            `closing the ${t.text === '{' ? 'array' : 'row vector'} expression`,
          );
          const span = spanOf(open.span, end.span);
          return t.text === '{'
            ? { kind: 'ArrayLiteral', span, elements }
            : { kind: 'RowVectorLiteral', span, elements };
        }
        break;
      case 'eof':
        break;
    }
    this.fail('an expression');
  }

  private parseCall(): Call {
    const nameTok = this.next();
    if (nameTok.text === 'increment_log_prob' || nameTok.text === 'get_lp') {
      throw new ParseError(`${nameTok.text}() was removed from Stan: use target += / target()`, nameTok.span);
    }
    if (RESERVED_WORDS.has(nameTok.text) && nameTok.text !== 'target') {
      this.fail('an expression', nameTok);
    }
    this.next(); // (
    const args: Expr[] = [];
    let conditional = false;
    if (!this.isOp(')')) {
      args.push(this.parseExpr());
      if (this.isOp('|')) {
        this.next();
        conditional = true;
        if (!this.isOp(')')) args.push(this.parseExpr());
      }
      while (this.isOp(',')) {
        this.next();
        args.push(this.parseExpr());
      }
    }
    if (!this.isOp(')')) this.fail(conditional || args.length === 0 ? "',' or ')'" : "',', '|' or ')'");
    const close = this.next();
    if (nameTok.text === 'target' && args.length > 0) {
      throw new ParseError('target() takes no arguments', nameTok.span);
    }
    return {
      kind: 'Call',
      span: spanOf(nameTok.span, close.span),
      name: nameTok.text,
      nameSpan: nameTok.span,
      args,
      conditional,
    };
  }
}

function isLValue(e: Expr): e is Variable | Indexed {
  if (e.kind === 'Variable') return true;
  if (e.kind === 'Indexed') return isLValue(e.target);
  return false;
}

/** Parses a Stan program. Never throws: a syntax error comes back as the (first, only) diagnostic. */
export function parseStan(source: string): ParseResult {
  let tokens: Token[];
  try {
    tokens = lex(source);
  } catch (e) {
    if (e instanceof LexError) return { diagnostics: [diagnosticAt(e.span, e.message)] };
    throw e;
  }
  const parser = new Parser(tokens);
  try {
    const program = parser.parseProgram();
    return { program, diagnostics: [] };
  } catch (e) {
    if (e instanceof ParseError) return { diagnostics: [diagnosticAt(e.span, e.message)] };
    if (e instanceof RangeError) {
      // Stack overflow on absurdly deep nesting: report it rather than crash the caller.
      const last = tokens[tokens.length - 1] as Token;
      return { diagnostics: [diagnosticAt(last.span, 'the program nests too deeply to parse')] };
    }
    throw e;
  }
}
