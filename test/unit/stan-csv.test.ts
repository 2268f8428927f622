/**
 * src/vi/stan-csv.ts: our draws in CmdStan's variational CSV format, read back by our reader and by a
 * transcription of cmdstanpy's rules (utils/stancsv.py scan_config, scan_column_names, munge_varname,
 * scan_variational_csv, and what stanfit.from_csv requires for method = variational). rstan and the real
 * cmdstanpy are checked by test/reference/stan-csv/check-readers.ts (they need R / Python).
 */
import { describe, expect, it } from 'vitest';
import {
  formatStanNumber,
  readStanCsv,
  stanCsvName,
  stanNameFromCsv,
  writeStanVariationalCsv,
} from '../../src/vi/stan-csv';
import { SAMPLE_DRAWS, SAMPLE_NAMES, SAMPLE_STRIDE, sampleCsvInput } from '../reference/stan-csv/sample';

/** cmdstanpy's scan_config value parsing: int, then float, then true/false, else the string. */
function cmdstanpyValue(raw: string): number | string {
  if (/^[-+]?\d+$/.test(raw)) return Number.parseInt(raw, 10);
  const asFloat = Number(raw);
  if (raw !== '' && !Number.isNaN(asFloat) && /^[-+0-9.eEinfINFa]+$/.test(raw)) return asFloat;
  if (raw === 'true') return 1;
  if (raw === 'false') return 0;
  return raw;
}

