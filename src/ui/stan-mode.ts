/**
 * A small Stan highlighting mode for CodeMirror's StreamLanguage: block names, keywords, types, comments,
 * numbers, strings, and the distribution after `~`. Token names are CodeMirror highlight tags
 * (defaultHighlightStyle colours them). Highlighting only: the compiler, not this, decides what is valid.
 */
import type { StreamParser, StringStream } from '@codemirror/language';
import { TYPE_KEYWORDS } from '../stan/ast';

const BLOCKS = new Set([
  'functions',
  'data',
  'transformed',
  'parameters',
  'model',
  'generated',
  'quantities',
]);
const KEYWORDS = new Set([
  'for',
  'in',
  'while',
  'if',
  'else',
  'return',
  'break',
  'continue',
  'target',
  'print',
  'reject',
  'fatal_error',
  'lower',
  'upper',
  'offset',
  'multiplier',
  'void',
]);
// The compiler's type keywords, and the two container words that precede one.
const TYPES = new Set<string>([...TYPE_KEYWORDS, 'array', 'tuple']);

interface StanState {
  /** Inside a block comment. */
  comment: boolean;
  /** The last token was `~`: the next name is a distribution. */
  afterTilde: boolean;
}

export const stanParser: StreamParser<StanState> = {
  name: 'stan',
  startState: () => ({ comment: false, afterTilde: false }),
  token(stream: StringStream, state: StanState): string | null {
    if (!state.comment) {
      if (stream.eatSpace()) return null;
      state.comment = !!stream.match('/*');
    }
    // A block comment, to its end or the line's, as one token.
    if (state.comment) {
      if (stream.skipTo('*/')) {
        stream.match('*/');
        state.comment = false;
      } else stream.skipToEnd();
      return 'comment';
    }
    if (stream.match('//')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match(/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?i?/)) {
      state.afterTilde = false;
      return 'number';
    }
    if (stream.match('"')) {
      if (stream.skipTo('"')) stream.next();
      else stream.skipToEnd();
      return 'string';
    }
    if (stream.match('~')) {
      state.afterTilde = true;
      return 'operator';
    }
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
    if (word && typeof word !== 'boolean') {
      const name = word[0];
      if (state.afterTilde) {
        state.afterTilde = false;
        return 'variableName.special';
      }
      if (BLOCKS.has(name) && stream.match(/^\s*(\{|parameters|data|quantities)/, false)) return 'heading';
      if (KEYWORDS.has(name)) return 'keyword';
      if (TYPES.has(name)) return 'typeName';
      return 'variableName';
    }
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
};
