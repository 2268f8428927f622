/**
 * WGSL from the IR (ir.ts): the model contract of src/models/types.ts (model_log_joint with its gradient,
 * model_constrain). Derivatives are mixed-mode: each statement's expression runs in reverse mode (scalar values
 * forward, then adjoints back to its leaves: z, or stored locals that carry shaders/stan/runtime.wgsl's Dual, value
 * + tangent over z), so tangents are paid per leaf read, not per operation; stored locals, loops that carry state
 * and max/min/prod reductions stay in forward mode. Locals unstored.ts finds are never stored. The WGSL
 * does not depend on the data: sizes, local lengths and the data's offsets come in as constants from prepare
 * (STAN_SZ_<size id>: i32, STAN_LN_<local id>: u32 (at least 1), STAN_HO_<host id>: u32), the data as two
 * storage buffers (binding 0 the reals as f32, binding 1 the ints as i32).
 */
import { SOURCE_MARK } from '../gpu/wgsl';
import type { Expr, Program, Stmt } from './ir';
import { PRIMS } from './prims';
import { unstoredLocals, type Unstored } from './unstored';

interface Emitted {
  /** A WGSL expression: a Dual (active) or an f32 / i32 value. */
  readonly code: string;
  readonly active: boolean;
  readonly t: 'int' | 'real';
}

/**
 * An active real expression evaluated in scalars (reverse mode): `code` is its f32 value; `back` emits the code that
 * sends an adjoint (a WGSL f32 expression) from it to the leaves, adding into the accumulator Dual's tangent. It must
 * be emitted in the scope of the forward code (it reads the forward's let-bound values).
 */
interface Reverse {
  readonly code: string;
  readonly back?: (adj: string, out: string[]) => void;
}

const LANES = ['x', 'y', 'z', 'w'] as const;
const CMP: Readonly<Record<string, string>> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==', ne: '!=' };
const INT_BIN: Readonly<Record<string, string>> = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' };
const REAL_BIN: Readonly<Record<string, string>> = { add: '+', sub: '-', mul: '*', div: '/' };

