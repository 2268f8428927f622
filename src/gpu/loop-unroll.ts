/**
 * Automatic unrolling of WGSL loops over a compile-time count, for CPU adapters.
 *
 * Why: SwiftShader's JIT keeps a function-scope array in memory, and an access whose index is not a
 * constant becomes a gather or scatter lane by lane. Every per-sample loop of the step kernel runs over
 * such arrays (`for (var b = 0u; b < DV; ...)` over vec4 blocks, `p < MODEL_BATCH` over a batch), so on
 * SwiftShader normal-mean spent 2.8 us of CPU per sample with the loops and 0.54 us with them unrolled by
 * hand into `const` indices (`let` indices gave 1.1 us: only a const-expression index is static there).
 * A GPU's compiler unrolls such loops itself; the engine asks for this pass only on a CPU adapter.
 *
 * What is unrolled: `for (var i = 0u; i < N; i = i + 1u) { ... }` (also `i++`, `i += 1u`; also an i32 counter,
 * another literal start, and `<=`, as the Stan back end writes `for (var lv_3: i32 = 1; lv_3 <= STAN_SZ_1; ...)`)
 * where N is a literal or one of the program's constants (at most UNROLL_MAX_COUNT copies), the body neither breaks, continues
 * nor assigns i, nor (for an i32 counter: the Stan back end's loops) calls a function that keeps a loop of its
 * own (each copy would inline that loop again:
 * Stan loops calling the incomplete beta's continued fraction took SwiftShader minutes to compile, and calls of
 * lgamma's series tripled the compile time of test/stan/dirichlet.stan), and the copies stay within the size
 * budgets (per loop and per module). Each copy is a block `{ const i = 0u; ... }`. Inner loops go first.
 * A loop may cap its own unrolling: `// @unroll-at-most(N)` on the line just above its `for` keeps it a loop
 * when its count is above N (the step kernel's loops over a model batch use it; see elbo_step.wgsl).
 * Line numbers: the copies all go on the loop's first line and the loop's other lines are left empty, so
 * every line outside unrolled loops keeps its number (compiler messages inside one point at its `for`).
 * A copy makes index expressions const-expressions, which WGSL bounds-checks at shader creation even in
 * dead branches; a caller that may meet that compiles the plain program when the unrolled one fails.
 */
import type { WgslConstant } from './wgsl';

/** Largest expansion of one loop, in characters of its copies (keeps compile time and code size sane). */
export const UNROLL_BUDGET_CHARS = 12_000;
/** Most copies of one loop. */
export const UNROLL_MAX_COUNT = 16;
/**
 * Most characters the unrolling may add to one module. Past it loops stay loops: lowrank at D = 200
 * (50 vec4 blocks) unrolled without bounds made a kernel that crashed SwiftShader's compiler.
 */
export const UNROLL_MODULE_BUDGET_CHARS = 40_000;

