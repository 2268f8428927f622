/**
 * The Stan lexer: source text -> tokens with spans (see ast.ts for positions). Words are all `ident` tokens;
 * the parser decides in context which are keywords, as Stan's `lower`, `upper`, `offset`, `multiplier`, `array`
 * and `T` are keywords in some places and names in others. Comments (`//`, `/* *\/`) are skipped; `#include`
 * and `#` comments are rejected (this front end reads one self-contained source string).
 */

import type { Position, Span } from './ast';

export type TokenKind = 'ident' | 'int' | 'real' | 'imag' | 'string' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written (for `string`, without the quotes). */
  readonly text: string;
  readonly span: Span;
}

/** A lexical error, with where it is. */
export class LexError extends Error {
  override name = 'LexError';
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

// Longest first: the lexer takes the first operator that matches at the cursor.
const OPERATORS = [
  '.*=',
  './=',
  '%/%',
  '<-',
  '.*',
  './',
  '.^',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '+=',
  '-=',
  '*=',
  '/=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '\\',
  '^',
  "'",
  '!',
  '<',
  '>',
  '=',
  '~',
  '?',
  ':',
  '|',
  ',',
  ';',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isIdentChar = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);

/** Tokens of `source`, ending with one `eof` token. Throws LexError at the first character it cannot read. */
export function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let lineStart = 0;

  const here = (): Position => ({ line, column: offset - lineStart + 1, offset });
  // Moves the cursor over source[offset, to), counting newlines.
  const advanceTo = (to: number): void => {
    while (offset < to) {
      const c = source[offset];
      offset++;
      if (c === '\n' || (c === '\r' && source[offset] !== '\n')) {
        line++;
        lineStart = offset;
      }
    }
  };
  const push = (kind: TokenKind, text: string, start: Position): void => {
    tokens.push({ kind, text, span: { start, end: here() } });
  };

  while (offset < source.length) {
    const c = source[offset];
    const next = source[offset + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      advanceTo(offset + 1);
      continue;
    }
    const start = here();
    if (c === '/' && next === '/') {
      let end = source.indexOf('\n', offset);
      if (end < 0) end = source.length;
      advanceTo(end);
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', offset + 2);
      if (end < 0) {
        throw new LexError('unterminated comment: "/*" has no closing "*/"', {
          start,
          end: { ...start, column: start.column + 2, offset: start.offset + 2 },
        });
      }
      advanceTo(end + 2);
      continue;
    }
    if (c === '#') {
      const word = /^#\s*include\b/.test(source.slice(offset, offset + 20));
      const end = { ...start, column: start.column + (word ? 8 : 1), offset: start.offset + (word ? 8 : 1) };
      throw new LexError(
        word
          ? '#include is not supported: paste the included file into the model'
          : "'#' comments are not Stan (removed in Stan 2.33): use '//'",
        { start, end },
      );
    }
    if (isIdentStart(c)) {
      let end = offset + 1;
      while (isIdentChar(source[end])) end++;
      const text = source.slice(offset, end);
      advanceTo(end);
      push('ident', text, start);
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(next))) {
      let end = offset;
      while (isDigit(source[end])) end++;
      let real = false;
      if (
        source[end] === '.' &&
        source[end + 1] !== '*' &&
        source[end + 1] !== '/' &&
        source[end + 1] !== '^'
      ) {
        real = true;
        end++;
        while (isDigit(source[end])) end++;
      }
      if (source[end] === 'e' || source[end] === 'E') {
        let e = end + 1;
        if (source[e] === '+' || source[e] === '-') e++;
        if (isDigit(source[e])) {
          real = true;
          end = e;
          while (isDigit(source[end])) end++;
        }
      }
      let kind: TokenKind = real ? 'real' : 'int';
      let text = source.slice(offset, end);
      if (source[end] === 'i' && !isIdentChar(source[end + 1])) {
        kind = 'imag';
        end++;
      }
      advanceTo(end);
      if (kind === 'imag') text = source.slice(start.offset, end - 1);
      push(kind, text, start);
      continue;
    }
    if (c === '"') {
      let end = offset + 1;
      while (end < source.length && source[end] !== '"' && source[end] !== '\n') end++;
      if (source[end] !== '"') {
        advanceTo(end);
        throw new LexError('unterminated string literal', { start, end: here() });
      }
      const text = source.slice(offset + 1, end);
      advanceTo(end + 1);
      push('string', text, start);
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, offset));
    if (op === undefined) {
      advanceTo(offset + 1);
      throw new LexError(`unexpected character ${JSON.stringify(c)}`, { start, end: here() });
    }
    advanceTo(offset + op.length);
    push('op', op, start);
  }
  const end = here();
  tokens.push({ kind: 'eof', text: '', span: { start: end, end } });
  return tokens;
}
