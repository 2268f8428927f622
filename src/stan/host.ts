/**
 * The host side of a compiled Stan model: reads the Stan JSON into the data variables (checking shapes and
 * int-ness, naming the field like src/models/data.ts does), runs the transformed data in float64, and names the
 * reported values as Stan prints them.
 */
import { DataError, type StanData } from '../models/data';
import { evaluateSizes, runTransformedData, type HostState } from './interpret';
import type { Program } from './ir';

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === 'number' ? String(value) : `a ${typeof value}`;
}

/** Flattens a Stan JSON value of the given dims (row-major; a matrix is an array of rows). */
function flatten(field: string, value: unknown, dims: readonly number[], int: boolean, out: number[]): void {
  if (dims.length === 0) {
    if (typeof value !== 'number' || (int ? !Number.isInteger(value) : Number.isNaN(value) && false))
      throw new DataError(field, int ? 'an integer' : 'a number', describe(value));
    out.push(value);
    return;
  }
  const n = dims[0] as number;
  // Stan JSON allows a scalar for a size-1 container only through arrays; accept [x] and x for length 1.
  if (!Array.isArray(value)) {
    if (n === 1 && dims.length === 1 && typeof value === 'number')
      return flatten(field, [value], dims, int, out);
    throw new DataError(field, `an array of length ${n}`, describe(value));
  }
  if (value.length !== n)
    throw new DataError(field, `an array of length ${n}`, `an array of length ${value.length}`);
  value.forEach((v: unknown, i) => flatten(`${field}[${i + 1}]`, v, dims.slice(1), int, out));
}

/**
 * The host state for `data`. `checked` (validateStanData's values, when the caller ran it) supplies the values,
 * so its JSON allowances ("Inf", R's unboxed scalars) hold; the shapes are checked again here against the IR.
 */
export function prepareHost(
  program: Program,
  data: StanData,
  checked?: ReadonlyMap<string, { readonly values: Float64Array }>,
): HostState {
  const host: HostState = { sizes: [], hosts: [] };
  for (const hv of program.hosts) {
    if (hv.source !== 'data') continue;
    evaluateSizes(program, host, hv.dims);
    const dims = hv.dims.map((id) => host.sizes[id] as number);
    const known = checked?.get(hv.name);
    const count = dims.reduce((a, b) => a * b, 1);
    if (known && known.values.length === count) {
      host.hosts[hv.id] = Float64Array.from(known.values);
      continue;
    }
    const out: number[] = [];
    const value = data[hv.name];
    if (value === undefined && dims.some((d) => d === 0)) {
      host.hosts[hv.id] = new Float64Array(0);
      continue;
    }
    flatten(hv.name, value, dims, hv.t === 'int', out);
    host.hosts[hv.id] = Float64Array.from(out);
  }
  runTransformedData(program, host);
  evaluateSizes(program, host);
  return host;
}

/** Stan's names for a variable's elements, in Stan's output order (the first index varies fastest). */
export function elementNames(name: string, dims: readonly number[]): string[] {
  if (dims.length === 0) return [name];
  const total = dims.reduce((a, b) => a * b, 1);
  const names: string[] = [];
  for (let r = 0; r < total; r++) {
    let rest = r;
    const idx = dims.map((d) => {
      const i = rest % d;
      rest = Math.floor(rest / d);
      return i + 1;
    });
    names.push(`${name}[${idx.join(',')}]`);
  }
  return names;
}

/** Row-major flat position of the r-th element in Stan's (column-major) output order. */
export function rowMajorOf(dims: readonly number[], r: number): number {
  let rest = r;
  let flat = 0;
  const idx = dims.map((d) => {
    const i = rest % d;
    rest = Math.floor(rest / d);
    return i;
  });
  for (let k = 0; k < dims.length; k++) flat = flat * (dims[k] as number) + (idx[k] as number);
  return flat;
}