/** Code that makes a draw: it advances the stream, so it runs exactly when Stan's would (never speculatively). */
const DRAW = /_rng\(/;

/** WGSL's predeclared names that a prefix-and-counter temporary could spell (a, acc, i, k, p, r, s, t). */
const WGSL_PREDECLARED: ReadonlySet<string> = new Set(['i32', 'u32', 'f32', 'f16']);

class Emitter {
  private tmp = 0;
  /** Locals never stored: their reads are rewritten (unstored.ts). */
  readonly unstored: Unstored;
  constructor(
    readonly program: Program,
    /** The Stan file's name, for the source marks (`// @source model.stan:14`). */
    readonly sourceFile: string,
  ) {
    this.unstored = unstoredLocals(program);
  }

  /** A fresh WGSL name; never one of WGSL's predeclared type names (the 33rd 'i' temporary would be `i32`). */
  name(prefix: string): string {
    let name = `${prefix}${this.tmp++}`;
    while (WGSL_PREDECLARED.has(name)) name = `${prefix}${this.tmp++}`;
    return name;
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
    const def = e.k === 'local' ? this.unstored.get(e.id) : undefined;
    if (e.k === 'local' && def) return this.expr(def(e.index), out);
    // A value without derivatives: the argument in scalars (reverse mode's forward pass), its adjoint never sent.
    if (e.k === 'call' && e.fn === 'value_of')
      return { code: this.rev(e.args[0] as Expr, 'tgt', out).code, active: false, t: 'real' };
    // Compound active expressions go by reverse mode; max, min and prod reductions stay forward.
    const compound =
      e.k === 'call' || e.k === 'select' || (e.k === 'reduce' && (e.op === 'sum' || e.op === 'lse'));
    if (compound && this.active(e)) return { code: this.reverse(e, out), active: true, t: 'real' };
    return this.forward(e, out);
  }

  /** e in forward mode: a Dual (value and tangent) when active. */
  forward(e: Expr, out: string[]): Emitted {
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
        // An int scalar of the data (N, K) is a constant of the pipeline, as sizes are: loops over it have a
        // compile-time count, which the CPU adapter's unroller needs, and nothing is loaded.
        if (e.t === 'int' && this.program.hosts[e.id]?.dims.length === 0)
          return { code: `STAN_IV_${e.id}`, active: false, t: 'int' };
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
        // Two plain values (computed by `let`s only, no draw): both sides evaluated, then WGSL's select, with no
        // branch. A branch per && or ?: made SwiftShader's compile time grow much faster than the code
        // (shaders/math/special.wgsl); evaluating both sides is safe, WGSL clamps an index out of range.
        const plain = (lines: readonly string[], x: Emitted) =>
          lines.every((l) => l.startsWith('let ') && !DRAW.test(l)) && !DRAW.test(x.code);
        if (!active && plain(thenOut, a) && plain(elseOut, b)) {
          out.push(...thenOut, ...elseOut, `let ${n} = select(${conv(b)}, ${conv(a)}, ${cond.code} != 0);`);
          return { code: n, active, t: e.t };
        }
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

  /** Whether e carries derivatives, as `expr` decides it (ints and draws never do). */
  active(e: Expr): boolean {
    if (e.t === 'int') return false;
    switch (e.k) {
      case 'z':
        return true;
      case 'local':
        return this.program.locals[e.id]?.active ?? false;
      case 'call':
        return !e.fn.endsWith('_rng') && e.fn !== 'value_of' && e.args.some((a) => this.active(a));
      case 'select':
        return this.active(e.a) || this.active(e.b);
      case 'reduce':
        return this.active(e.body);
      default:
        return false;
    }
  }

  /**
   * An active expression in reverse mode, into a fresh Dual: its value in scalars, then its adjoint (1) sent back
   * to the leaves, each adding adjoint × its tangent. Forward mode pays DV lanes at every operation; this pays them
   * once per leaf read (and not at all for a plain copy of z), so a likelihood's terms cost scalars.
   */
  reverse(e: Expr, out: string[]): string {
    const r = this.name('r');
    out.push(`var ${r}: Dual = stan_dual_const(0.0);`);
    const v = this.seeded(e, r, '1.0', out);
    out.push(`${r}.v = ${v};`);
    return r;
  }

  /**
   * e's f32 value, its adjoint `adj` (a WGSL name or literal, known before e runs) added into acc's tangent. Sums
   * and selects pass a known adjoint straight to their terms, so they run in one pass.
   */
  seeded(e: Expr, acc: string, adj: string, out: string[]): string {
    if (!this.active(e)) return this.real(this.expr(e, out));
    if (e.k === 'reduce' && e.op === 'sum') {
      const count = this.expr(e.count, out);
      const v = this.name('r');
      const i = `lv_${e.id}`;
      out.push(`var ${v}: f32 = 0.0;`, `for (var ${i}: i32 = 1; ${i} <= ${count.code}; ${i} = ${i} + 1) {`);
      const x = this.seeded(e.body, acc, adj, out);
      out.push(`${v} = ${v} + ${x};`, '}');
      return v;
    }
    if (e.k === 'select') {
      const cond = this.expr(e.cond, out);
      const v = this.name('s');
      out.push(`var ${v}: f32;`, `if (${cond.code} != 0) {`);
      const a = this.seeded(e.a, acc, adj, out);
      out.push(`${v} = ${a};`, '} else {');
      const b = this.seeded(e.b, acc, adj, out);
      out.push(`${v} = ${b};`, '}');
      return v;
    }
    const r = this.rev(e, acc, out);
    r.back?.(adj, out);
    return r.code;
  }

  /** e in scalars (reverse mode): its value now, and `back` to send it an adjoint once that is known. */
  rev(e: Expr, acc: string, out: string[]): Reverse {
    const def = e.k === 'local' ? this.unstored.get(e.id) : undefined;
    if (e.k === 'local' && def) return this.rev(def(e.index), acc, out);
    if (!this.active(e)) return { code: this.real(this.expr(e, out)) };
    const bind = (adj: string, o: string[]) => {
      const a = this.name('a');
      o.push(`let ${a} = ${adj};`);
      return a;
    };
    switch (e.k) {
      case 'z': {
        const k = this.name('k');
        out.push(`let ${k} = ${this.index(e.index, out)};`);
        return {
          code: `(*z)[${k} / 4u][${k} % 4u]`,
          back: (adj, o) => o.push(`${acc}.d[${k} / 4u][${k} % 4u] += ${adj};`),
        };
      }
      case 'local': {
        const i = this.name('i');
        out.push(`let ${i} = ${this.index(e.index, out)};`);
        const dual = `l${e.id}[${i}]`;
        return { code: `${dual}.v`, back: (adj, o) => o.push(...scatter(acc, adj, dual)) };
      }
      case 'call': {
        const prim = PRIMS[e.fn];
        if (!prim) throw new Error(`codegen: no primitive ${e.fn}`);
        const args = e.args.map((a) => this.rev(a, acc, out));
        const vals = args.map((a) => a.code);
        if (prim.lpdf)
          vals.push(
            keepFlags(
              e.args.map((a) => this.active(a)),
              e.propto ?? false,
            ),
          );
        const p = this.name('p');
        out.push(`let ${p} = stan_${e.fn}(${vals.join(', ')});`);
        return {
          code: `${p}.v`,
          back: (adj, o) => {
            const a = bind(adj, o);
            args.forEach((x, k) => x.back?.(`${a} * ${p}.g.${LANES[k]}`, o));
          },
        };
      }
      case 'select': {
        const cond = this.expr(e.cond, out);
        const v = this.name('s');
        out.push(`var ${v}: f32;`, `if (${cond.code} != 0) {`);
        const a = this.rev(e.a, acc, out);
        out.push(`${v} = ${a.code};`, '} else {');
        const b = this.rev(e.b, acc, out);
        out.push(`${v} = ${b.code};`, '}');
        // The branch's values are out of scope here: the taken branch is evaluated again, adjoint known.
        return {
          code: v,
          back: (adj, o) => {
            const ad = bind(adj, o);
            o.push(`if (${cond.code} != 0) {`);
            this.seeded(e.a, acc, ad, o);
            o.push('} else {');
            this.seeded(e.b, acc, ad, o);
            o.push('}');
          },
        };
      }
      case 'reduce': {
        if (e.op !== 'sum' && e.op !== 'lse') break;
        const count = this.expr(e.count, out);
        const i = `lv_${e.id}`;
        const loop = `for (var ${i}: i32 = 1; ${i} <= ${count.code}; ${i} = ${i} + 1) {`;
        const v = this.name('r');
        out.push(`var ${v}: f32 = ${e.op === 'sum' ? '0.0' : '-math_inf()'};`, loop);
        const x = this.rev(e.body, acc, out);
        out.push(
          e.op === 'sum' ? `${v} = ${v} + ${x.code};` : `${v} = math_log_sum_exp2(${v}, ${x.code});`,
          '}',
        );
        // The terms are evaluated again on the way back (a recomputation, not a tape): term j's adjoint is adj
        // for a sum, adj × exp(x_j − lse) for a log-sum-exp.
        return {
          code: v,
          back: (adj, o) => {
            const ad = bind(adj, o);
            o.push(loop);
            if (e.op === 'sum') this.seeded(e.body, acc, ad, o);
            else {
              const term = this.rev(e.body, acc, o);
              const w = this.name('a');
              o.push(
                `let ${w} = select(0.0, ${ad} * math_exp(${term.code} - ${v}), ${term.code} > -math_inf());`,
              );
              term.back?.(w, o);
            }
            o.push('}');
          },
        };
      }
      default:
        break;
    }
    // max, min and prod: forward mode, the result a leaf.
    const d = this.forward(e, out);
    return {
      code: `${d.code}.v`,
      back: (adj, o) => o.push(...scatter(acc, adj, d.code)),
    };
  }

  call(fn: string, args: readonly Emitted[], t: 'int' | 'real', propto: boolean, out: string[]): Emitted {
    const [a, b] = args as [Emitted, Emitted];
    if (fn in CMP) {
      const real = a.t === 'real' || b.t === 'real';
      const x = real ? this.real(a) : a.code;
      const y = real ? this.real(b) : b.code;
      return { code: `select(0, 1, ${x} ${CMP[fn]} ${y})`, active: false, t: 'int' };
    }
    if (fn === 'and' || fn === 'or') {
      // `&` and `|` evaluate both sides, which is the same as Stan's short circuit for pure operands, without the
      // branch that makes SwiftShader's compile time blow up (shaders/math/special.wgsl); a draw on the right
      // must not advance the stream when the left decides, so there the short circuit stays.
      const short = DRAW.test(b.code);
      const op = fn === 'and' ? (short ? '&&' : '&') : short ? '||' : '|';
      return { code: `select(0, 1, (${a.code} != 0) ${op} (${b.code} != 0))`, active: false, t: 'int' };
    }
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
    const vals = args.map((x) => this.real(x));
    if (prim.lpdf)
      vals.push(
        keepFlags(
          args.map((x) => x.active),
          propto,
        ),
      );
    const p = this.name('p');
    out.push(`let ${p} = stan_${fn}(${vals.join(', ')});`);
    if (!active) return { code: `${p}.v`, active: false, t };
    const parts: string[] = [];
    args.forEach((x, k) => {
      if (x.active) parts.push(`${p}.g.${LANES[k]}`, x.code);
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
        // An unstored local's reads evaluate what it was assigned.
        if (this.unstored.has(s.local)) return;
        const l = this.program.locals[s.local];
        const idx = this.index(s.index, out);
        const v = this.expr(s.value, out);
        const rhs = l?.active ? this.dual(v) : l?.t === 'int' ? v.code : this.real(v);
        out.push(`l${s.local}[${idx}] = ${rhs};`);
        return;
      }
      case 'hostAssign':
      case 'allocHost':
      case 'eigenSym':
        throw new Error('codegen: transformed data runs on the host');
      case 'target': {
        // Reverse mode straight into the target: the term's adjoint is 1.
        const v = this.seeded(s.value, 'tgt', '1.0', out);
        out.push(`tgt.v = tgt.v + ${v};`);
        return;
      }
      case 'for': {
        const lo = this.expr(s.lower, out);
        const hi = this.expr(s.upper, out);
        const i = `lv_${s.id}`;
        const body: string[] = [];
        this.stmts(s.body, body);
        // A loop left empty (it only assigned unstored locals) is dropped.
        if (body.some((line) => !line.startsWith('//')))
          out.push(`for (var ${i}: i32 = ${lo.code}; ${i} <= ${hi.code}; ${i} = ${i} + 1) {`, ...body, '}');
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
      case 'line':
        out.push(`${SOURCE_MARK}${this.sourceFile}:${s.line}`);
        return;
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
      if (this.unstored.has(l.id)) continue;
      const ty = l.active ? 'Dual' : l.t === 'int' ? 'i32' : 'f32';
      out.push(`var l${l.id}: array<${ty}, STAN_LN_${l.id}>;`);
    }
  }
}

/** A density's keep flags (runtime.wgsl): bit k for an active argument k; bit 31 keeps every term (not `~`). */
function keepFlags(active: readonly boolean[], propto: boolean): string {
  let mask = 0;
  active.forEach((a, k) => {
    if (a) mask |= 1 << k;
  });
  return `${propto ? mask : (mask | 0x80000000) >>> 0}u`;
}

/** acc's tangent += adj × the tangent of `dual` (a Dual leaf of reverse mode). */
function scatter(acc: string, adj: string, dual: string): string[] {
  return ['for (var j = 0u; j < DV; j = j + 1u) {', `${acc}.d[j] += ${adj} * ${dual}.d[j];`, '}'];
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

/**
 * The WGSL of a compiled model. `title` goes into the header comment; `sourceFile` names the Stan file in the
 * comments that mark where each statement's code comes from.
 */
export function generateWgsl(program: Program, title: string, sourceFile = 'model.stan'): string {
  const em = new Emitter(program, sourceFile);
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
    const def = em.unstored.get(l.id);
    let val = l.active ? `l${l.id}[flat].v` : `f32(l${l.id}[flat])`;
    if (def) {
      // Evaluated at the flat index, through a loop variable of its own (an id no statement uses).
      const flat = program.loopCount;
      cons.push(`let lv_${flat}: i32 = i32(flat);`);
      val = em.real(em.expr(def({ k: 'loop', id: flat, t: 'int' }), cons));
    }
    cons.push('let o = base + r;', `(*out)[o / 4u][o % 4u] = ${val};`, '}', `base = base + ${count};`);
  }

  return `// ${title.replace(/\n/g, ' ')} — WGSL generated from Stan by src/stan/codegen.ts.
// requires: math/special, stan/runtime${rng ? ', stan/rng' : ''}
//
// Model contract (src/models/types.ts): model_log_joint (log density on the unconstrained space with the
// log-Jacobians of Stan's transforms; gradient in mixed mode, src/stan/codegen.ts), model_constrain
// (parameters, transformed parameters, then generated quantities, in Stan's order). Constants from prepare: STAN_SZ_* (sizes),
// STAN_LN_* (local lengths), STAN_HO_* (data offsets), STAN_IV_* (int scalars of the data). Bindings: 0 the real data (f32), 1 the int data (i32).

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
