/**
 * compileStan: Stan source -> a ModelDefinition the engine runs like the built-in models (src/models/types.ts).
 * Parse (parser.ts), lower to the IR (lower.ts), generate WGSL (codegen.ts); prepare(data) reads and checks the
 * data, runs transformed data in float64 (interpret.ts) and lays the data out as two storage buffers.
 */
import type { WgslConstant } from '../gpu/wgsl';
import type { StanData } from '../models/data';
import type { ModelDefinition, PreparedModel } from '../models/types';
import { blockDecls, type StanDiagnostic } from './ast';
import { generateWgsl } from './codegen';
import { elementNames, prepareHost } from './host';
import { evaluate, type HostState } from './interpret';
import type { Program } from './ir';
import { lowerProgram } from './lower';
import { parseStan } from './parser';
import { checkStan } from './typecheck';
import { unstoredLocals } from './unstored';
import { validateStanData } from './data-schema';

export interface CompileOptions {
  /** The model's name (default: "stan"). */
  readonly name?: string;
  /** For messages, e.g. "model.stan". */
  readonly fileName?: string;
}

/** A compiled model: the engine's definition, plus the IR and its float64 evaluator for checking. */
export interface CompiledStan {
  readonly model: ModelDefinition;
  readonly program: Program;
  readonly warnings: readonly StanDiagnostic[];
  /** The host state of `data` (sizes, data, transformed data): what prepare uploads. */
  readonly host: (data: StanData) => HostState;
  /** float64 log density (as the WGSL computes it) and its gradient at z, with the data's host state. */
  readonly logDensity: (host: HostState, z: Float64Array) => { lp: number; grad: Float64Array };
  /**
   * The reported values at z (parameters, transformed parameters, then generated quantities), in paramNames'
   * order.
   */
  readonly reported: (host: HostState, z: Float64Array) => Float64Array;
}

/**
 * The compiled model cannot run with this data: a stored local with its derivatives (16 (DV + 1) bytes per real,
 * DV = ceil(D / 4)) outgrows what WGSL allows one function variable (64 KiB). Locals that need no storage
 * (unstored.ts) are not counted.
 */
export class StanLimitError extends Error {
  override name = 'StanLimitError';
}

/** The most bytes WGSL implementations allow one function-scope variable (Tint's limit). */
const MAX_VAR_BYTES = 65536;

export type CompileResult = CompiledStan | { readonly diagnostics: readonly StanDiagnostic[] };

function dimension(program: Program, host: HostState): number {
  return program.paramSizes.reduce((a, id) => a + (host.sizes[id] as number), 0);
}

function reportedValues(
  program: Program,
  host: HostState,
  locals: readonly (readonly number[])[],
): Float64Array {
  const out: number[] = [];
  for (const l of program.locals) {
    if (!l.reported) continue;
    const dims = l.dims.map((id) => host.sizes[id] as number);
    const values = locals[l.id] as readonly number[];
    const total = dims.reduce((a, b) => a * b, 1);
    for (let r = 0; r < total; r++) {
      let rest = r;
      let flat = 0;
      const idx = dims.map((d) => {
        const i = rest % d;
        rest = Math.floor(rest / d);
        return i;
      });
      idx.forEach((i, k) => (flat = flat * (dims[k] as number) + i));
      out.push(values[flat] as number);
    }
  }
  return Float64Array.from(out);
}

