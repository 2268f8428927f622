/**
 * Locals the WGSL need not store (codegen.ts): their reads are rewritten as the expression that defines them, so
 * no array of Duals (16 (DV + 1) bytes per element, against WGSL's 64 KiB per variable) is ever declared.
 *
 * - A plain copy of z (an unconstrained parameter): its one assignment is `l[i] = z[c + i]`, c free of loop
 *   variables; a read of l[j] reads z[c + j].
 * - A local computed element by element from values that never change (z, such copies, data, constants, other
 *   such locals, and stored locals already final where it is assigned): its one assignment is `l[i - 1] = f(i)` directly in the body of `for (i ...)`, f reading no loop
 *   variable but i (and its own reductions'); a read of l[j] evaluates f(j + 1). Stan's `mu[n] = alpha[g[n]] +
 *   beta * x[n]` is one. The value is recomputed at each read: cheap for a linear predictor read once.
 * - A scalar assigned once, outside any loop or branch, from such values in a few operations (`cheap`): a bounded
 *   parameter (`lb + (ub - lb) * inv_logit(z[k])`). Stored, it is a Dual with all D derivatives, and each read in
 *   a loop over the data adds D of them into the target's (GLMM_Poisson, D = 45: a shader SwiftShader took 84 s
 *   to compile); recomputed, its derivative goes to its one z.
 */
import { c, call, type Expr, type Program, type Stmt } from './ir';

/** Local id -> the expression a read at `index` (0-based flat, an int Expr) stands for. */
export type Unstored = ReadonlyMap<number, (index: Expr) => Expr>;

interface Assignment {
  readonly stmt: Extract<Stmt, { k: 'assign' }>;
  /** The loop whose body holds the assignment directly, if any. */
  readonly loop?: Extract<Stmt, { k: 'for' }>;
  /** Loops around it (for and while). */
  readonly depth: number;
  /** Its place in program order (constrain, model, generated quantities). */
  readonly seq: number;
  /** Inside an if or else branch: it may not run, so a read cannot stand for it. */
  readonly conditional: boolean;
}

export function unstoredLocals(program: Program): Unstored {
  const assigns = new Map<number, Assignment[]>();
  let seq = 0;
  const walk = (
    list: readonly Stmt[],
    depth: number,
    loop?: Extract<Stmt, { k: 'for' }>,
    conditional = false,
  ): void => {
    for (const s of list) {
      if (s.k === 'assign') {
        const a: Assignment = { stmt: s, loop, depth, seq: seq++, conditional };
        assigns.set(s.local, [...(assigns.get(s.local) ?? []), a]);
      } else if (s.k === 'for') walk(s.body, depth + 1, s, conditional);
      else if (s.k === 'while') walk(s.body, depth + 1, undefined, conditional);
      else if (s.k === 'if') {
        walk(s.then, depth, loop, true);
        walk(s.else, depth, loop, true);
      }
    }
  };
  walk(program.constrain, 0);
  walk(program.model, 0);
  walk(program.generated, 0);

  const out = new Map<number, (index: Expr) => Expr>();
  const single = (id: number): Assignment | undefined => {
    const list = assigns.get(id);
    return list?.length === 1 ? list[0] : undefined;
  };
  const elementwise = (a: Assignment): a is Assignment & { loop: Extract<Stmt, { k: 'for' }> } =>
    a.loop !== undefined &&
    !a.conditional &&
    same(a.stmt.index, call('sub', [{ k: 'loop', id: a.loop.id, t: 'int' }, c(1, 'int')], 'int'));
  /**
   * A stored local whose value is final once its one assignment has run: outside any loop, or element i of a
   * vector assigned once in a loop over i (Stan's vector assignments). A recomputed local may read it when that
   * assignment comes first in the program.
   */
  const settledBefore = (seq: number) => (id: number) => {
    const a = single(id);
    return (
      a !== undefined &&
      a.seq < seq &&
      ((a.depth === 0 && !a.conditional) || (a.depth === 1 && elementwise(a)))
    );
  };
  for (const [id] of assigns) {
    const a = single(id);
    if (!a || a.stmt.value.k !== 'z') continue;
    const zi = a.stmt.value.index;
    if (zi.k !== 'call' || zi.fn !== 'add') continue;
    const [offset, flat] = zi.args as [Expr, Expr];
    if (same(flat, a.stmt.index) && loopFree(offset))
      out.set(id, (index) => ({ k: 'z', index: call('add', [offset, index], 'int'), t: 'real' }));
  }
  // Recomputed locals may read earlier ones: accept them in rounds until none is added.
  for (let added = true; added;) {
    added = false;
    for (const [id] of assigns) {
      const a = single(id);
      const local = program.locals[id];
      if (out.has(id) || !a || !local) continue;
      const readable = (l: number) => out.has(l) || settledBefore(a.seq)(l);
      if (local.dims.length === 0 && a.depth === 0 && !a.conditional) {
        if (!cheap(a.stmt.value) || !immutable(a.stmt.value, new Set(), readable)) continue;
        const value = a.stmt.value;
        out.set(id, () => value);
        added = true;
        continue;
      }
      if (!elementwise(a) || local.dims.length !== 1) continue;
      const i = a.loop.id;
      if (!immutable(a.stmt.value, new Set([i]), readable)) continue;
      const value = a.stmt.value;
      out.set(id, (index) => substituteLoop(value, i, call('add', [index, c(1, 'int')], 'int')));
      added = true;
    }
  }
  return out;
}

