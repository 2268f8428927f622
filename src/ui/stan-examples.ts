/**
 * Stan examples for the page: the posteriordb programs and data the Stan tests use (test/stan/posteriordb,
 * BSD-3-Clause, see its LICENCE.md), imported as text so the page ships exactly the files the tests check.
 */
const MODELS = import.meta.glob<string>('../../test/stan/posteriordb/*/model.stan', {
  query: '?raw',
  import: 'default',
  eager: true,
});
const DATA = import.meta.glob<string>('../../test/stan/posteriordb/*/data.json', {
  query: '?raw',
  import: 'default',
  eager: true,
});

export interface StanExample {
  /** posteriordb's posterior name, e.g. "eight_schools-eight_schools_noncentered". */
  readonly name: string;
  readonly source: string;
  /** The Stan-JSON data, as text. */
  readonly data: string;
}

export const STAN_EXAMPLES: readonly StanExample[] = Object.entries(MODELS)
  .map(([path, source]) => {
    const dir = path.slice(0, path.lastIndexOf('/'));
    return { name: dir.slice(dir.lastIndexOf('/') + 1), source, data: DATA[`${dir}/data.json`] ?? '{}' };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

/** The program the editor opens with: small, quick to fit, and with parameters worth a look. */
export const DEFAULT_STAN_EXAMPLE = 'eight_schools-eight_schools_noncentered';
