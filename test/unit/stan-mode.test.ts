/**
 * The page's Stan highlighting mode (src/ui/stan-mode.ts), run line by line as CodeMirror's StreamLanguage
 * runs it: each token's text and style, for block names, types, keywords, comments (also across lines),
 * numbers and the distribution after `~`.
 */
import { StringStream } from '@codemirror/language';
import { describe, expect, it } from 'vitest';
import { stanParser } from '../../src/ui/stan-mode';

/** [text, style] for each styled token of each line, the state carried across lines. */
function tokens(source: string): [string, string][][] {
  const state = stanParser.startState?.(2);
  if (!state) throw new Error('the mode has no start state');
  return source.split('\n').map((line) => {
    const out: [string, string][] = [];
    const stream = new StringStream(line, 2, 2);
    while (!stream.eol()) {
      const style = stanParser.token(stream, state);
      if (stream.pos === stream.start) throw new Error(`no progress at ${stream.pos} in "${line}"`);
      if (style) out.push([stream.current(), style]);
      stream.start = stream.pos;
    }
    return out;
  });
}

describe('the Stan highlighting mode', () => {
  it('styles block names, types, keywords, numbers and the distribution after ~', () => {
    const lines = tokens(
      [
        'transformed parameters {',
        '  vector<lower=0>[N] theta; // a comment',
        '}',
        'model {',
        '  for (n in 1:N) y[n] ~ normal(theta[n], 2.5e-1);',
        '  target += std_normal_lpdf(mu);',
        '}',
      ].join('\n'),
    );
    expect(lines[0]).toEqual([
      ['transformed', 'heading'],
      ['parameters', 'heading'],
    ]);
    expect(lines[1]).toEqual([
      ['vector', 'typeName'],
      ['lower', 'keyword'],
      ['0', 'number'],
      ['N', 'variableName'],
      ['theta', 'variableName'],
      ['// a comment', 'comment'],
    ]);
    expect(lines[3]).toEqual([['model', 'heading']]);
    expect(lines[4]).toEqual([
      ['for', 'keyword'],
      ['n', 'variableName'],
      ['in', 'keyword'],
      ['1', 'number'],
      ['N', 'variableName'],
      ['y', 'variableName'],
      ['n', 'variableName'],
      ['~', 'operator'],
      ['normal', 'variableName.special'],
      ['theta', 'variableName'],
      ['n', 'variableName'],
      ['2.5e-1', 'number'],
    ]);
    // A function call is not a distribution: only the name right after ~ is.
    expect(lines[5]).toEqual([
      ['target', 'keyword'],
      ['std_normal_lpdf', 'variableName'],
      ['mu', 'variableName'],
    ]);
  });

  it('carries a block comment across lines, and a name called model is not a block outside one', () => {
    const lines = tokens(['/* one', 'two */ real data_x;', 'real model_y = model;'].join('\n'));
    expect(lines[0]).toEqual([['/* one', 'comment']]);
    expect(lines[1]).toEqual([
      ['two */', 'comment'],
      ['real', 'typeName'],
      ['data_x', 'variableName'],
    ]);
    expect(lines[2]).toEqual([
      ['real', 'typeName'],
      ['model_y', 'variableName'],
      ['model', 'variableName'],
    ]);
  });
});
