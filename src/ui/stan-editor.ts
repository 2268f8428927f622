/**
 * The page's Stan editor: CodeMirror 6 with a small stream-based Stan mode (block names, keywords, types,
 * comments, numbers, the distribution after `~`) and the compiler's errors as line decorations.
 * It only holds and shows text; compiling it is main.ts's business.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import {
  defaultHighlightStyle,
  StreamLanguage,
  syntaxHighlighting,
  type StreamParser,
  type StringStream,
} from '@codemirror/language';
import { EditorState, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, keymap, lineNumbers, type DecorationSet } from '@codemirror/view';

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
const TYPES = new Set([
  'int',
  'real',
  'complex',
  'vector',
  'row_vector',
  'matrix',
  'array',
  'simplex',
  'ordered',
  'positive_ordered',
  'unit_vector',
  'sum_to_zero_vector',
  'cholesky_factor_corr',
  'cholesky_factor_cov',
  'corr_matrix',
  'cov_matrix',
  'tuple',
]);

interface StanState {
  /** Inside a block comment. */
  comment: boolean;
  /** The last token was `~`: the next name is a distribution. */
  afterTilde: boolean;
}

const stanParser: StreamParser<StanState> = {
  name: 'stan',
  startState: () => ({ comment: false, afterTilde: false }),
  token(stream: StringStream, state: StanState): string | null {
    if (state.comment) {
      if (stream.skipTo('*/')) {
        stream.match('*/');
        state.comment = false;
      } else stream.skipToEnd();
      return 'comment';
    }
    if (stream.eatSpace()) return null;
    if (stream.match('/*')) {
      state.comment = true;
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

/** The class of a line the compiler reported an error on (the e2e tests look for it). */
export const ERROR_LINE_CLASS = 'cm-stan-error-line';

const setErrorLines = StateEffect.define<readonly number[]>();
const errorLineDecoration = Decoration.line({ class: ERROR_LINE_CLASS });

const errorLines = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decorations, tr) {
    let next = decorations.map(tr.changes);
    for (const effect of tr.effects) {
      if (!effect.is(setErrorLines)) continue;
      const builder = new RangeSetBuilder<Decoration>();
      const lines = [...new Set(effect.value)].filter((n) => n >= 1 && n <= tr.state.doc.lines);
      for (const n of lines.sort((a, b) => a - b)) {
        const line = tr.state.doc.line(n);
        builder.add(line.from, line.from, errorLineDecoration);
      }
      next = builder.finish();
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

export class StanEditor {
  private readonly view: EditorView;

  constructor(parent: HTMLElement, onChange: (text: string) => void) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: '',
        extensions: [
          lineNumbers(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          StreamLanguage.define(stanParser),
          syntaxHighlighting(defaultHighlightStyle),
          errorLines,
          EditorView.contentAttributes.of({ 'aria-label': 'Stan program' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  /** Replaces the whole program (a file or an example); the change listener fires as for typing. */
  setText(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /** Marks these 1-based lines as errors (and clears the marks on all others). */
  markErrors(lines: readonly number[]): void {
    this.view.dispatch({ effects: setErrorLines.of(lines) });
  }

  setEditable(editable: boolean): void {
    this.view.contentDOM.contentEditable = String(editable);
  }
}
