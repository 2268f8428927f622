/**
 * WGSL from the IR (ir.ts): the model contract of src/models/types.ts (model_log_joint with its gradient,
 * model_constrain), forward mode through shaders/stan/runtime.wgsl's Dual (value + tangent over z). The WGSL
 * does not depend on the data: sizes, local lengths and the data's offsets come in as constants from prepare
 * (STAN_SZ_<size id>: i32, STAN_LN_<local id>: u32 (at least 1), STAN_HO_<host id>: u32), the data as two
 * storage buffers (binding 0 the reals as f32, binding 1 the ints as i32).
 */
import type { Expr, Program, Stmt } from './ir';
import { PRIMS } from './prims';

interface Emitted {
  /** A WGSL expression: a Dual (active) or an f32 / i32 value. */
  readonly code: string;
  readonly active: boolean;
  readonly t: 'int' | 'real';
}

const CMP: Readonly<Record<string, string>> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==', ne: '!=' };
const INT_BIN: Readonly<Record<string, string>> = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' };
const REAL_BIN: Readonly<Record<string, string>> = { add: '+', sub: '-', mul: '*', div: '/' };

class Emitter {
  private tmp = 0;
  constructor(readonly program: Program) {}

  name(prefix: string): string {
    return `${prefix}${this.tmp++}`;
  }

  real(x: Emitted): string {
    if (x.active) return `${x.code}.v`;
    return x.t === 'int' ? `f32(${x.code})` : x.code;
  }

  dual(x: Emitted): string {
    return x.active ? x.code : `stan_dual_const(${this.real(x)})`;
  }

  index(e: Expr, out: string[]): string {
    const i = this.expr(e, out);
    return `u32(${i.code})`;
  }

  expr(e: Expr, out: string[]): Emitted {
    switch (e.k) {
      case 'const': {
        if (e.t === 'int') return { code: `${e.value}`, active: false, t: 'int' };
        if (e.value === Infinity) return { code: 'math_inf()', active: false, t: 'real' };
        if (e.value === -Infinity) return { code: '(-math_inf())', active: false, t: 'real' };
        if (Number.isNaN(e.value)) return { code: 'math_nan()', active: false, t: 'real' };
        return { code: f32Literal(e.value), active: false, t: 'real' };
      }
      case 'size':
        return { code: `STAN_SZ_${e.id}`, active: false, t: 'int' };
      case 'loop':
        return { code: `lv_${e.id}`, active: false, t: 'int' };
      case 'host': {
        const buf = e.t === 'int' ? 'stan_int' : 'stan_real';
        return { code: `${buf}[STAN_HO_${e.id} + ${this.index(e.index, out)}]`, active: false, t: e.t };
      }
      case 'local': {
        const l = this.program.locals[e.id];
        const code = `l${e.id}[${this.index(e.index, out)}]`;
        return { code, active: l?.active ?? false, t: e.t };
      }
      case 'z': {
        const k = this.name('k');
        out.push(`let ${k} = ${this.index(e.index, out)};`);
        const n = this.name('t');
        out.push(`let ${n} = stan_dual_z((*z)[${k} / 4u][${k} % 4u], ${k});`);
        return { code: n, active: true, t: 'real' };
      }
      case 'select': {
        const cond = this.expr(e.cond, out);
        const thenOut: string[] = [];
        const elseOut: string[] = [];
        const a = this.expr(e.a, thenOut);
        const b = this.expr(e.b, elseOut);
        const active = a.active || b.active;
        const n = this.name('s');
        const ty = active ? 'Dual' : e.t === 'int' ? 'i32' : 'f32';
        const conv = (x: Emitted) => (active ? this.dual(x) : e.t === 'int' ? x.code : this.real(x));
        out.push(`var ${n}: ${ty};`);
        out.push(
          `if (${cond.code} != 0) {`,
          ...thenOut,
          `${n} = ${conv(a)};`,
          `} else {`,
          ...elseOut,
          `${n} = ${conv(b)};`,
          `}`,
        );
        return { code: n, active, t: e.t };
      }
      case 'reduce': {
        const count = this.expr(e.count, out);
        const body: string[] = [];
        const x = this.expr(e.body, body);
        const acc = this.name('acc');
        const ty = x.active ? 'Dual' : e.t === 'int' ? 'i32' : 'f32';
        // Initialised explicitly: a declaration inside a loop must start from zero on every iteration.
        const init = e.op === 'prod' ? 1 : 0;
        const initCode = x.active ? `stan_dual_const(${init}.0)` : e.t === 'int' ? `${init}` : `${init}.0`;
        out.push(`var ${acc}: ${ty} = ${initCode};`);
        const fn = { sum: 'add', prod: 'mul', lse: 'log_sum_exp2', max: 'fmax', min: 'fmin' }[e.op];
        const accE: Emitted = { code: acc, active: x.active, t: e.t };
        const combineOut: string[] = [];
        const combined = this.call(
          e.t === 'int' && (fn === 'fmax' || fn === 'fmin') ? fn.slice(1) : fn,
          [accE, x],
          e.t,
          false,
          combineOut,
        );
        const v = x.active ? combined.code : e.t === 'int' ? combined.code : this.real(combined);
        const i = `lv_${e.id}`;
        out.push(`for (var ${i}: i32 = 1; ${i} <= ${count.code}; ${i} = ${i} + 1) {`, ...body);
        if (e.op === 'sum' || e.op === 'prod') out.push(...combineOut, `${acc} = ${v};`);
        else
          out.push(
            `if (${i} == 1) {`,
            `${acc} = ${x.active || e.t === 'int' ? x.code : this.real(x)};`,
            `} else {`,
            ...combineOut,
            `${acc} = ${v};`,
            `}`,
          );
        out.push(`}`);
        return { code: acc, active: x.active, t: e.t };
      }
      case 'call':
        return this.call(
          e.fn,
          e.args.map((a) => this.expr(a, out)),
          e.t,
          e.propto ?? false,
          out,
        );
    }
  }

