/**
 * WGSL composition: a program is a set of library modules (shaders/**.wgsl) joined in dependency order.
 *
 * - A module names what it needs in its header: a comment line `// requires: reduce/workgroup, rng/philox`.
 * - Each module is included once; `enable`/`requires` directives are hoisted to the top and de-duplicated.
 * - Compile-time constants (workgroup size, dimensions) are emitted as `const` declarations before the
 *   modules, so one kernel is specialised for many shapes.
 * - Aliases pick an implementation for an interface name (e.g. "reduce/workgroup" -> the subgroup path).
 * - The composed program remembers where each module's lines went, so compiler messages point at the
 *   module's own file and line.
 * - Every `var name: T;` without an initializer becomes `var name = T();`. WGSL zero-initialises such a
 *   declaration each time it runs, but SwiftShader (through Dawn's SPIR-V) zeroed one inside a loop only
 *   on the first iteration: elbo_step's per-batch sums then carried every earlier batch of the thread.
 *   The explicit zero value is what the language means, on every adapter.
 * - Unrolling, for hot loops over a compile-time count: the lines between `// @unroll(j < DV)` and `// @end`
 *   are repeated for j = 0 .. DV-1, with the whole word `j` replaced by `0u`, `1u`, ... and `$j` or `${j}`
 *   (inside names: `beta$j`, `acc${p}_${j}`) by the digits. Why: SwiftShader's JIT keeps function-scope
 *   arrays in memory and does not unroll, so the same loop over `array<vec4<f32>, DV>` ran 2.7x slower
 *   than vec4 locals. Each line's copies go on that line, so line numbers (and error locations) do not
 *   move: every line of an unrolled body must hold whole statements, and a body of several lines runs
 *   line by line (all copies of its first line, then all copies of its second). Blocks nest; the inner
 *   one is expanded first.
 * - Generated modules may say where their lines come from: a comment line `// @source model.stan:14` covers
 *   the lines after it, so a compiler message on generated code names the source line (`sourceOf`).
 */
import { ShaderCompositionError } from './errors';
import { loopingFunctions, unrollConstantLoops } from './loop-unroll';

export type WgslConstant =
  number | boolean | { readonly type: 'u32' | 'i32' | 'f32'; readonly value: number };

export interface ComposeOptions {
  /** The modules the program is made of (their dependencies are added). */
  readonly modules: readonly string[];
  readonly constants?: Readonly<Record<string, WgslConstant>>;
  readonly aliases?: Readonly<Record<string, string>>;
  /** Extra sources by name, e.g. a model written by the user; they may require library modules. */
  readonly extraSources?: Readonly<Record<string, string>>;
  /**
   * Unroll every loop over a compile-time count (src/gpu/loop-unroll.ts): what a CPU adapter needs to keep
   * function-scope arrays out of memory. Off by default.
   */
  readonly unrollLoops?: boolean;
}

export interface ModuleSegment {
  readonly module: string;
  /** 1-based line in the composed program where the module's first line is. */
  readonly firstLine: number;
  readonly lineCount: number;
}

export interface ComposedProgram {
  readonly code: string;
  /** Cache key: the composed source itself (two programs with equal code are the same program). */
  readonly key: string;
  readonly segments: readonly ModuleSegment[];
}

const REQUIRES_COMMENT = /^\s*\/\/\s*requires:\s*(.+)$/m;
const DIRECTIVE = /^\s*(enable|requires|diagnostic)\b[^;]*;\s*$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A function-scope `var name: T;` (module-scope vars always name an address space: `var<private>`). */
const UNINITIALISED_VAR = /(?<=^|[;{}])(\s*)var\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^=;{}]+?)\s*;/g;

/** `var x: T;` -> `var x = T();` wherever a statement starts on the line (see the module comment). */
export function zeroInitialise(line: string): string {
  return line.replace(
    UNINITIALISED_VAR,
    (_, space: string, name: string, type: string) => `${space}var ${name} = ${type}();`,
  );
}

const UNROLL_START =
  /^\s*\/\/\s*@unroll\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*<\s*([A-Za-z_][A-Za-z0-9_]*|\d+)\s*\)\s*$/;
const UNROLL_END = /^\s*\/\/\s*@end\s*$/;

function unrollCount(
  bound: string,
  constants: Readonly<Record<string, WgslConstant>>,
  module: string,
): number {
  if (/^\d+$/.test(bound)) return Number(bound);
  const constant = constants[bound];
  const value = typeof constant === 'object' ? constant.value : constant;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ShaderCompositionError(
      `${module}: @unroll bound ${bound} must be a non-negative integer constant`,
    );
  }
  return value;
}

/** Expands @unroll blocks in place, keeping the line count (see the module comment). */
export function expandUnrolls(
  lines: readonly string[],
  constants: Readonly<Record<string, WgslConstant>>,
  module: string,
): string[] {
  const out = [...lines];
  expandRange(out, 0, out.length, constants, module);
  return out;
}

