import { describe, expect, it } from 'vitest';
import type { Expr, IndexItem, Program, Stmt } from '../../src/stan/ast';
import { formatDiagnostic } from '../../src/stan/ast';
import { parseStan } from '../../src/stan/parser';
import { checkStan } from '../../src/stan/typecheck';
import { posteriordbModels } from '../stan/shared';

/** Models that are known not to parse or check, with why. Empty: all 113 are accepted. */
const EXPECTED_UNSUPPORTED: Readonly<Record<string, string>> = {};

/** A compact, fully parenthesised rendering of an expression, to pin the parse tree. */
function show(e: Expr): string {
  const ix = (i: IndexItem): string =>
    i.kind === 'single' ? show(i.expr) : `${i.lower ? show(i.lower) : ''}:${i.upper ? show(i.upper) : ''}`;
  switch (e.kind) {
    case 'Binary':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'Unary':
      return `(${e.op}${show(e.operand)})`;
    case 'Transpose':
      return `${show(e.operand)}'`;
    case 'Ternary':
      return `(${show(e.cond)} ? ${show(e.then)} : ${show(e.else)})`;
    case 'Indexed':
      return `${show(e.target)}[${e.indices.map(ix).join(',')}]`;
    case 'Call':
      return `${e.name}(${e.args.map(show).join(',')}${e.conditional ? ' |' : ''})`;
    case 'ArrayLiteral':
      return `{${e.elements.map(show).join(',')}}`;
    case 'RowVectorLiteral':
      return `[${e.elements.map(show).join(',')}]`;
    case 'Variable':
      return e.name;
    case 'ImagLiteral':
      return `${e.text}i`;
    default:
      return e.text;
  }
}

function parseOk(source: string): Program {
  const r = parseStan(source);
  expect(r.diagnostics).toEqual([]);
  if (!r.program) throw new Error('no program');
  return r.program;
}

function targetExpr(expr: string): string {
  const s = parseOk(`model { target += ${expr}; }`).model?.body[0] as Stmt;
  if (s.kind !== 'TargetPlus') throw new Error(s.kind);
  return show(s.expr);
}

function firstError(source: string): string {
  const r = parseStan(source);
  expect(r.program).toBeUndefined();
  const d = r.diagnostics[0];
  if (!d) throw new Error('no diagnostic');
  return formatDiagnostic('model.stan', source, d);
}

describe('parseStan on the posteriordb models', () => {
  const models = posteriordbModels();

  it('finds the 12 posteriordb and 101 posteriordb-models programs', () => {
    expect(models.filter((m) => m.id.startsWith('posteriordb/')).length).toBe(12);
    expect(models.filter((m) => m.id.startsWith('posteriordb-models/')).length).toBe(101);
  });

  it('parses and type-checks every model, but the listed unsupported ones', () => {
    const failures: Record<string, string> = {};
    for (const m of models) {
      const r = parseStan(m.source);
      const diagnostics = r.program
        ? checkStan(r.program).diagnostics.filter((d) => d.severity === 'error')
        : r.diagnostics;
      const d = diagnostics[0];
      if (d) failures[m.id] = formatDiagnostic('model.stan', m.source, d).split('\n')[0] as string;
    }
    expect(Object.keys(failures).sort()).toEqual(Object.keys(EXPECTED_UNSUPPORTED).sort());
  });

  it('spans point at the source text of each declaration', () => {
    for (const m of models) {
      const program = parseStan(m.source).program as Program;
      for (const d of program.data?.body ?? []) {
        if (d.kind !== 'VarDecl') continue;
        expect(m.source.slice(d.nameSpan.start.offset, d.nameSpan.end.offset)).toBe(d.name);
        const lines = m.source.split('\n');
        const line = lines[d.nameSpan.start.line - 1] as string;
        expect(line.slice(d.nameSpan.start.column - 1).startsWith(d.name)).toBe(true);
      }
    }
  });
});

