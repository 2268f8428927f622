/**
 * The float64 evaluator of the IR (ir.ts), with forward-mode derivatives: every parameter-dependent scalar
 * carries its value and its tangent with respect to z (length D). It runs the transformed data on the host
 * (prepare) and is the oracle the compiled WGSL is tested against.
 */
import { symmetricEigen } from '../math/eigen';
import { StanRng } from './rng';
import type { Expr, Program, Stmt } from './ir';
import { keepFunction, PRIMS } from './prims';

interface Val {
  v: number;
  /** d value / d z; null for a value that does not depend on z. */
  d: Float64Array | null;
}

export interface HostState {
  /** sizes[id]: the evaluated size table. */
  readonly sizes: number[];
  /** hosts[id]: the host variables' values, flat row-major. */
  readonly hosts: Float64Array[];
}

export class StanRuntimeError extends Error {
  override name = 'StanRuntimeError';
}

const INT_OPS = new Set(['add', 'sub', 'mul', 'div', 'mod', 'neg', 'min', 'max']);
const CMP_OPS = new Set(['lt', 'le', 'gt', 'ge', 'eq', 'ne', 'and', 'or', 'not']);

type Flow = 'break' | 'continue' | undefined;

class Machine {
  readonly loops: number[];
  readonly locals: Val[][];
  target: Val;
  rejected = false;
  /** Why, when a reject carried a message (the first one). */
  rejectMessage: string | undefined;
  /** The generated quantities' draws (src/stan/rng.ts), keyed by z when they start. */
  private rng: StanRng | undefined;

  constructor(
    readonly program: Program,
    readonly host: HostState,
    readonly z: Float64Array | null,
    readonly dim: number,
  ) {
    this.loops = new Array<number>(program.loopCount).fill(0);
    // Locals exist only once the data (and transformed data) fixed their sizes.
    this.locals = !z
      ? []
      : program.locals.map((l) => {
          const n = l.dims.reduce((acc, id) => acc * this.size(id), 1);
          return Array.from({ length: n }, () => ({ v: Number.NaN, d: null }));
        });
    this.target = { v: 0, d: dim > 0 ? new Float64Array(dim) : null };
  }

  int(e: Expr): number {
    const v = this.expr(e).v;
    return v;
  }

  expr(e: Expr): Val {
    switch (e.k) {
      case 'const':
        return { v: e.value, d: null };
      case 'size':
        return { v: this.size(e.id), d: null };
      case 'loop':
        return { v: this.loops[e.id] as number, d: null };
      case 'host': {
        const arr = this.host.hosts[e.id];
        const i = this.int(e.index);
        if (!arr || i < 0 || i >= arr.length)
          throw new StanRuntimeError(`index ${i + 1} out of range (host variable ${e.id})`);
        return { v: arr[i] as number, d: null };
      }
      case 'local': {
        const arr = this.locals[e.id] as Val[];
        const i = this.int(e.index);
        const name = this.program.locals[e.id]?.name ?? '?';
        if (i < 0 || i >= arr.length) throw new StanRuntimeError(`index out of range in ${name}`);
        return arr[i] as Val;
      }
      case 'z': {
        const i = this.int(e.index);
        if (!this.z) throw new StanRuntimeError('parameters are not available on the host');
        const d = new Float64Array(this.dim);
        d[i] = 1;
        return { v: this.z[i] as number, d };
      }
      case 'select':
        return this.int(e.cond) !== 0 ? this.expr(e.a) : this.expr(e.b);
      case 'reduce':
        return this.reduce(e);
      case 'call':
        return this.call(e);
    }
  }

  /** Sizes are evaluated on first use (a size may depend on transformed data computed before it). */
  size(id: number): number {
    let v = this.host.sizes[id];
    if (v === undefined) {
      const e = this.program.sizes[id];
      if (!e) throw new StanRuntimeError(`no size ${id}`);
      v = this.int(e);
      if (!Number.isInteger(v)) throw new StanRuntimeError(`a size is not an integer (${v})`);
      v = Math.max(0, v);
      this.host.sizes[id] = v;
    }
    return v;
  }