/** cmdstanpy 1.2's scan_variational_csv + from_csv checks, transcribed (line-based, as it reads). */
function cmdstanpyScan(text: string) {
  const lines = text.split('\n');
  let n = 0;
  const config: Record<string, number | string> = {};
  while (n < lines.length && lines[n]!.trim().startsWith('#')) {
    let line = lines[n]!.trim();
    if (line.endsWith('(Default)')) line = line.replace('(Default)', '');
    const keyVal = line.replace(/^[ #\t]+/, '').split('=');
    if (keyVal.length === 2) {
      const key = keyVal[0]!.trim();
      if (key === 'file' && !keyVal[1]!.endsWith('csv')) config.data_file = keyVal[1]!.trim();
      else if (key !== 'file') config[key] = cmdstanpyValue(keyVal[1]!.trim());
    }
    n++;
  }
  const header = lines[n++]!.trim().split(',');
  const columnNames = header.map((name) => {
    if (!name.includes('.')) return name;
    return name.replace('.', '[').replaceAll('.', ',') + ']';
  });
  let line = lines[n++]!.replace(/^[ #\t]+/, '').trimEnd();
  let eta: number | undefined;
  if (line.startsWith('Stepsize adaptation complete.')) {
    line = lines[n++]!.replace(/^[ #\t\n]+/, '');
    if (!line.startsWith('eta')) throw new Error(`line ${n}: expecting eta, found ${line}`);
    eta = Number(line.split('=')[1]);
    line = lines[n++]!.replace(/^[ #\t\n]+/, '');
  }
  const mean = line.split(',').map(Number);
  // pandas.read_csv(skiprows = n, comment = '#', header = None, float_precision = 'high')
  const sample = lines
    .slice(n)
    .map((l) => l.replace(/#.*$/, ''))
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',').map((f) => (f === '-inf' ? -Infinity : f === 'inf' ? Infinity : Number(f))));
  for (const key of ['model', 'method']) {
    if (!(key in config)) throw new Error('not a Stan CSV file');
  }
  const required = [
    'algorithm',
    'iter',
    'grad_samples',
    'elbo_samples',
    'eta',
    'tol_rel_obj',
    'eval_elbo',
    'output_samples',
  ];
  const missing = required.filter((key) => !(key in config));
  return { config, columnNames, eta, mean, sample, missing };
}

describe('Stan CSV names and numbers', () => {
  it('writes names as CmdStan does and reads them back as cmdstanpy does', () => {
    expect(stanCsvName('theta[3]')).toBe('theta.3');
    expect(stanCsvName('L[2,1]')).toBe('L.2.1');
    expect(stanCsvName('mu')).toBe('mu');
    expect(stanCsvName('theta1[10]')).toBe('theta1.10');
    expect(stanNameFromCsv('L.2.1')).toBe('L[2,1]');
    expect(() => stanCsvName('lp__')).toThrow(/parameter name "lp__"/);
    expect(() => stanCsvName('beta[x]')).toThrow(/expected a Stan name/);
  });

  it('prints %g-style numbers that parse back to the same f32 with 9 digits', () => {
    expect(formatStanNumber(0)).toBe('0');
    expect(formatStanNumber(-186118)).toBe('-186118');
    expect(formatStanNumber(311.545)).toBe('311.545');
    expect(formatStanNumber(1.5e-7)).toBe('1.5e-07');
    expect(formatStanNumber(8.6988679e-5)).toBe('8.6988679e-05');
    expect(formatStanNumber(0.000123)).toBe('0.000123');
    expect(formatStanNumber(1234567890123)).toBe('1.23456789e+12');
    expect(formatStanNumber(123456789)).toBe('123456789');
    expect(formatStanNumber(-Infinity)).toBe('-inf');
    expect(formatStanNumber(NaN)).toBe('nan');
    const words = new Uint32Array(1);
    const f = new Float32Array(words.buffer);
    for (let k = 0; k < 20000; k++) {
      words[0] = Math.imul(k, 2654435761) >>> 0;
      if (!Number.isFinite(f[0]!)) continue;
      expect(Math.fround(Number(formatStanNumber(f[0]!)))).toBe(f[0]);
    }
  });
});

describe('writeStanVariationalCsv', () => {
  const input = sampleCsvInput();
  const text = writeStanVariationalCsv(input);

  it('round-trips through readStanCsv: comments, dotted names, the mean row, every draw to the bit', () => {
    const csv = readStanCsv(text);
    expect(csv.config.method).toBe('variational');
    expect(csv.config.algorithm).toBe('fullrank');
    expect(csv.config.output_samples).toBe(String(SAMPLE_DRAWS));
    expect(csv.config.seed).toBe('42');
    expect(csv.config.adapter).toBe(input.adapter);
    expect(csv.config.family).toBe('fullrank');
    expect(csv.comments).toContain('Stepsize adaptation complete.');
    expect(csv.comments).toContain('eta = 0.05');
    expect(csv.header).toEqual([
      'lp__',
      'log_p__',
      'log_g__',
      'mu',
      'tau',
      'theta.1',
      'theta.2',
      'theta.3',
      'L.1.1',
      'L.2.1',
      'L.1.2',
      'L.2.2',
    ]);
    expect(csv.rows.length).toBe(1 + SAMPLE_DRAWS);
    const meanRow = Array.from(csv.rows[0]!);
    expect(meanRow.slice(0, 3)).toEqual([0, 0, 0]);
    expect(meanRow.slice(3).map(Math.fround)).toEqual(Array.from(input.mean));
    for (let i = 0; i < SAMPLE_DRAWS; i++) {
      const row = csv.rows[1 + i]!;
      expect(row[0]).toBe(0);
      expect(Math.fround(row[1]!)).toBe(input.logP[i]);
      expect(Math.fround(row[2]!)).toBe(input.logG[i]);
      for (let j = 0; j < SAMPLE_NAMES.length; j++) {
        expect(Math.fround(row[3 + j]!)).toBe(input.draws[i * SAMPLE_STRIDE + j]);
      }
    }
    expect(csv.rows[8]![1]).toBe(-Infinity);
  });

  it('reads as cmdstanpy reads a CmdStan variational file', () => {
    const scan = cmdstanpyScan(text);
    expect(scan.missing).toEqual([]);
    expect(scan.config).toMatchObject({
      model: 'eight_schools',
      method: 'variational',
      algorithm: 'fullrank',
      iter: 2000,
      grad_samples: 16384,
      elbo_samples: 16384,
      eta: 0.05,
      tol_rel_obj: 0.01,
      eval_elbo: 50,
      output_samples: SAMPLE_DRAWS,
      seed: 42,
      data_file: 'data/eight schools.json',
    });
    expect(scan.eta).toBe(0.05);
    expect(scan.columnNames.slice(3)).toEqual(SAMPLE_NAMES);
    expect(scan.mean.slice(3).map(Math.fround)).toEqual(Array.from(sampleCsvInput().mean));
    expect(scan.sample.length).toBe(SAMPLE_DRAWS);
    expect(scan.sample.every((row) => row.length === 3 + SAMPLE_NAMES.length)).toBe(true);
  });

  it('names the field and what was expected for bad input', () => {
    expect(() => writeStanVariationalCsv({ ...input, logG: Array.from(input.logG).slice(1) })).toThrow(
      /logG: expected 40 values, got 39/,
    );
    expect(() => writeStanVariationalCsv({ ...input, mean: [1, 2] })).toThrow(/mean: expected 9 values/);
    expect(() => writeStanVariationalCsv({ ...input, names: [...SAMPLE_NAMES.slice(0, 8), 'mu'] })).toThrow(
      /mu" appears twice/,
    );
    expect(() => writeStanVariationalCsv({ ...input, extra: { 'bad key': 1 } })).toThrow(/setting name/);
    expect(() => writeStanVariationalCsv({ ...input, stride: 4 })).toThrow(
      /stride: expected an integer >= 9/,
    );
  });

  it('reads a CmdStan variational file (cmdstanpy test data layout) with readStanCsv', () => {
    const stan = [
      '# stan_version_major = 2',
      '# model = eta_should_be_big_model',
      '# method = variational',
      '#   variational',
      '#     algorithm = meanfield (Default)',
      '#     output_samples = 2 (Default)',
      'lp__,log_p__,log_g__,mu.1,mu.2',
      '# Stepsize adaptation complete.',
      '# eta = 100',
      '0,0,0,311.545,532.801',
      '0,-186118,-4.74553,311.545,353.503',
      '0,-184982,-2.75303,311.545,587.377',
    ].join('\n');
    const csv = readStanCsv(stan);
    expect(csv.config.algorithm).toBe('meanfield');
    expect(csv.rows.length).toBe(3);
    expect(csv.rows[1]![1]).toBe(-186118);
    expect(() => readStanCsv('a,b\n1,2,3\n')).toThrow(/line 2: expected 2 values/);
    expect(() => readStanCsv('a,b\n1,x\n')).toThrow(/line 2, column b: "x" is not a number/);
  });
});
