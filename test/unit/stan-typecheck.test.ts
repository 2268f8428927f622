import { describe, expect, it } from 'vitest';
import type { Expr, Program, Stmt, VarDecl } from '../../src/stan/ast';
import { formatDiagnostic } from '../../src/stan/ast';
import { DISTRIBUTIONS, FUNCTIONS, parseTypeName, typeName } from '../../src/stan/builtins';
import { parseStan } from '../../src/stan/parser';
import { checkStan } from '../../src/stan/typecheck';
import { posteriordbModels } from '../stan/shared';

function check(source: string): { program: Program; errors: string[] } {
  const r = parseStan(source);
  if (!r.program) throw new Error(`parse failed: ${JSON.stringify(r.diagnostics)}`);
  const c = checkStan(r.program);
  const errors = c.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => formatDiagnostic('m.stan', source, d).split('\n')[0] as string);
  return { program: c.program, errors };
}

const ok = (source: string): Program => {
  const { program, errors } = check(source);
  expect(errors).toEqual([]);
  return program;
};

/** The type and data-only flag of `expr` in a model block over these declarations. */
function typeOf(decls: string, expr: string): string {
  const p = ok(`${decls}\nmodel { print(${expr}); }`);
  const s = p.model?.body[0] as Stmt;
  if (s.kind !== 'Print') throw new Error('shape');
  const e = s.args[0] as Expr;
  return `${e.type ? typeName(e.type) : '?'}${e.dataOnly ? ' data' : ''}`;
}

const DECLS = `data { int N; array[N] int k; vector[N] y; matrix[N, 3] X; array[N] vector[3] av; }
parameters { real mu; vector[3] b; row_vector[3] r; cov_matrix[3] S; }`;

describe('expression types and data-only flags', () => {
  it.each([
    ['N', 'int data'],
    ['N / 2', 'int data'],
    ['N * 1.5', 'real data'],
    ['y', 'vector data'],
    ['X * b', 'vector'],
    ['X[1]', 'row_vector data'],
    ['X[1, 2]', 'real data'],
    ['X[:, 2]', 'vector data'],
    ['X[2:3, 2]', 'vector data'],
    ['X[k, 1]', 'vector data'],
    ['X[k]', 'matrix data'],
    ['av[1]', 'vector data'],
    ['av[1, 2]', 'real data'],
    ['av[k, 2]', 'array[] real data'],
    ['av[:, 2]', 'array[] real data'],
    ["b'", 'row_vector'],
    ['r * b', 'real'],
    ['b * r', 'matrix'],
    ['r * S', 'row_vector'],
    ['S \\ b', 'vector'],
    ['b .* b', 'vector'],
    ['exp(y)', 'vector data'],
    ['exp(k)', 'array[] real data'],
    ['log(mu)', 'real'],
    ['pow(y, 2)', 'vector data'],
    ['mu > 0 ? y : y', 'vector'],
    ['{mu, 1}', 'array[] real'],
    ['{1, 2}', 'array[] int data'],
    ['[mu, 1]', 'row_vector'],
    ['[[1, 2], [3, 4]]', 'matrix data'],
    ['rep_vector(mu, N)', 'vector'],
    ['rep_array(1, 2, 3)', 'array[,] int data'],
    ['normal_lpdf(y | mu, 1)', 'real'],
    ['poisson_lpmf(k | 3)', 'real data'],
    ['segment(y, 1, 2)', 'vector data'],
    ['size(k)', 'int data'],
  ])('%s: %s', (expr, expected) => {
    expect(typeOf(DECLS, expr)).toBe(expected);
  });

  it('infers data-only locals as a fixed point, and taints under parameter-dependent control', () => {
    const p = ok(`data { int N; } parameters { real mu; }
      model {
        int k = 0; real a = 1; real c = 2; real d = 3;
        for (i in 1:N) { a = a + mu; k = k + 1; }
        if (mu > 0) c = 1;
        while (d > 0) { d = d - 1; }
        target += a + c + d + k;
      }`);
    const decls = (p.model?.body ?? []).filter((s): s is VarDecl => s.kind === 'VarDecl');
    expect(decls.map((d) => `${d.name}:${d.dataOnly}`)).toEqual(['k:true', 'a:false', 'c:false', 'd:true']);
    const target = p.model?.body.find((s) => s.kind === 'TargetPlus');
    expect(target?.kind === 'TargetPlus' && target.expr.dataOnly).toBe(false);
  });

  it('resolves variables to their declarations and blocks', () => {
    const p = ok(`data { int N; } transformed data { real h = N / 2.0; } parameters { real mu; }
      transformed parameters { real m2 = mu * h; } model { mu ~ normal(0, 1); }`);
    const tp = p.transformedParameters?.body[0];
    if (tp?.kind !== 'VarDecl' || tp.init?.kind !== 'Binary') throw new Error('shape');
    const [l, r] = [tp.init.left, tp.init.right];
    expect(l.kind === 'Variable' && `${l.origin}:${l.dataOnly}`).toBe('parameters:false');
    expect(r.kind === 'Variable' && `${r.origin}:${r.dataOnly}:${r.decl?.kind}`).toBe(
      'transformed data:true:VarDecl',
    );
    const tilde = p.model?.body[0];
    expect(tilde?.kind === 'Tilde' && tilde.densityName).toBe('normal_lpdf');
  });

  it('resolves user functions and user densities', () => {
    const p = ok(`functions {
        real twice(real x) { return 2 * x; }
        real twice(vector x) { return 2 * sum(x); }
        real my_lpdf(real y, real mu) { return normal_lpdf(y | mu, 1); }
      }
      parameters { real mu; }
      model { mu ~ my(twice(1.0)); target += twice([1, 2]'); }`);
    const tilde = p.model?.body[0];
    if (tilde?.kind !== 'Tilde') throw new Error('shape');
    expect(tilde.densityName).toBe('my_lpdf');
    expect(tilde.resolved?.kind).toBe('user');
    const arg = tilde.args[0];
    expect(arg?.kind === 'Call' && arg.resolved?.def?.params[0]?.type).toEqual({ base: 'real', dims: 0 });
  });
});