  call(fn: string, args: readonly Emitted[], t: 'int' | 'real', propto: boolean, out: string[]): Emitted {
    const [a, b] = args as [Emitted, Emitted];
    if (fn in CMP) {
      const real = a.t === 'real' || b.t === 'real';
      const x = real ? this.real(a) : a.code;
      const y = real ? this.real(b) : b.code;
      return { code: `select(0, 1, ${x} ${CMP[fn]} ${y})`, active: false, t: 'int' };
    }
    if (fn === 'and' || fn === 'or')
      return {
        code: `select(0, 1, (${a.code} != 0) ${fn === 'and' ? '&&' : '||'} (${b.code} != 0))`,
        active: false,
        t: 'int',
      };
    if (fn.endsWith('_rng')) {
      // A draw (generated quantities only, so no derivatives): shaders/stan/rng.wgsl. Ints stay i32 (binomial's n).
      const vals = args.map((x) => (x.t === 'int' ? x.code : this.real(x)));
      return { code: `stan_${fn}(${vals.join(', ')})`, active: false, t };
    }
    if (fn === 'not') return { code: `select(0, 1, ${a.code} == 0)`, active: false, t: 'int' };
    if (t === 'int') {
      if (fn === 'neg') return { code: `(-${a.code})`, active: false, t };
      if (fn === 'min' || fn === 'max') return { code: `${fn}(${a.code}, ${b.code})`, active: false, t };
      const op = INT_BIN[fn];
      if (!op) throw new Error(`codegen: no int operation ${fn}`);
      return { code: `(${a.code} ${op} ${b.code})`, active: false, t };
    }
    const prim = PRIMS[fn];
    if (!prim) throw new Error(`codegen: no primitive ${fn}`);
    const active = args.some((x) => x.active);
    if (!active && !prim.lpdf) {
      if (fn in REAL_BIN)
        return { code: `(${this.real(a)} ${REAL_BIN[fn]} ${this.real(b)})`, active: false, t };
      if (fn === 'neg') return { code: `(-${this.real(a)})`, active: false, t };
    }
    let mask = 0;
    args.forEach((x, k) => {
      if (x.active) mask |= 1 << k;
    });
    const vals = args.map((x) => this.real(x));
    if (prim.lpdf) vals.push(`${propto ? mask : (mask | 0x80000000) >>> 0}u`);
    const p = this.name('p');
    out.push(`let ${p} = stan_${fn}(${vals.join(', ')});`);
    if (!active) return { code: `${p}.v`, active: false, t };
    const lanes = ['x', 'y', 'z', 'w'];
    const parts: string[] = [];
    args.forEach((x, k) => {
      if (x.active) parts.push(`${p}.g.${lanes[k]}`, x.code);
    });
    const n = this.name('t');
    out.push(`let ${n} = stan_dc${parts.length / 2}(${p}.v, ${parts.join(', ')});`);
    return { code: n, active: true, t };
  }

  stmts(list: readonly Stmt[], out: string[]): void {
    for (const s of list) this.stmt(s, out);
  }