export function compileStan(source: string, options: CompileOptions = {}): CompileResult {
  const parsed = parseStan(source);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (!parsed.program || errors.length > 0) return { diagnostics: parsed.diagnostics };
  const ast = parsed.program;
  // Type errors first (the checker's messages), then what the back end does not support.
  const checked = checkStan(ast);
  if (checked.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: checked.diagnostics };
  const lowered = lowerProgram(ast);
  if ('diagnostics' in lowered) return { diagnostics: lowered.diagnostics };
  const { program } = lowered;
  const warnings = [...checked.diagnostics, ...lowered.warnings];
  const name = options.name ?? 'stan';
  const title = `Stan model ${options.fileName ?? name}`;
  const wgsl = generateWgsl(program, title, options.fileName ?? 'model.stan');
  const dataFields = blockDecls(ast.data).map((d) => ({
    name: d.name,
    declaration: source.slice(d.span.start.offset, d.span.end.offset).replace(/;\s*$/, ''),
  }));

  // The front end's schema check (types, sizes, bounds, constraints) names the field; the host then lays it out.
  const hostOf = (data: StanData): HostState => {
    return prepareHost(program, data, validateStanData(ast, data));
  };
  const unstored = unstoredLocals(program);
  const prepare = (data: StanData): PreparedModel => {
    const host = hostOf(data);
    const d = dimension(program, host);
    const dualBytes = 16 * (Math.max(1, Math.ceil(d / 4)) + 1);
    let functionBytes = 0;
    for (const l of program.locals) {
      // Not stored: its reads evaluate its definition (unstored.ts).
      if (unstored.has(l.id)) continue;
      const n = l.dims.reduce((a, id) => a * (host.sizes[id] as number), 1);
      const bytes = n * (l.active ? dualBytes : 4);
      functionBytes += bytes;
      if (bytes > MAX_VAR_BYTES) {
        throw new StanLimitError(
          `not supported with this data: "${l.name}" (${n} values, each with its ${d} derivatives) needs ` +
            `${bytes} bytes of GPU function memory, more than the ${MAX_VAR_BYTES} WGSL allows; a local that is ` +
            `assigned more than once, or from values that change, is stored with its D derivatives (here D = ${d})`,
        );
      }
    }
    const constants: Record<string, WgslConstant> = {};
    host.sizes.forEach((v, id) => (constants[`STAN_SZ_${id}`] = { type: 'i32', value: v }));
    for (const l of program.locals) {
      const n = l.dims.reduce((a, id) => a * (host.sizes[id] as number), 1);
      constants[`STAN_LN_${l.id}`] = { type: 'u32', value: Math.max(1, n) };
    }
    const reals: number[] = [];
    const ints: number[] = [];
    for (const hv of program.hosts) {
      const values = host.hosts[hv.id] ?? new Float64Array(0);
      const buf = hv.t === 'int' ? ints : reals;
      constants[`STAN_HO_${hv.id}`] = { type: 'u32', value: buf.length };
      if (hv.t === 'int' && hv.dims.length === 0)
        constants[`STAN_IV_${hv.id}`] = { type: 'i32', value: values[0] ?? 0 };
      for (const v of values) buf.push(v);
    }
    while (reals.length < 4) reals.push(0);
    while (ints.length < 4) ints.push(0);
    const names: string[] = [];
    for (const l of program.locals) {
      if (l.reported)
        names.push(
          ...elementNames(
            l.name,
            l.dims.map((id) => host.sizes[id] as number),
          ),
        );
    }
    // One draw's reported values are one function-scope array (model_constrain's out) wherever they are made.
    if (Math.ceil(names.length / 4) * 16 > MAX_VAR_BYTES) {
      const largest = program.locals
        .filter((l) => l.reported)
        .map((l) => ({ name: l.name, n: l.dims.reduce((a, id) => a * (host.sizes[id] as number), 1) }))
        .sort((a, b) => b.n - a.n)
        .slice(0, 3)
        .map((l) => `"${l.name}" ${l.n}`)
        .join(', ');
      throw new StanLimitError(
        `not supported with this data: the model reports ${names.length} values (parameters, transformed ` +
          `parameters and generated quantities; the largest: ${largest}), more than the ${MAX_VAR_BYTES / 4} ` +
          `that one draw may hold in GPU function memory (${MAX_VAR_BYTES} bytes); move what need not be ` +
          `reported into the model block or a local block`,
      );
    }
    return {
      dimension: d,
      paramNames: names,
      functionBytes,
      constants,
      buffers: [
        { label: `${name} real data`, data: Float32Array.from(reals) },
        { label: `${name} int data`, data: new Uint32Array(Int32Array.from(ints).buffer) },
      ],
    };
  };

  const model: ModelDefinition = {
    name,
    title,
    wgsl,
    dataFields,
    defaultData: () => ({}),
    prepare,
  };
  return {
    model,
    program,
    warnings,
    host: hostOf,
    logDensity: (host, z) => {
      const r = evaluate(program, host, z);
      return { lp: r.lp, grad: r.grad };
    },
    reported: (host, z) =>
      reportedValues(program, host, evaluate(program, host, z, { generated: true }).locals),
  };
}