describe('checker errors', () => {
  it.each([
    [
      'data { int N; } parameters { real mu; } model { N = 3; }',
      "m.stan:1:49: cannot assign to 'N' here: it belongs to the 'data' block",
    ],
    ['parameters { real mu; } model { mu = 1; }', "m.stan:1:33: cannot assign to 'mu' here"],
    ['parameters { real mu; } model { target += foo(mu); }', "m.stan:1:43: unknown function 'foo'"],
    ['parameters { real mu; } model { target += nu; }', "m.stan:1:43: unknown variable 'nu'"],
    ['parameters { real mu; } model { mu ~ normall(0, 1); }', "m.stan:1:38: unknown distribution 'normall'"],
    [
      'parameters { vector[2] b; } model { real z = b * b; }',
      "m.stan:1:46: no '*' for vector * vector (use '.*' or dot_product)",
    ],
    [
      'parameters { real mu; } model { mu ~ normal(0); }',
      "m.stan:1:33: no 'normal' distribution for real ~ normal(int)",
    ],
    [
      'parameters { real mu; } model { target += normal_rng(0, 1); }',
      "m.stan:1:43: 'normal_rng': random number generators",
    ],
    [
      'parameters { real mu; } transformed parameters { real t = 1; t ~ normal(0, 1); } model { }',
      "m.stan:1:62: '~' is only allowed in the model block",
    ],
    ['functions { real f(real x) { return f(x); } } model { }', "m.stan:1:18: function 'f' is recursive"],
    [
      'functions { real f(real x) { x = 1; return x; } } model { }',
      "m.stan:1:30: cannot assign to function argument 'x'",
    ],
    [
      'functions { real f(real x) { if (x > 0) return x; } } model { }',
      "m.stan:1:18: function 'f' can end without returning a value",
    ],
    [
      'data { real x; } parameters { real mu; } model { mu ~ normal(0, 1); } generated quantities { x = 1; }',
      "m.stan:1:94: cannot assign to 'x' here",
    ],
    [
      'data { int N; } parameters { real mu; } model { for (i in 1:N) i = 2; }',
      "m.stan:1:64: cannot assign to loop variable 'i'",
    ],
    [
      'parameters { real mu; } model { real mu2; real mu2; }',
      "m.stan:1:48: 'mu2' is already declared (line 1)",
    ],
    ['parameters { real mu; } model { break; }', "m.stan:1:33: 'break' outside a loop"],
    [
      'parameters { real mu; } model { int k = 1.5; }',
      "m.stan:1:41: cannot initialise 'k' (int) with a real",
    ],
    [
      'parameters { real mu; } model { vector[2] v; v[1, 2] = 1; }',
      'm.stan:1:46: too many indices (2) for a vector',
    ],
    [
      'parameters { real mu; vector[mu > 0] b; } model { }',
      "m.stan:1:30: the sizes of 'parameters' variables must be data only",
    ],
    ['parameters { vector[2.0] b; } model { }', 'm.stan:1:21: a size must be an int, got real'],
    ['parameters { int k; } model { }', "m.stan:1:14: 'parameters' cannot hold int variables"],
    [
      'parameters { real mu; } model { target += exp(mu, mu); }',
      "m.stan:1:43: no built-in 'exp' takes (real, real)",
    ],
    [
      'parameters { real mu; } model { target += sqrt; }',
      "m.stan:1:43: 'sqrt' is a function: call it with (...)",
    ],
    [
      'functions { real f(data real x) { return x; } } parameters { real mu; } model { target += f(mu); }',
      "m.stan:1:93: argument 'x' of 'f' is declared data",
    ],
    [
      'parameters { real mu; } model { rep_vector(1, 2); }',
      "m.stan:1:33: 'rep_vector' returns vector; a function called as a statement must return void",
    ],
  ])('%s', (source, message) => {
    const { errors } = check(source);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toContain(message);
  });

  it('suggests a near name for an unknown function, distribution or variable', () => {
    expect(check('parameters { real mu; } model { target += nomral_lpdf(mu | 0, 1); }').errors[0]).toContain(
      "unknown function 'nomral_lpdf'; did you mean 'normal_lpdf'?",
    );
    expect(check('parameters { real mu; } model { mu ~ cauhcy(0, 1); }').errors[0]).toContain(
      "unknown distribution 'cauhcy'; did you mean 'cauchy'?",
    );
    expect(check('parameters { real sigma; } model { target += sigam; }').errors[0]).toContain(
      "unknown variable 'sigam'; did you mean 'sigma'?",
    );
    expect(check('parameters { real mu; } model { target += qqqqqq(mu); }').errors[0]).toMatch(/'qqqqqq'$/);
  });

  it('warns about int division, as stanc does', () => {
    const source = 'data { int N; } transformed data { real h = N / 2; real g = N / 2.0; } model { }';
    const r = parseStan(source);
    const diagnostics = checkStan(r.program as Program).diagnostics;
    expect(diagnostics.map((d) => `${d.severity}@${d.column}`)).toEqual(['warning@45']);
    expect(diagnostics[0]?.message).toMatch(/^int \/ int rounds toward zero/);
  });

  it('reports independent errors together', () => {
    const { errors } = check('parameters { real mu; } model { target += foo(mu); target += nu; mu = 1; }');
    expect(errors.length).toBe(3);
  });
});

