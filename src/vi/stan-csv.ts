/**
 * Draws from q in CmdStan's variational output format (a "Stan CSV" file), so that the tools that read
 * Stan's ADVI output read ours the same way: cmdstanpy (`from_csv`, `CmdStanVB`), ArviZ `from_cmdstan`,
 * rstan `read_stan_csv`, R's posterior and loo on the log_p__ / log_g__ columns.
 *
 * The layout, as CmdStan's variational method writes it (stan/services/experimental/advi/*.hpp,
 * stan/variational/advi.hpp) and as cmdstanpy's `scan_variational_csv` and `from_csv` read it:
 *   - `#` comment lines with the configuration, one `key = value` per line, nested by indentation
 *     (method = variational, algorithm, iter, grad_samples, elbo_samples, eta, adapt, tol_rel_obj,
 *     eval_elbo, output_samples, random seed, ...); cmdstanpy needs model, method and those keys;
 *   - the header `lp__,log_p__,log_g__,` then the parameters in CmdStan's dotted names (theta[3] -> theta.3,
 *     L[2,1] -> L.2.1);
 *   - `# Stepsize adaptation complete.` and `# eta = <step size>`: cmdstanpy reads eta only from there (its
 *     CmdStanVB fails without it), so we always write them, eta being our fixed step size;
 *   - the first row: q's mean, with lp__ = log_p__ = log_g__ = 0;
 *   - then one row per draw: lp__ = 0, log_p__ = log p(x, z) on the unconstrained space (Stan: log_prob
 *     with the Jacobian, constants included), log_g__ = Stan's log density of the draw under q as
 *     advi.hpp computes it: -0.5 * sum(eps_d^2) for the standard-normal eps with z = T(eps), i.e. log q(z) up
 *     to a constant (-D/2 log 2 pi - log|det L|) that is the same for every draw.
 * Non-finite numbers are written as C++ streams write them (inf, -inf, nan), which pandas, numpy and R read.
 */

/** The settings CmdStan writes and cmdstanpy requires (all are written). */
export interface StanVariationalSettings {
  /** Model name. */
  readonly model: string;
  readonly algorithm: 'meanfield' | 'fullrank';
  /** Maximum optimizer iterations. */
  readonly iter: number;
  /** Monte Carlo draws per gradient (our samples per step). */
  readonly gradSamples: number;
  /** Monte Carlo draws per ELBO estimate. */
  readonly elboSamples: number;
  /** Step size (our Adam learning rate). */
  readonly eta: number;
  readonly tolRelObj: number;
  /** ELBO evaluated every this many iterations. */
  readonly evalElbo: number;
  readonly seed: number;
  /** The data file, if the data came from one. */
  readonly dataFile?: string;
}

export interface StanVariationalCsvInput {
  /** Parameter names in Stan's style: `mu`, `theta[3]`, `L[2,1]`. */
  readonly names: readonly string[];
  /** Constrained values at q's mean, one per name. */
  readonly mean: ArrayLike<number>;
  /** Draws, row-major: row i's value j is draws[i * stride + j] (j < names.length). */
  readonly draws: ArrayLike<number>;
  /** Values between rows (default names.length; the engine's draws are padded to a multiple of 4). */
  readonly stride?: number;
  /** log p(x, z_i) of each draw (see the module comment). */
  readonly logP: ArrayLike<number>;
  /** Stan's log_g__ of each draw: -0.5 * sum(eps^2) (see the module comment). */
  readonly logG: ArrayLike<number>;
  readonly settings: StanVariationalSettings;
  /** Our own settings, written under `# webgpu_vi` (family, samples, estimator, steps, ...). */
  readonly extra?: Readonly<Record<string, string | number | boolean>>;
  /** The WebGPU adapter's description, written under `# webgpu_vi` too. */
  readonly adapter: string;
  /** Significant digits of every number (default 9: enough for any f32 to read back exactly). */
  readonly digits?: number;
}

const STAN_NAME = /^([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+(?:,\d+)*)\])?$/;
const RESERVED = new Set(['lp__', 'log_p__', 'log_g__']);

/** A Stan-style name (`theta[3]`, `L[2,1]`) as CmdStan writes it in CSV headers (`theta.3`, `L.2.1`). */
export function stanCsvName(name: string): string {
  const match = STAN_NAME.exec(name.replace(/\s+/g, ''));
  if (!match || RESERVED.has(name)) {
    throw new RangeError(
      `parameter name "${name}": expected a Stan name with optional 1-based indices, e.g. theta or L[2,1]`,
    );
  }
  const [, base = '', indices] = match;
  return indices ? `${base}.${indices.split(',').join('.')}` : base;
}

/** The inverse of stanCsvName, as cmdstanpy's munge_varname does it: `L.2.1` -> `L[2,1]`. */
export function stanNameFromCsv(column: string): string {
  const dot = column.indexOf('.');
  return dot < 0
    ? column
    : `${column.slice(0, dot)}[${column
        .slice(dot + 1)
        .split('.')
        .join(',')}]`;
}

/** A number as %g with `digits` significant digits would print it, and non-finite values as C++ does. */
export function formatStanNumber(value: number, digits = 9): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return '0';
  const [mantissa = '', exponentText = '0'] = value.toExponential(digits - 1).split('e');
  const exponent = Number(exponentText);
  const trim = (text: string) => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);
  // %g: fixed notation for exponents in [-4, digits), else d.ddde+XX with at least two exponent digits.
  if (exponent >= -4 && exponent < digits) return trim(value.toFixed(Math.max(0, digits - 1 - exponent)));
  const sign = exponent < 0 ? '-' : '+';
  return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function configValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : formatStanNumber(value);
  // One line per setting: keep the value on its line and free of the separator readers split on.
  return value.replace(/[\r\n]+/g, ' ').trim();
}