describe('expressions', () => {
  it.each([
    ['-a^b', '(-(a ^ b))'],
    ['a^-b^c', '(a ^ (-(b ^ c)))'],
    ['a^b^c', '(a ^ (b ^ c))'],
    ['a*b+c/d', '((a * b) + (c / d))'],
    ['a - b - c', '((a - b) - c)'],
    ['a .* b * c', '((a .* b) * c)'],
    ['a * b .* c', '((a * b) .* c)'],
    ['a \\ b * c', '((a \\ b) * c)'],
    ['a * b \\ c', '(a * (b \\ c))'],
    ['2 %/% 3 * 4', '((2 %/% 3) * 4)'],
    ['a % b + c', '((a % b) + c)'],
    ["-x'", "(-x')"],
    ["x'[1]", "x'[1]"],
    ["(a + b)'", "(a + b)'"],
    ['a < b && c || !d', '(((a < b) && c) || (!d))'],
    ['a == b != c', '((a == b) != c)'],
    ['a + b < c * d', '((a + b) < (c * d))'],
    ['x ? y : z ? 1 : 2', '(x ? y : (z ? 1 : 2))'],
    ['a || b ? c : d', '((a || b) ? c : d)'],
    ['a[1:, :2, , :]', 'a[1:,:2,:,:]'],
    ['a[i][j, k:l]', 'a[i][j,k:l]'],
    ['f(y | a, b)', 'f(y,a,b |)'],
    ['f(y | )', 'f(y |)'],
    ['f()', 'f()'],
    ['{1, 2, 3}', '{1,2,3}'],
    ['[[1, 2], [3, 4]]', '[[1,2],[3,4]]'],
    ['1.*x', '(1 .* x)'],
    ['1.5e-3 + .5 + 2E4 + 3.', '(((1.5e-3 + .5) + 2E4) + 3.)'],
    ['2i * 3', '(2i * 3)'],
    ['normal_lpdf(y | mu, sigma) + 1', '(normal_lpdf(y,mu,sigma |) + 1)'],
  ])('%s', (source, tree) => {
    expect(targetExpr(source)).toBe(tree);
  });
});

describe('declarations and statements', () => {
  it('reads both array syntaxes, constraints and special types', () => {
    const p = parseOk(`
      data {
        int<lower=0> N;
        array[N] real y;
        real z[N, 2];
        vector<lower=-1, upper=1>[N] v;
        matrix<offset=1, multiplier=2>[N, 3] X;
        cholesky_factor_cov[4, 3] L;
        cov_matrix[3] S;
      }
      parameters {
        simplex[3] theta;
        real<upper=N> a, b;
        array[2] vector<lower=0>[N] w;
      }
      model { }`);
    const decls = [...(p.data?.body ?? []), ...(p.parameters?.body ?? [])];
    const summary = decls.map((d) => {
      if (d.kind !== 'VarDecl') throw new Error(d.kind);
      const c = d.declType.constraint;
      return `${d.name}:${d.declType.keyword}/${d.declType.sizes.length}/${d.arraySizes.map(show).join(',')}/${c.kind}`;
    });
    expect(summary).toEqual([
      'N:int/0//bounds',
      'y:real/0/N/none',
      'z:real/0/N,2/none',
      'v:vector/1//bounds',
      'X:matrix/2//affine',
      'L:cholesky_factor_cov/2//none',
      'S:cov_matrix/1//none',
      'theta:simplex/1//none',
      'a:real/0//bounds',
      'b:real/0//bounds',
      'w:vector/1/2/bounds',
    ]);
    const v = p.data?.body[3];
    if (v?.kind !== 'VarDecl' || v.declType.constraint.kind !== 'bounds') throw new Error('v');
    expect(show(v.declType.constraint.lower as Expr)).toBe('(-1)');
  });

  it('reads every statement form', () => {
    const p = parseOk(`
      functions {
        real f(data real x, array[] vector v);
        real f(data real x, array[] vector v) { return x; }
        void g_lp(real x) { target += x; }
      }
      parameters { real mu; }
      model {
        real acc = 0;
        acc += 1; acc -= 1; acc *= 2; acc /= 2;
        for (i in 1:3) { if (i == 2) continue; else if (i > 2) break; }
        for (x in {1.0, 2.0}) acc += x;
        while (0) { }
        mu ~ normal(0, 1) T[-1, ];
        target += acc;
        print("acc = ", acc);
        if (acc > 1e10) reject("too big: ", acc);
        profile("p") { g_lp(mu); }
        ;
      }`);
    expect(
      p.functions.map(
        (f) =>
          `${f.name}:${f.body ? 'def' : 'decl'}:${f.params.map((q) => `${q.dataOnly ? 'data ' : ''}${q.type.base}/${q.type.dims}`).join(',')}`,
      ),
    ).toEqual(['f:decl:data real/0,vector/1', 'f:def:data real/0,vector/1', 'g_lp:def:real/0']);
    expect(p.model?.body.map((s) => s.kind)).toEqual([
      'VarDecl',
      'Assign',
      'Assign',
      'Assign',
      'Assign',
      'For',
      'ForEach',
      'While',
      'Tilde',
      'TargetPlus',
      'Print',
      'If',
      'Profile',
      'Empty',
    ]);
    const tilde = p.model?.body[8];
    if (tilde?.kind !== 'Tilde') throw new Error('tilde');
    expect(tilde.truncation?.lower && show(tilde.truncation.lower)).toBe('(-1)');
    expect(tilde.truncation?.upper).toBeUndefined();
  });
});