describe('the built-in table', () => {
  it('spells every argument type it uses in a way matchesPattern reads', () => {
    const families = new Set(['any', 'ints', 'reals', 'vectors', 'fn']);
    const patterns = new Set<string>();
    for (const overloads of FUNCTIONS.values())
      for (const o of overloads) o.args.forEach((a) => patterns.add(a));
    for (const d of DISTRIBUTIONS.values()) [d.variate, ...d.params].forEach((a) => patterns.add(a));
    for (const p of patterns) if (!families.has(p)) expect(typeName(parseTypeName(p))).toBe(p);
  });
});

describe('annotations on the posteriordb models', () => {
  it('give every expression a type and a data-only flag, every call and ~ its resolution', () => {
    const missing: string[] = [];
    let expressions = 0;
    for (const m of posteriordbModels()) {
      const program = ok(m.source);
      const fnNames = new Set(program.functions.map((f) => f.name));
      const visit = (node: unknown, parent: string): void => {
        if (Array.isArray(node)) {
          node.forEach((n) => visit(n, parent));
          return;
        }
        if (typeof node !== 'object' || node === null) return;
        const n = node as Record<string, unknown> & { kind?: string };
        const where = (what: string): string => {
          const span = n.span as { start: { line: number; column: number } } | undefined;
          return `${m.id}:${span?.start.line}:${span?.start.column} ${n.kind} ${what}`;
        };
        const isExpr = [
          'IntLiteral',
          'RealLiteral',
          'ImagLiteral',
          'Variable',
          'Binary',
          'Unary',
          'Transpose',
          'Ternary',
          'Indexed',
          'Call',
          'ArrayLiteral',
          'RowVectorLiteral',
        ].includes(n.kind ?? '');
        const fnName = n.kind === 'Variable' && fnNames.has(n.name as string);
        if (isExpr && !fnName) {
          expressions++;
          if (n.type === undefined) missing.push(where('without type'));
          if (typeof n.dataOnly !== 'boolean') missing.push(where('without dataOnly'));
        }
        if (n.kind === 'Variable' && !fnName && n.decl === undefined) missing.push(where('without decl'));
        if (n.kind === 'Call' && n.resolved === undefined) missing.push(where('without resolved'));
        if (n.kind === 'Tilde' && (n.densityName === undefined || n.resolved === undefined)) {
          missing.push(where('without density'));
        }
        if (
          n.kind === 'VarDecl' &&
          (n.type === undefined || n.origin === undefined || typeof n.dataOnly !== 'boolean')
        ) {
          missing.push(where('without type/origin/dataOnly'));
        }
        for (const [k, v] of Object.entries(n)) {
          if (k === 'decl' || k === 'resolved' || k === 'type' || k.endsWith('span') || k.endsWith('Span'))
            continue;
          visit(v, n.kind ?? parent);
        }
      };
      visit(program, 'Program');
    }
    expect(missing.slice(0, 10)).toEqual([]);
    expect(expressions).toBeGreaterThan(10_000);
  });
});