function checkLength(field: string, values: ArrayLike<number>, expected: number): void {
  if (values.length !== expected) {
    throw new RangeError(`${field}: expected ${expected} values, got ${values.length}`);
  }
}

/** The whole file as a string (LF line endings, a final newline). */
export function writeStanVariationalCsv(input: StanVariationalCsvInput): string {
  const { names, settings } = input;
  const digits = input.digits ?? 9;
  if (!Number.isInteger(digits) || digits < 1 || digits > 17) {
    throw new RangeError(`digits: expected an integer in [1, 17], got ${digits}`);
  }
  if (names.length === 0) throw new RangeError('names: expected at least one parameter');
  const stride = input.stride ?? names.length;
  if (!Number.isInteger(stride) || stride < names.length) {
    throw new RangeError(`stride: expected an integer >= ${names.length} (the parameters), got ${stride}`);
  }
  const count = input.logP.length;
  checkLength('mean', input.mean, names.length);
  checkLength('logG', input.logG, count);
  if (input.draws.length < (count - 1) * stride + names.length || input.draws.length > count * stride) {
    throw new RangeError(
      `draws: expected ${count} rows of stride ${stride} (one per log_p__ value), got ${input.draws.length} values`,
    );
  }
  const columns = names.map(stanCsvName);
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) throw new RangeError(`names: "${stanNameFromCsv(column)}" appears twice`);
    seen.add(column);
  }

  const config: [number, string, string | number | boolean | undefined][] = [
    [0, 'model', settings.model],
    [0, 'method', 'variational'],
    [1, 'variational', undefined],
    [2, 'algorithm', settings.algorithm],
    [3, settings.algorithm, undefined],
    [2, 'iter', settings.iter],
    [2, 'grad_samples', settings.gradSamples],
    [2, 'elbo_samples', settings.elboSamples],
    [2, 'eta', settings.eta],
    [2, 'adapt', undefined],
    [3, 'engaged', 0],
    [2, 'tol_rel_obj', settings.tolRelObj],
    [2, 'eval_elbo', settings.evalElbo],
    [2, 'output_samples', count],
    [0, 'id', 1],
    [0, 'data', undefined],
    [1, 'file', settings.dataFile ?? ''],
    [0, 'random', undefined],
    [1, 'seed', settings.seed],
    [0, 'output', undefined],
    [1, 'sig_figs', digits],
    [0, 'webgpu_vi', undefined],
    [1, 'adapter', input.adapter],
    ...Object.entries(input.extra ?? {}).map(([key, value]): [number, string, string | number | boolean] => [
      1,
      key,
      value,
    ]),
  ];
  const lines: string[] = config.map(([depth, key, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new RangeError(`extra: setting name "${key}" must be a word (letters, digits, underscores)`);
    }
    const indent = '  '.repeat(depth);
    return value === undefined ? `# ${indent}${key}` : `# ${indent}${key} = ${configValue(value)}`;
  });
  lines.push(['lp__', 'log_p__', 'log_g__', ...columns].join(','));
  lines.push('# Stepsize adaptation complete.');
  lines.push(`# eta = ${configValue(settings.eta)}`);
  const format = (v: number) => formatStanNumber(v, digits);
  lines.push(['0', '0', '0', ...Array.from(input.mean, format)].join(','));
  const row = new Array<string>(3 + names.length);
  row[0] = '0';
  for (let i = 0; i < count; i++) {
    row[1] = format(input.logP[i] as number);
    row[2] = format(input.logG[i] as number);
    for (let j = 0; j < names.length; j++) row[3 + j] = format(input.draws[i * stride + j] as number);
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}

export interface StanCsv {
  /** Every comment line in file order, without the leading `#` and blanks. */
  readonly comments: readonly string[];
  /** `key = value` settings from the comments before the header, flattened (a later key wins), as cmdstanpy reads them. */
  readonly config: Readonly<Record<string, string>>;
  readonly header: readonly string[];
  /** Every data row after the header (for variational output: q's mean, then the draws). */
  readonly rows: readonly Float64Array[];
}

function parseStanNumber(text: string, line: number, column: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '-nan') return NaN;
  const value = Number(t);
  if (t === '' || Number.isNaN(value)) {
    throw new SyntaxError(`Stan CSV line ${line}, column ${column}: "${text}" is not a number`);
  }
  return value;
}

/** Reads a Stan CSV file (any method): its comments, configuration, header and numeric rows. */
export function readStanCsv(text: string): StanCsv {
  const lines = text.split(/\r?\n/);
  const comments: string[] = [];
  const config: Record<string, string> = {};
  let header: string[] | undefined;
  const rows: Float64Array[] = [];
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const comment = line.replace(/^#\s*/, '');
      comments.push(comment);
      if (!header) {
        const parts = comment.replace(/\(Default\)\s*$/, '').split('=');
        if (parts.length === 2) config[(parts[0] as string).trim()] = (parts[1] as string).trim();
      }
      return;
    }
    if (!header) {
      header = line.split(',').map((h) => h.trim());
      return;
    }
    const fields = line.split(',');
    if (fields.length !== header.length) {
      throw new SyntaxError(
        `Stan CSV line ${n + 1}: expected ${header.length} values (the header's columns), got ${fields.length}`,
      );
    }
    const cols = header;
    rows.push(Float64Array.from(fields, (f, j) => parseStanNumber(f, n + 1, cols[j] as string)));
  });
  if (!header) throw new SyntaxError('Stan CSV: no header line (a line that is neither a comment nor empty)');
  return { comments, config, header, rows };
}
