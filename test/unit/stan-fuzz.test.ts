import { describe, expect, it } from 'vitest';
import type { StanDiagnostic } from '../../src/stan/ast';
import { formatDiagnostic } from '../../src/stan/ast';
import { lex, LexError, type Token } from '../../src/stan/lexer';
import { parseStan } from '../../src/stan/parser';
import { checkStan } from '../../src/stan/typecheck';
import { posteriordbModels } from '../stan/shared';

// Mutations of real models (token deletions, duplications, swaps, replacements, truncations): parse + check
// must never throw, must finish quickly, and every rejection must carry a diagnostic at a real position.

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REPLACEMENTS = [
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ';',
  ',',
  '~',
  '=',
  '+=',
  '|',
  ':',
  '?',
  "'",
  'real',
  'int',
  'vector',
  'array',
  'for',
  'in',
  'if',
  'else',
  'target',
  'x',
  '1',
  '1.5',
  '"s"',
  '<',
  '>',
  'T',
  'lower',
  'data',
  'model',
  '/*',
  '#',
];

function mutate(source: string, tokens: readonly Token[], rand: () => number): string {
  const pick = (): Token => tokens[Math.floor(rand() * (tokens.length - 1))] as Token; // never the eof token
  const text = (t: Token): string => source.slice(t.span.start.offset, t.span.end.offset);
  const r = rand();
  const t = pick();
  const { offset: s } = t.span.start;
  const { offset: e } = t.span.end;
  if (r < 0.3) return source.slice(0, s) + source.slice(e); // delete
  if (r < 0.5) return `${source.slice(0, e)} ${text(t)}${source.slice(e)}`; // duplicate
  if (r < 0.7) {
    const u = pick();
    if (u === t) return source;
    const [a, b] = u.span.start.offset < s ? [u, t] : [t, u];
    const as = a.span.start.offset;
    const ae = a.span.end.offset;
    const bs = b.span.start.offset;
    const be = b.span.end.offset;
    return source.slice(0, as) + text(b) + source.slice(ae, bs) + text(a) + source.slice(be); // swap
  }
  if (r < 0.9) {
    const w = REPLACEMENTS[Math.floor(rand() * REPLACEMENTS.length)] as string;
    return `${source.slice(0, s)}${w}${source.slice(e)}`; // replace
  }
  return source.slice(0, Math.floor(rand() * source.length)); // truncate
}

function validPosition(source: string, d: StanDiagnostic): boolean {
  const lines = source.split(/\r\n|\r|\n/);
  const line = lines[d.line - 1];
  return line !== undefined && d.column >= 1 && d.column <= line.length + 1;
}

describe('fuzzing parse + check with mutated posteriordb models', () => {
  const models = posteriordbModels();

  it('never throws or hangs, and every rejection has a positioned diagnostic', () => {
    const rand = prng(20261201);
    const started = performance.now();
    let rejected = 0;
    let slowest = 0;
    const trials = 400;
    for (let trial = 0; trial < trials; trial++) {
      const model = models[Math.floor(rand() * models.length)];
      if (!model) throw new Error('no models');
      const tokens = lex(model.source);
      let source = model.source;
      const edits = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < edits; k++) {
        let current: Token[];
        try {
          current = lex(source);
        } catch (e) {
          if (!(e instanceof LexError)) throw e;
          break;
        }
        source = mutate(source, current.length > 1 ? current : tokens, rand);
      }
      const t0 = performance.now();
      let diagnostics: StanDiagnostic[];
      try {
        const r = parseStan(source);
        diagnostics = r.program ? checkStan(r.program).diagnostics : r.diagnostics;
        if (!r.program)
          expect(r.diagnostics.length, `no diagnostic for a failed parse of:\n${source}`).toBeGreaterThan(0);
      } catch (e) {
        throw new Error(`trial ${trial} (${model.id}) threw ${String(e)} on:\n${source}`, { cause: e });
      }
      slowest = Math.max(slowest, performance.now() - t0);
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) rejected++;
      for (const d of diagnostics) {
        expect(validPosition(source, d), `bad position in ${formatDiagnostic('m.stan', source, d)}`).toBe(
          true,
        );
        expect(d.message.length).toBeGreaterThan(0);
      }
    }
    // Most mutations must be caught; a few (swapping two names, duplicating a ';') leave valid programs.
    expect(rejected).toBeGreaterThan(trials / 2);
    expect(slowest).toBeLessThan(2000);
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it('survives pathological nesting', () => {
    const deep = `model { target += ${'('.repeat(20000)}1${')'.repeat(20000)}; }`;
    const r = parseStan(deep);
    const diagnostics = r.program ? checkStan(r.program).diagnostics : r.diagnostics;
    expect(
      r.program === undefined || diagnostics.length === 0 || diagnostics.every((d) => validPosition(deep, d)),
    ).toBe(true);
    const unclosed = `model { ${'{'.repeat(5000)} }`;
    const u = parseStan(unclosed);
    expect(u.program).toBeUndefined();
    expect(u.diagnostics[0]?.line).toBe(1);
  });
});