  stmt(s: Stmt, out: string[]): void {
    switch (s.k) {
      case 'assign': {
        const l = this.program.locals[s.local];
        const idx = this.index(s.index, out);
        const v = this.expr(s.value, out);
        const rhs = l?.active ? this.dual(v) : l?.t === 'int' ? v.code : this.real(v);
        out.push(`l${s.local}[${idx}] = ${rhs};`);
        return;
      }
      case 'hostAssign':
      case 'allocHost':
        throw new Error('codegen: transformed data runs on the host');
      case 'target': {
        const v = this.expr(s.value, out);
        if (v.active) {
          const r = this.call('add', [{ code: 'tgt', active: true, t: 'real' }, v], 'real', false, out);
          out.push(`tgt = ${r.code};`);
        } else out.push(`tgt.v = tgt.v + ${this.real(v)};`);
        return;
      }
      case 'for': {
        const lo = this.expr(s.lower, out);
        const hi = this.expr(s.upper, out);
        const i = `lv_${s.id}`;
        out.push(`for (var ${i}: i32 = ${lo.code}; ${i} <= ${hi.code}; ${i} = ${i} + 1) {`);
        this.stmts(s.body, out);
        out.push('}');
        return;
      }
      case 'while': {
        out.push('loop {');
        const cond = this.expr(s.cond, out);
        out.push(`if (${cond.code} == 0) { break; }`);
        this.stmts(s.body, out);
        out.push('}');
        return;
      }
      case 'if': {
        const cond = this.expr(s.cond, out);
        out.push(`if (${cond.code} != 0) {`);
        this.stmts(s.then, out);
        out.push('} else {');
        this.stmts(s.else, out);
        out.push('}');
        return;
      }
      case 'break':
        out.push('break;');
        return;
      case 'continue':
        out.push('continue;');
        return;
      case 'reject':
        out.push('rejected = true;');
        return;
    }
  }

  locals(out: string[]): void {
    for (const l of this.program.locals) {
      const ty = l.active ? 'Dual' : l.t === 'int' ? 'i32' : 'f32';
      out.push(`var l${l.id}: array<${ty}, STAN_LN_${l.id}>;`);
    }
  }
}

function f32Literal(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return `${v}.0`;
  const s = v.toExponential(9);
  return s.includes('e') ? s.replace('e+', 'e') : s;
}

function indent(lines: readonly string[], base = 1): string {
  let depth = base;
  return lines
    .map((line) => {
      if (line.startsWith('}')) depth--;
      const s = `${'  '.repeat(Math.max(0, depth))}${line}`;
      if (line.endsWith('{')) depth++;
      return s;
    })
    .join('\n');
}

/** The WGSL of a compiled model. `title` goes into the header comment. */
export function generateWgsl(program: Program, title: string): string {
  const em = new Emitter(program);
  const body: string[] = ['var tgt: Dual;', 'var rejected = false;'];
  em.locals(body);
  em.stmts(program.constrain, body);
  em.stmts(program.model, body);
  body.push(
    'for (var j = 0u; j < DV; j = j + 1u) {',
    '(*grad)[j] = tgt.d[j];',
    '}',
    'if (rejected) {',
    'return -math_inf();',
    '}',
    'return tgt.v;',
  );

  const cons: string[] = ['var tgt: Dual;', 'var rejected = false;'];
  em.locals(cons);
  em.stmts(program.constrain, cons);
  // The generated quantities: for the reported values only, never in the log density.
  em.stmts(program.generated, cons);
  // Draws in the generated quantities (emitted as stan_<family>_rng calls) are keyed by z: shaders/stan/rng.wgsl.
  const rng = cons.some((line) => /\bstan_\w+_rng\(/.test(line));
  if (rng) cons.unshift('stan_rng_begin(z);');
  cons.push('for (var j = 0u; j < RV; j = j + 1u) {', '(*out)[j] = vec4<f32>(0.0);', '}', 'var base = 0u;');
  for (const l of program.locals) {
    if (!l.reported) continue;
    // Stan's output order: the first index varies fastest; the local is stored row-major.
    const dims = l.dims.map((id) => `u32(STAN_SZ_${id})`);
    const count = dims.length ? dims.join(' * ') : '1u';
    cons.push(`for (var r = 0u; r < ${count}; r = r + 1u) {`, 'var rest = r;', 'var flat = 0u;');
    const idx = dims.map((d, k) => {
      cons.push(`let q${k} = rest % ${d};`, `rest = rest / ${d};`);
      return `q${k}`;
    });
    idx.forEach((q, k) => cons.push(k === 0 ? `flat = ${q};` : `flat = flat * ${dims[k]} + ${q};`));
    const val = l.active ? `l${l.id}[flat].v` : `f32(l${l.id}[flat])`;
    cons.push('let o = base + r;', `(*out)[o / 4u][o % 4u] = ${val};`, '}', `base = base + ${count};`);
  }

  return `// ${title.replace(/\n/g, ' ')} — WGSL generated from Stan by src/stan/codegen.ts.
// requires: math/special, stan/runtime${rng ? ', stan/rng' : ''}
//
// Model contract (src/models/types.ts): model_log_joint (log density on the unconstrained space with the
// log-Jacobians of Stan's transforms; gradient by forward mode, shaders/stan/runtime.wgsl), model_constrain
// (parameters, transformed parameters, then generated quantities, in Stan's order). Constants from prepare: STAN_SZ_* (sizes),
// STAN_LN_* (local lengths), STAN_HO_* (data offsets). Bindings: 0 the real data (f32), 1 the int data (i32).

@group(1) @binding(0) var<storage, read> stan_real: array<f32>;
@group(1) @binding(1) var<storage, read> stan_int: array<i32>;

fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
${indent(body)}
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
${indent(cons)}
}
`;
}