/** Expands the blocks in out[from, to), inner blocks first; returns nothing (edits out). */
function expandRange(
  out: string[],
  from: number,
  to: number,
  constants: Readonly<Record<string, WgslConstant>>,
  module: string,
): void {
  for (let i = from; i < to; i++) {
    const start = UNROLL_START.exec(out[i] ?? '');
    if (!start) {
      if (UNROLL_END.test(out[i] ?? ''))
        throw new ShaderCompositionError(`${module}:${i + 1}: // @end without @unroll`);
      continue;
    }
    const [, variable = '', bound = ''] = start;
    let depth = 1;
    let end = i + 1;
    for (; end < to; end++) {
      if (UNROLL_START.test(out[end] ?? '')) depth++;
      else if (UNROLL_END.test(out[end] ?? '') && --depth === 0) break;
    }
    if (end >= to) throw new ShaderCompositionError(`${module}:${i + 1}: @unroll without // @end`);
    expandRange(out, i + 1, end, constants, module);
    const count = unrollCount(bound, constants, module);
    const word = new RegExp(`\\b${variable}\\b`, 'g');
    const suffix = new RegExp(`\\$(?:\\{${variable}\\}|${variable}\\b)`, 'g');
    for (let k = i + 1; k < end; k++) {
      const body = (out[k] ?? '').trim();
      if (!body) continue;
      const copies = Array.from({ length: count }, (_, n) =>
        body.replace(suffix, String(n)).replace(word, `${n}u`),
      );
      out[k] = copies.join(' ');
    }
    out[i] = '';
    out[end] = '';
    i = end;
  }
}

export function moduleDependencies(source: string): string[] {
  const match = REQUIRES_COMMENT.exec(source);
  if (!match?.[1]) return [];
  return match[1]
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

function constantDeclaration(name: string, constant: WgslConstant): string {
  if (!IDENTIFIER.test(name))
    throw new ShaderCompositionError(`constant name "${name}" is not a WGSL identifier`);
  if (typeof constant === 'boolean') return `const ${name}: bool = ${constant};`;
  const { type, value } =
    typeof constant === 'number'
      ? { type: Number.isInteger(constant) && constant >= 0 ? 'u32' : 'f32', value: constant }
      : constant;
  if (!Number.isFinite(value))
    throw new ShaderCompositionError(`constant ${name} must be finite, got ${value}`);
  if (type === 'f32')
    return `const ${name}: f32 = ${Number.isInteger(value) ? `${value}.0` : String(value)};`;
  if (!Number.isInteger(value) || (type === 'u32' && value < 0)) {
    throw new ShaderCompositionError(`constant ${name} must be a ${type}, got ${value}`);
  }
  return `const ${name}: ${type} = ${value}${type === 'u32' ? 'u' : 'i'};`;
}

/** Joins modules from `library` (name -> WGSL source) into one program. */
export function composeWgsl(
  library: Readonly<Record<string, string>>,
  options: ComposeOptions,
): ComposedProgram {
  const sources = { ...library, ...options.extraSources };
  const aliases = options.aliases ?? {};
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();

  const visit = (requested: string, path: readonly string[]): void => {
    const name = aliases[requested] ?? requested;
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new ShaderCompositionError(
        `WGSL modules require each other in a cycle: ${[...path, name].join(' -> ')}`,
      );
    }
    const source = sources[name];
    if (source === undefined) {
      const from = path.length ? ` (required by ${path[path.length - 1]})` : '';
      throw new ShaderCompositionError(`unknown WGSL module "${requested}"${from}`);
    }
    state.set(name, 'visiting');
    for (const dependency of moduleDependencies(source)) visit(dependency, [...path, name]);
    state.set(name, 'done');
    ordered.push(name);
  };
  for (const name of options.modules) visit(name, []);

  const directives: string[] = [];
  const bodies: { module: string; lines: string[] }[] = [];
  // Functions that keep a loop, from the modules unrolled so far (dependencies come first).
  const looping = new Set<string>();
  for (const name of ordered) {
    const source = (sources[name] ?? '').split('\n').map(zeroInitialise);
    const expanded = expandUnrolls(source, options.constants ?? {}, name);
    const lines = options.unrollLoops
      ? unrollConstantLoops(expanded, options.constants ?? {}, looping)
      : expanded;
    if (options.unrollLoops) for (const f of loopingFunctions(lines, looping)) looping.add(f);
    // Directives must precede every declaration; a blank line keeps the module's line numbers intact.
    const kept = lines.map((line) => {
      if (!DIRECTIVE.test(line)) return line;
      const directive = line.trim();
      if (!directives.includes(directive)) directives.push(directive);
      return '';
    });
    bodies.push({ module: name, lines: kept });
  }

  const constants = Object.entries(options.constants ?? {}).map(([name, value]) =>
    constantDeclaration(name, value),
  );
  const header = [...directives, ...constants];
  const out: string[] = [...header];
  const segments: ModuleSegment[] = [];
  for (const body of bodies) {
    segments.push({ module: body.module, firstLine: out.length + 1, lineCount: body.lines.length });
    out.push(...body.lines);
  }
  const code = out.join('\n');
  return { code, key: code, segments };
}

/** The comment that says which source line the generated lines after it come from (`// @source file:line`). */
export const SOURCE_MARK = '// @source ';

/** The module segment that holds a 1-based line of a composed program (none for the generated header). */
function segmentAt(program: ComposedProgram, line: number): ComposedProgram['segments'][number] | undefined {
  return program.segments.find((s) => line >= s.firstLine && line < s.firstLine + s.lineCount);
}

/** The source location (`model.stan:14`) of a composed program's line, from the nearest mark above it in its module. */
export function sourceOf(program: ComposedProgram, line: number): string | undefined {
  const lines = program.code.split('\n');
  const first = segmentAt(program, line)?.firstLine ?? 1;
  for (let l = Math.min(line, lines.length); l >= first; l--) {
    const text = (lines[l - 1] as string).trim();
    if (text.startsWith(SOURCE_MARK)) return text.slice(SOURCE_MARK.length).trim();
  }
  return undefined;
}

/** Maps a 1-based line of a composed program back to (module, line in that module). */
export function locateLine(program: ComposedProgram, line: number): { module: string; line: number } {
  const segment = segmentAt(program, line);
  return segment
    ? { module: segment.module, line: line - segment.firstLine + 1 }
    : { module: '<generated header>', line };
}
