import { describe, expect, it } from 'vitest';
import { ShaderCompositionError } from '../../src/gpu/errors';
import { SHADER_LIBRARY } from '../../src/gpu/shader-library';
import { composeWgsl, locateLine, moduleDependencies } from '../../src/gpu/wgsl';
import { compileStan } from '../../src/stan/compile';

const library = {
  'a/base': '// base\nfn base() -> f32 { return 1.0; }',
  'a/mid': '// requires: a/base\nenable f16;\nfn mid() -> f32 { return base(); }',
  'a/top': '// requires: a/mid, a/base\nenable f16;\nfn top() -> f32 { return mid() * f32(N); }',
  'c/one': '// requires: c/two\n',
  'c/two': '// requires: c/one\n',
};

describe('composeWgsl', () => {
  it('orders modules after their dependencies and includes each once', () => {
    const program = composeWgsl(library, { modules: ['a/top', 'a/mid'] });
    const order = program.segments.map((s) => s.module);
    expect(order).toEqual(['a/base', 'a/mid', 'a/top']);
    expect(program.code.match(/fn base\(\)/g)).toHaveLength(1);
  });

  it('hoists directives to the top once, keeping module line numbers', () => {
    const program = composeWgsl(library, { modules: ['a/top'], constants: { N: 8 } });
    const lines = program.code.split('\n');
    expect(lines[0]).toBe('enable f16;');
    expect(program.code.match(/enable f16;/g)).toHaveLength(1);
    const top = program.segments.find((s) => s.module === 'a/top');
    expect(lines[(top?.firstLine ?? 0) + 1]).toContain('fn top()');
    expect(locateLine(program, (top?.firstLine ?? 0) + 2)).toEqual({ module: 'a/top', line: 3 });
  });

  it('emits typed constants', () => {
    const code = composeWgsl(library, {
      modules: ['a/base'],
      constants: {
        N: 8,
        SCALE: 0.5,
        ON: true,
        NEG: { type: 'i32', value: -3 },
        ONE: { type: 'f32', value: 1 },
      },
    }).code;
    expect(code).toContain('const N: u32 = 8u;');
    expect(code).toContain('const SCALE: f32 = 0.5;');
    expect(code).toContain('const ON: bool = true;');
    expect(code).toContain('const NEG: i32 = -3i;');
    expect(code).toContain('const ONE: f32 = 1.0;');
  });

  it('resolves aliases for interface names', () => {
    const program = composeWgsl(
      { ...library, 'x/user': '// requires: iface\nfn user() {}' },
      { modules: ['x/user'], aliases: { iface: 'a/base' } },
    );
    expect(program.segments.map((s) => s.module)).toEqual(['a/base', 'x/user']);
  });

  it('names the unknown module and who required it', () => {
    expect(() => composeWgsl({ 'x/y': '// requires: nope' }, { modules: ['x/y'] })).toThrow(
      /unknown WGSL module "nope" \(required by x\/y\)/,
    );
  });

  it('reports dependency cycles', () => {
    expect(() => composeWgsl(library, { modules: ['c/one'] })).toThrow(ShaderCompositionError);
    expect(() => composeWgsl(library, { modules: ['c/one'] })).toThrow(/c\/one -> c\/two -> c\/one/);
  });

  it('rejects bad constants', () => {
    expect(() => composeWgsl(library, { modules: [], constants: { 'bad name': 1 } })).toThrow(/identifier/);
    expect(() => composeWgsl(library, { modules: [], constants: { X: Number.NaN } })).toThrow(/finite/);
  });

  it('parses the requires header', () => {
    expect(moduleDependencies('// x\n// requires: a/b,  c/d\nfn f() {}')).toEqual(['a/b', 'c/d']);
    expect(moduleDependencies('fn f() {}')).toEqual([]);
  });
});