  reduce(e: Extract<Expr, { k: 'reduce' }>): Val {
    const n = this.int(e.count);
    const saved = this.loops[e.id] as number;
    let acc: Val | undefined;
    for (let i = 1; i <= n; i++) {
      this.loops[e.id] = i;
      const x = this.expr(e.body);
      if (!acc) {
        acc = x;
        continue;
      }
      const fn = { sum: 'add', prod: 'mul', lse: 'log_sum_exp2', max: 'fmax', min: 'fmin' }[e.op];
      acc = this.apply(fn, [acc, x]);
    }
    this.loops[e.id] = saved;
    if (!acc) {
      if (e.op === 'sum') return zero();
      if (e.op === 'prod') return one();
      if (e.op === 'lse') return { v: -Infinity, d: null };
      throw new StanRuntimeError(`${e.op} of an empty container`);
    }
    return acc;
  }

  call(e: Extract<Expr, { k: 'call' }>): Val {
    if (e.fn === 'value_of') return { v: this.expr(e.args[0] as Expr).v, d: null };
    const args = e.args.map((a) => this.expr(a));
    if (e.fn.endsWith('_rng')) {
      if (!this.z) throw new StanRuntimeError(`${e.fn} outside generated quantities`);
      this.rng ??= new StanRng(this.z);
      return {
        v: this.rng.draw(
          e.fn.slice(0, -'_rng'.length),
          args.map((x) => x.v),
        ),
        d: null,
      };
    }
    if (CMP_OPS.has(e.fn)) {
      const [a, b] = args.map((x) => x.v) as [number, number];
      const r = {
        lt: a < b,
        le: a <= b,
        gt: a > b,
        ge: a >= b,
        eq: a === b,
        ne: a !== b,
        and: a !== 0 && b !== 0,
        or: a !== 0 || b !== 0,
        not: a === 0,
      }[e.fn];
      return { v: r ? 1 : 0, d: null };
    }
    if (e.t === 'int' && INT_OPS.has(e.fn)) {
      const [a, b] = args.map((x) => x.v) as [number, number];
      switch (e.fn) {
        case 'add':
          return { v: a + b, d: null };
        case 'sub':
          return { v: a - b, d: null };
        case 'mul':
          return { v: a * b, d: null };
        case 'div':
          if (b === 0) throw new StanRuntimeError('integer division by zero');
          return { v: Math.trunc(a / b), d: null };
        case 'mod':
          return { v: a % b, d: null };
        case 'neg':
          return { v: -a, d: null };
        case 'min':
          return { v: Math.min(a, b), d: null };
        case 'max':
          return { v: Math.max(a, b), d: null };
      }
    }
    return this.apply(e.fn, args, e.propto ?? false);
  }

  apply(fn: string, args: readonly Val[], propto = false): Val {
    const prim = PRIMS[fn];
    if (!prim) throw new StanRuntimeError(`no primitive "${fn}"`);
    let mask = 0;
    args.forEach((a, k) => {
      if (a.d) mask |= 1 << k;
    });
    const out = prim.f64(
      args.map((a) => a.v),
      keepFunction(propto, mask),
    );
    const v = out[0] as number;
    if (mask === 0) return { v, d: null };
    const d = new Float64Array(this.dim);
    args.forEach((a, k) => {
      if (!a.d) return;
      const p = out[k + 1] as number;
      if (p === 0) return;
      for (let j = 0; j < this.dim; j++) d[j] = (d[j] as number) + p * (a.d[j] as number);
    });
    return { v, d };
  }

  run(stmts: readonly Stmt[]): Flow {
    for (const s of stmts) {
      const flow = this.stmt(s);
      if (flow) return flow;
      if (this.rejected) return undefined;
    }
    return undefined;
  }