// for (var i[: u32 | i32] = START; i < N | i <= N; i = i + 1[u] | i += 1[u] | i++) {   (START a literal)
const LOOP_HEADER_SOURCE =
  /for\s*\(\s*var\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*(u32|i32)\s*)?=\s*(\d+)(u|i)?\s*;\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=?)\s*([A-Za-z_][A-Za-z0-9_]*|\d+[ui]?)\s*;\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*([A-Za-z_][A-Za-z0-9_]*)\s*\+\s*1[ui]?|\+=\s*1[ui]?|\+\+)\s*\)\s*\{/
    .source;

function constantCount(bound: string, constants: Readonly<Record<string, WgslConstant>>): number | undefined {
  if (/^\d+[ui]?$/.test(bound)) return Number(bound.replace(/[ui]$/, ''));
  const constant = constants[bound];
  const value = typeof constant === 'object' ? constant.value : constant;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** The index just past the `}` matching the `{` at `open`, or -1. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

function unrollable(body: string, variable: string, count: number, looping: ReadonlySet<string>): boolean {
  if (count > UNROLL_MAX_COUNT) return false;
  if (/\b(break|continue)\b/.test(body)) return false;
  if (callsAny(body, looping)) return false;
  const assigned = new RegExp(`\\b${variable}\\s*(=[^=]|\\+=|-=|\\*=|/=|\\+\\+|--)`);
  if (assigned.test(body)) return false;
  return (body.length + variable.length + 16) * count <= UNROLL_BUDGET_CHARS;
}

/**
 * Unrolls the loops of one module's lines (see the module comment); returns new lines, as many as given.
 * Comments are dropped inside unrolled loops only (a `//` would end the joined line).
 */
export function unrollConstantLoops(
  lines: readonly string[],
  constants: Readonly<Record<string, WgslConstant>>,
  /** Functions that keep a loop (loopingFunctions of the modules before): a loop calling one stays a loop. */
  looping: ReadonlySet<string> = new Set(),
): string[] {
  const out = [...lines];
  // Offsets of line starts in the joined text are recomputed after each rewrite; loops are taken from the
  // last header back, so inner loops (which start later) are unrolled before the loops around them.
  let text = out.map(stripComment).join('\n');
  // A regex of its own per call: a shared global one would carry lastIndex from the previous module.
  const LOOP_HEADER = new RegExp(LOOP_HEADER_SOURCE, 'g');
  const caps = unrollCaps(lines);
  const headers = [...text.matchAll(LOOP_HEADER)].map((m) => m.index);
  let grown = 0;
  for (let h = headers.length - 1; h >= 0; h--) {
    LOOP_HEADER.lastIndex = headers[h] ?? 0;
    const m = LOOP_HEADER.exec(text);
    if (!m || m.index !== headers[h]) continue;
    const [
      header,
      variable = '',
      type,
      start = '0',
      suffix,
      tested = '',
      compare = '<',
      bound = '',
      stepped = '',
      added,
    ] = m;
    if (tested !== variable || stepped !== variable || (added !== undefined && added !== variable)) continue;
    const last = constantCount(bound, constants);
    if (last === undefined) continue;
    // The copies' values: START, START + 1, ... while the test holds; typed as the counter is (a bare literal
    // makes an i32 var).
    // A counter from a bare literal (an abstract int: the math library's series, as in lgamma) stays a loop,
    // so that a Stan loop calling such a function stays one too (the callee rule below).
    if (type === undefined && suffix === undefined) continue;
    const first = Number(start);
    const count = Math.max(0, last - first + (compare === '<=' ? 1 : 0));
    const unsigned = type === 'u32' || suffix === 'u';
    const cap = caps.get(text.slice(0, m.index).split('\n').length - 1);
    if (cap !== undefined && count > cap) continue;
    const open = m.index + header.length - 1;
    const close = matchingBrace(text, open);
    if (close < 0) continue;
    const body = text.slice(open + 1, close - 1);
    // The callee rule is for the Stan back end's loops (an i32 counter); the engine's u32 loops keep theirs:
    // copying calls of the workgroup reductions, which loop, is what their unrolling was measured with.
    const stanForm = !unsigned;
    if (!unrollable(body, variable, count, stanForm ? looping : NONE)) continue;
    const flat = body.replace(/\s*\n\s*/g, ' ').trim();
    const copies = Array.from(
      { length: count },
      (_, n) => `{ const ${variable} = ${first + n}${unsigned ? 'u' : 'i'}; ${flat} }`,
    );
    const growth = copies.join(' ').length - (close - m.index);
    if (grown + growth > UNROLL_MODULE_BUDGET_CHARS) continue;
    grown += growth;
    const removedLines = text.slice(m.index, close).split('\n').length - 1;
    text = text.slice(0, m.index) + copies.join(' ') + '\n'.repeat(removedLines) + text.slice(close);
  }
  const rewritten = text.split('\n');
  // Lines outside unrolled loops keep their comments (only the stripped copies changed).
  return out.map((line, i) => (stripComment(line) === rewritten[i] ? line : (rewritten[i] ?? '')));
}

const NONE: ReadonlySet<string> = new Set();

const UNROLL_CAP = /^\s*\/\/\s*@unroll-at-most\(\s*(\d+)\s*\)/;

/** Line index of a loop header -> the cap written on the line above it (`// @unroll-at-most(N)`). */
function unrollCaps(lines: readonly string[]): Map<number, number> {
  const caps = new Map<number, number>();
  lines.forEach((line, i) => {
    const m = UNROLL_CAP.exec(line);
    if (m) caps.set(i + 1, Number(m[1]));
  });
  return caps;
}

function stripComment(line: string): string {
  const at = line.indexOf('//');
  return at < 0 ? line : line.slice(0, at);
}

/** Whether `body` calls one of `names`. */
function callsAny(body: string, names: ReadonlySet<string>): boolean {
  for (const m of body.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) if (names.has(m[1] ?? '')) return true;
  return false;
}

/**
 * The functions of a module (its lines, as unrolled) that keep a loop: one in their body, or a call of a
 * function that does (of this module, or `known` from the modules before). For unrollConstantLoops.
 */
export function loopingFunctions(lines: readonly string[], known: ReadonlySet<string>): Set<string> {
  const text = lines.map(stripComment).join('\n');
  const bodies = new Map<string, string>();
  for (const m of text.matchAll(/\bfn\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    const open = text.indexOf('{', m.index);
    const close = open < 0 ? -1 : matchingBrace(text, open);
    if (close > 0 && m[1]) bodies.set(m[1], text.slice(open, close));
  }
  const looping = new Set<string>();
  for (let added = true; added;) {
    added = false;
    for (const [name, body] of bodies) {
      if (looping.has(name)) continue;
      if (/\b(for|loop|while)\b/.test(body) || callsAny(body, known) || callsAny(body, looping)) {
        looping.add(name);
        added = true;
      }
    }
  }
  return looping;
}