describe('@unroll', () => {
  const source = [
    '// requires: a/base',
    'fn f(z: ptr<function, array<vec4<f32>, DV>>) -> f32 {',
    '  var s = 0.0;',
    '  // @unroll(j < DV)',
    '  let beta$j = (*z)[j]; s = s + beta$j.x;',
    '  // @end',
    '  return s + undefined_name;',
    '}',
  ].join('\n');

  it('repeats the body with the index and name suffixes replaced, keeping line numbers', () => {
    const program = composeWgsl({ ...library, 'u/f': source }, { modules: ['u/f'], constants: { DV: 3 } });
    expect(program.code).toContain(
      'let beta0 = (*z)[0u]; s = s + beta0.x; let beta1 = (*z)[1u]; s = s + beta1.x; let beta2 = (*z)[2u]; s = s + beta2.x;',
    );
    const segment = program.segments.find((s) => s.module === 'u/f');
    const lines = program.code.split('\n');
    expect(lines[(segment?.firstLine ?? 0) + 5]).toContain('undefined_name');
    expect(locateLine(program, (segment?.firstLine ?? 0) + 6)).toEqual({ module: 'u/f', line: 7 });
  });

  it('nests, inner block first, with ${v} suffixes inside longer names', () => {
    const nested = [
      'fn g() {',
      '  // @unroll(p < 2)',
      '  var a${p} = 0.0;',
      '  // @unroll(d < 3)',
      '  a${p} = a${p} + x${p}_${d} * f32(d);',
      '  // @end',
      '  // @end',
      '}',
    ].join('\n');
    const program = composeWgsl({ ...library, 'u/g': nested }, { modules: ['u/g'] });
    const lines = program.code.split('\n');
    expect(lines).toContain('var a0 = 0.0; var a1 = 0.0;');
    expect(lines).toContain(
      'a0 = a0 + x0_0 * f32(0u); a0 = a0 + x0_1 * f32(1u); a0 = a0 + x0_2 * f32(2u); ' +
        'a1 = a1 + x1_0 * f32(0u); a1 = a1 + x1_1 * f32(1u); a1 = a1 + x1_2 * f32(2u);',
    );
    expect(lines).toHaveLength(nested.split('\n').length);
    expect(() =>
      composeWgsl({ ...library, 'u/g': nested.replace('  // @unroll(p < 2)\n', '') }, { modules: ['u/g'] }),
    ).toThrow(/@end without @unroll/);
  });

  it('needs an integer constant bound and a closing @end', () => {
    expect(() => composeWgsl({ ...library, 'u/f': source }, { modules: ['u/f'] })).toThrow(
      /@unroll bound DV/,
    );
    const open = source.replace('  // @end\n', '');
    expect(() =>
      composeWgsl({ ...library, 'u/f': open }, { modules: ['u/f'], constants: { DV: 2 } }),
    ).toThrow(/without \/\/ @end/);
  });
});

describe('the libraries that generated models inline', () => {
  it('join conditions with & and |, never the short-circuit && and || (SwiftShader compile time)', () => {
    // A short-circuit is a branch; GLMM_Poisson's elbo_step took 168 s to compile with them, 0.7 s without.
    for (const name of ['math/special', 'stan/runtime', 'stan/rng']) {
      const code = (SHADER_LIBRARY[name] ?? '')
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('//'))
        .join('\n');
      expect(code.length, name).toBeGreaterThan(1000);
      expect(code.match(/&&|\|\|/)?.[0], name).toBeUndefined();
    }
  });

  it('Stan’s && and || and ?: of plain values compile to select, with no branch', () => {
    const compiled = compileStan(
      'data { real x; } parameters { real a; } ' +
        'model { if (a > 0 && x > 1 || a < -1) target += a; target += (a > 1 ? 2 : 3) * a; }',
    );
    if ('diagnostics' in compiled) throw new Error(compiled.diagnostics[0]?.message);
    const [logJoint = ''] = compiled.model.wgsl.split('fn model_constrain');
    // The statement's own if and the reject check; none for the conditions or the ?:.
    expect(logJoint.match(/\bif \(/g)).toHaveLength(2);
    expect(logJoint.match(/= select\(/g)).toHaveLength(3);
  });
});