describe('syntax errors', () => {
  it('name what was expected and found, with line:column and a caret', () => {
    expect(firstError('data {\n  int N\n}\n')).toBe(
      "model.stan:2:8: expected ';' ending the declaration, found '}'\n  int N\n       ^",
    );
    expect(firstError('parameters {\n  real<lower=0 sigma;\n}')).toBe(
      "model.stan:2:16: expected '>' closing the constraint, found 'sigma'\n  real<lower=0 sigma;\n               ^^^^^",
    );
    expect(firstError('model {\n\tx = 3 +;\n}')).toBe(
      "model.stan:2:9: expected an expression, found ';'\n\tx = 3 +;\n\t       ^",
    );
    expect(firstError('model {\n  y ~ normal(0, 1)\n}')).toBe(
      "model.stan:2:19: expected ';' ending the '~' statement, found '}'\n  y ~ normal(0, 1)\n                  ^",
    );
    expect(firstError('model { }\ndata { }')).toMatch(
      /^model\.stan:2:1: block 'data' must come before 'model'/,
    );
    expect(firstError('data { real x = 1; }')).toMatch(
      /^model\.stan:1:15: a variable in the 'data' block cannot be given a value/,
    );
    expect(firstError('model { real<lower=0> x; }')).toMatch(
      /^model\.stan:1:13: local variables cannot have constraints/,
    );
    expect(firstError('model { 1 + 2 = x; }')).toMatch(
      /^model\.stan:1:9: the left of an assignment must be a variable/,
    );
    expect(firstError('model { x <- 1; }')).toMatch(/'<-' assignment was removed/);
    expect(firstError('parameters { real for; }')).toMatch(
      /expected a variable name, found 'for', a reserved word/,
    );
    expect(firstError('parameters { real _x; }')).toMatch(
      /^model\.stan:1:19: '_x': Stan names cannot start with '_'/,
    );
    expect(firstError('parameters { real x__; }')).toMatch(/end in '__'/);
  });

  it('reject #include and # comments, and unterminated comments and strings', () => {
    expect(firstError('#include "foo.stan"\nmodel {}')).toBe(
      'model.stan:1:1: #include is not supported: paste the included file into the model\n#include "foo.stan"\n^^^^^^^^',
    );
    expect(firstError('model { # old comment\n}')).toMatch(/^model\.stan:1:9: '#' comments are not Stan/);
    expect(firstError('model { /* open')).toMatch(/^model\.stan:1:9: unterminated comment/);
    expect(firstError('model { print("open); }')).toMatch(/^model\.stan:1:15: unterminated string literal/);
  });

  it('count lines the same with CRLF line ends', () => {
    const source = 'data {\r\n  int N;\r\n}\r\nmodel {\r\n  N ~ normal(0, 1)\r\n}\r\n';
    const r = parseStan(source);
    expect(r.diagnostics[0] && formatDiagnostic('model.stan', source, r.diagnostics[0])).toBe(
      "model.stan:5:19: expected ';' ending the '~' statement, found '}'\n  N ~ normal(0, 1)\n                  ^",
    );
  });

  it('skip // and /* */ comments', () => {
    const p = parseOk('// head\ndata { /* a\n b */ int N; // tail\n}');
    const n = p.data?.body[0];
    expect(n?.kind === 'VarDecl' && n.nameSpan.start).toEqual({ line: 3, column: 11, offset: 30 });
  });
});
