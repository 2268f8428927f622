/**
 * The page's Stan editor: CodeMirror 6 with the Stan mode of stan-mode.ts and the compiler's errors as line
 * decorations.
 * It only holds and shows text; compiling it is main.ts's business.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { defaultHighlightStyle, StreamLanguage, syntaxHighlighting } from '@codemirror/language';
import { EditorState, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, keymap, lineNumbers, type DecorationSet } from '@codemirror/view';
import { stanParser } from './stan-mode';

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