/**
 * Few enough operations to repeat at every read, and no reduction: a bounded parameter's transform
 * (`lb + (ub - lb) * inv_logit(z[k])`, 8 nodes) or `exp(log_sigma)`, not a sum over the data.
 */
const CHEAP_NODES = 24;
function cheap(e: Expr): boolean {
  let nodes = 0;
  const count = (x: Expr): boolean => {
    if (++nodes > CHEAP_NODES) return false;
    switch (x.k) {
      case 'reduce':
        return false;
      case 'host':
      case 'local':
      case 'z':
        return count(x.index);
      case 'call':
        return x.args.every(count);
      case 'select':
        return count(x.cond) && count(x.a) && count(x.b);
      default:
        return true;
    }
  };
  return count(e);
}

/** Whether e reads only values that never change: loop variables in `bound`, data, z and `readable` locals. */
function immutable(e: Expr, bound: ReadonlySet<number>, readable: (local: number) => boolean): boolean {
  switch (e.k) {
    case 'const':
    case 'size':
      return true;
    case 'loop':
      return bound.has(e.id);
    case 'host':
    case 'z':
      return immutable(e.index, bound, readable);
    case 'local':
      return readable(e.id) && immutable(e.index, bound, readable);
    case 'call':
      // A draw is not a value: each evaluation advances the stream.
      return !e.fn.endsWith('_rng') && e.args.every((a) => immutable(a, bound, readable));
    case 'select':
      return [e.cond, e.a, e.b].every((a) => immutable(a, bound, readable));
    case 'reduce':
      return immutable(e.count, bound, readable) && immutable(e.body, new Set([...bound, e.id]), readable);
  }
}

function substituteLoop(e: Expr, id: number, by: Expr): Expr {
  const sub = (x: Expr): Expr => substituteLoop(x, id, by);
  switch (e.k) {
    case 'loop':
      return e.id === id ? by : e;
    case 'host':
    case 'local':
    case 'z':
      return { ...e, index: sub(e.index) };
    case 'call':
      return { ...e, args: e.args.map(sub) };
    case 'select':
      return { ...e, cond: sub(e.cond), a: sub(e.a), b: sub(e.b) };
    case 'reduce':
      return { ...e, count: sub(e.count), body: sub(e.body) };
    default:
      return e;
  }
}

function same(a: Expr, b: Expr): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Reads sizes and constants only: the same value everywhere in the program. */
function loopFree(e: Expr): boolean {
  if (e.k === 'const' || e.k === 'size') return true;
  return e.k === 'call' && e.args.every(loopFree);
}