  stmt(s: Stmt): Flow {
    switch (s.k) {
      case 'assign': {
        const arr = this.locals[s.local] as Val[];
        const i = this.int(s.index);
        if (i < 0 || i >= arr.length)
          throw new StanRuntimeError(`index out of range assigning ${this.program.locals[s.local]?.name}`);
        const v = this.expr(s.value);
        // Activeness is static, as in Stan (and the WGSL): a real local holds an autodiff value even when it
        // is assigned a constant, so `~` keeps the terms that involve it; an inactive one holds a value only.
        const local = this.program.locals[s.local];
        if (!local?.active) arr[i] = v.d ? { v: v.v, d: null } : v;
        else arr[i] = v.d ? v : { v: v.v, d: new Float64Array(this.dim) };
        return undefined;
      }
      case 'hostAssign': {
        const arr = this.host.hosts[s.host] as Float64Array;
        const i = this.int(s.index);
        if (i < 0 || i >= arr.length)
          throw new StanRuntimeError(`index out of range assigning ${this.program.hosts[s.host]?.name}`);
        arr[i] = this.expr(s.value).v;
        return undefined;
      }
      case 'target':
        this.target = this.apply('add', [this.target, this.expr(s.value)]);
        return undefined;
      case 'for': {
        const lo = this.int(s.lower);
        const hi = this.int(s.upper);
        for (let i = lo; i <= hi; i++) {
          this.loops[s.id] = i;
          const flow = this.run(s.body);
          if (flow === 'break' || this.rejected) break;
        }
        return undefined;
      }
      case 'while': {
        let guard = 0;
        while (this.int(s.cond) !== 0) {
          if (++guard > 1e7) throw new StanRuntimeError('while loop ran 10^7 times');
          const flow = this.run(s.body);
          if (flow === 'break' || this.rejected) break;
        }
        return undefined;
      }
      case 'if':
        return this.run(this.int(s.cond) !== 0 ? s.then : s.else);
      case 'line':
        return undefined;
      case 'break':
      case 'continue':
        return s.k;
      case 'reject':
        this.rejected = true;
        this.rejectMessage ??= s.message;
        return undefined;
      case 'allocHost': {
        const hv = this.program.hosts[s.host];
        if (!hv) throw new StanRuntimeError(`no host variable ${s.host}`);
        const n = hv.dims.reduce((acc, id) => acc * this.size(id), 1);
        this.host.hosts[s.host] = new Float64Array(n).fill(Number.NaN);
        return undefined;
      }
      case 'eigenSym': {
        const m = this.host.hosts[s.matrix] as Float64Array;
        const [rows, cols] = (this.program.hosts[s.matrix]?.dims ?? []).map((id) => this.size(id));
        if (rows !== cols) throw new StanRuntimeError(`eigendecomposition of a ${rows} x ${cols} matrix`);
        const n = rows ?? 0;
        // Stan's check_symmetric: |m_ij - m_ji| <= 1e-8.
        for (let i = 0; i < n; i++)
          for (let j = 0; j < i; j++)
            if (!(Math.abs((m[i * n + j] as number) - (m[j * n + i] as number)) <= 1e-8))
              throw new StanRuntimeError(
                `eigendecomposition of a matrix that is not symmetric (element ${i + 1},${j + 1})`,
              );
        const { values, vectors } = symmetricEigen(m, n);
        this.host.hosts[s.values] = values;
        this.host.hosts[s.vectors] = vectors;
        return undefined;
      }
    }
  }
}

function zero(): Val {
  return { v: 0, d: null };
}
function one(): Val {
  return { v: 1, d: null };
}

/** Evaluates the given sizes (all, by default) that are still unknown. */
export function evaluateSizes(program: Program, host: HostState, ids?: readonly number[]): void {
  const m = new Machine(program, host, null, 0);
  for (const id of ids ?? program.sizes.map((_, i) => i)) m.size(id);
}

/** Runs the transformed data statements on the host (float64). */
export function runTransformedData(program: Program, host: HostState): void {
  const m = new Machine(program, host, null, 0);
  m.run(program.transformedData);
  if (m.rejected) throw new StanRuntimeError('transformed data rejected the data');
}

export interface Evaluation {
  readonly lp: number;
  readonly grad: Float64Array;
  /** The locals' values after the parameters' block (for model_constrain's reported values). */
  readonly locals: readonly (readonly number[])[];
  /** Why the point was rejected (lp = -inf), when the reject said (an ODE solver past its step limit). */
  readonly rejected?: string;
}

/**
 * log p on the unconstrained space (with the log-Jacobians) and its gradient at z, in float64; with `generated`,
 * the generated quantities run too (after the constraining, so `locals` holds them; they never touch lp).
 */
export function evaluate(
  program: Program,
  host: HostState,
  z: Float64Array,
  options: { readonly generated?: boolean } = {},
): Evaluation {
  const m = new Machine(program, host, z, z.length);
  m.run(program.constrain);
  if (options.generated && !m.rejected) {
    const saved = m.target;
    m.run(program.generated);
    m.target = saved;
  }
  const locals = m.locals.map((arr) => arr.map((v) => v.v));
  if (!m.rejected) m.run(program.model);
  if (m.rejected) {
    const r = { lp: -Infinity, grad: new Float64Array(z.length), locals };
    return m.rejectMessage === undefined ? r : { ...r, rejected: m.rejectMessage };
  }
  return { lp: m.target.v, grad: m.target.d ?? new Float64Array(z.length), locals };
}
