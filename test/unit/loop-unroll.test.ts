import { describe, expect, it } from 'vitest';
import { loopingFunctions, unrollConstantLoops, UNROLL_MAX_COUNT } from '../../src/gpu/loop-unroll';
import { composeWgsl, zeroInitialise } from '../../src/gpu/wgsl';

const lines = (text: string) => text.split('\n');

describe('unrollConstantLoops (CPU adapters)', () => {
  it('unrolls a loop over a constant into const-indexed blocks, keeping the line count', () => {
    const source = lines(`fn f() {
  for (var b = 0u; b < DV; b = b + 1u) {
    x[b] = y[b]; // copy
  }
  tail();
}`);
    const out = unrollConstantLoops(source, { DV: 3 });
    expect(out).toHaveLength(source.length);
    expect(out[1]).toBe(
      '  { const b = 0u; x[b] = y[b]; } { const b = 1u; x[b] = y[b]; } { const b = 2u; x[b] = y[b]; }',
    );
    expect(out[2]).toBe('');
    expect(out[3]).toBe('');
    expect(out[4]).toBe('  tail();');
  });

  it('unrolls nested loops (inner first), i++ and += 1u forms, and literal bounds', () => {
    const source = lines(`for (var p = 0u; p < 2u; p++) {
  for (var b = 0u; b < B; b += 1u) { s = s + a[p][b]; }
}`);
    const code = unrollConstantLoops(source, { B: 2 }).join('\n');
    for (const [p, b] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]) {
      expect(code).toMatch(new RegExp(`const p = ${p}u;.*const b = ${b}u; s = s \\+ a\\[p\\]\\[b\\];`));
    }
    expect(code).not.toContain('for (');
  });

  it('keeps loops it must not unroll: unknown or runtime bounds, break/continue, writes to the counter, too many', () => {
    const kept = [
      'for (var i = 0u; i < n; i = i + 1u) { s = s + 1.0; }',
      'for (var i = 0u; i < K; i = i + 1u) { if (s > 1.0) { break; } }',
      'for (var i = 0u; i < K; i = i + 1u) { if (s > 1.0) { continue; } }',
      'for (var i = 0u; i < K; i = i + 1u) { i = i + 1u; }',
      `for (var i = 0u; i < ${UNROLL_MAX_COUNT + 1}u; i = i + 1u) { s = s + 1.0; }`,
      'for (var i = 0u; i < K; i = i + 2u) { s = s + 1.0; }',
      `for (var i: i32 = 1; i <= ${UNROLL_MAX_COUNT + 1}; i = i + 1) { s = s + 1.0; }`,
    ];
    for (const loop of kept) {
      expect(unrollConstantLoops([loop], { K: 4 })).toEqual([loop]);
    }
  });

  it("unrolls the Stan back end's loops: an i32 counter from 1 while <= N, and other literal starts", () => {
    const stan = unrollConstantLoops(
      ['for (var lv_3: i32 = 1; lv_3 <= K; lv_3 = lv_3 + 1) { s += x[lv_3]; }'],
      {
        K: { type: 'i32', value: 3 },
      },
    );
    expect(stan).toEqual([
      '{ const lv_3 = 1i; s += x[lv_3]; } { const lv_3 = 2i; s += x[lv_3]; } { const lv_3 = 3i; s += x[lv_3]; }',
    ]);
    expect(unrollConstantLoops(['for (var i = 2u; i < K; i++) { f(i); }'], { K: 4 })).toEqual([
      '{ const i = 2u; f(i); } { const i = 3u; f(i); }',
    ]);
    // A loop that never runs (N = 0 with <=, from 1) leaves nothing.
    expect(unrollConstantLoops(['for (var i: i32 = 1; i <= K; i = i + 1) { f(i); }'], { K: 0 })).toEqual([
      '',
    ]);
  });

  it('keeps a Stan loop (i32 counter) that calls a function keeping a loop, also through a caller', () => {
    const looping = loopingFunctions(
      lines(`fn series(x: f32) -> f32 {
  var s = 0.0;
  for (var m = 1; m <= 200; m = m + 1) { s = s + x / f32(m); }
  return s;
}
fn wrapped(x: f32) -> f32 { return series(x) + 1.0; }
fn flat(x: f32) -> f32 { return x * 2.0; }`),
      new Set(),
    );
    expect([...looping].sort()).toEqual(['series', 'wrapped']);
    const loop = 'for (var lv_1: i32 = 1; lv_1 <= K; lv_1 = lv_1 + 1) { s += wrapped(x[lv_1]); }';
    expect(unrollConstantLoops([loop], { K: 2 }, looping)).toEqual([loop]);
    const light = 'for (var lv_1: i32 = 1; lv_1 <= K; lv_1 = lv_1 + 1) { s += flat(x[lv_1]); }';
    expect(unrollConstantLoops([light], { K: 2 }, looping)[0]).toContain('const lv_1 = 2i;');
    // The engine's u32 loops keep copying such calls (the workgroup reductions loop).
    expect(
      unrollConstantLoops(['for (var j = 0u; j < K; j++) { t += wrapped(j); }'], { K: 2 }, looping)[0],
    ).toContain('const j = 1u;');
  });

  it("honours a loop's own cap (// @unroll-at-most(N) on the line above): kept above N, unrolled at or below", () => {
    const source = [
      '// @unroll-at-most(1)',
      'for (var p = 0u; p < B; p = p + 1u) {',
      '  s = s + x[p];',
      '}',
      'for (var q = 0u; q < B; q++) { s = s + y[q]; }',
    ];
    const batched = unrollConstantLoops(source, { B: 16 });
    expect(batched.slice(0, 4)).toEqual(source.slice(0, 4));
    expect(batched[4]).toContain('const q = 15u');
    const single = unrollConstantLoops(source, { B: 1 }).join('\n');
    expect(single).toContain('{ const p = 0u; s = s + x[p]; }');
    expect(single).not.toContain('for (var p');
  });

  it('is used by composeWgsl only when asked, and leaves lines outside loops untouched', () => {
    const library = {
      main: '// requires: none\nfn g() -> f32 {\n  var s = 0.0; // sum\n  for (var i = 0u; i < N; i = i + 1u) {\n    s = s + f32(i);\n  }\n  return s;\n}',
      none: '',
    };
    const plain = composeWgsl(library, { modules: ['main'], constants: { N: 2 } });
    const unrolled = composeWgsl(library, { modules: ['main'], constants: { N: 2 }, unrollLoops: true });
    expect(plain.code).toContain('for (var i');
    expect(unrolled.code).not.toContain('for (var i');
    expect(unrolled.code).toContain('var s = 0.0; // sum');
    expect(unrolled.code.split('\n')).toHaveLength(plain.code.split('\n').length);
    expect(unrolled.code).toContain('{ const i = 0u; s = s + f32(i); } { const i = 1u; s = s + f32(i); }');
  });

  it('gives the same answer on repeated calls (no state carried between modules)', () => {
    const a = lines('x;\nx;\nfor (var j = 0u; j < 2u; j++) { y[j] = 1.0; }');
    const b = lines('for (var j = 0u; j < 2u; j++) { y[j] = 1.0; }');
    unrollConstantLoops(a, {});
    expect(unrollConstantLoops(b, {})[0]).toContain('const j = 1u');
    expect(unrollConstantLoops(a, {})[2]).toContain('const j = 1u');
  });
});

describe('zeroInitialise', () => {
  it('gives every uninitialised function-scope var its zero value explicitly', () => {
    expect(zeroInitialise('  var acc: array<vec4<f32>, DV>;')).toBe('  var acc = array<vec4<f32>, DV>();');
    expect(zeroInitialise('  var s: SumPair; // total')).toBe('  var s = SumPair(); // total');
    expect(zeroInitialise('{ var a: f32; var b: vec2<f32>; }')).toBe(
      '{ var a = f32(); var b = vec2<f32>(); }',
    );
    for (const kept of [
      'var<private> mu: array<vec4<f32>, DV>;',
      '  var x = 1.0;',
      '  var y: f32 = 2.0;',
      'let v: f32 = 1.0;',
    ]) {
      expect(zeroInitialise(kept)).toBe(kept);
    }
  });
});
