/**
 * The posteriordb models the Stan tests and tables read: the repository's copies (test/stan/posteriordb, the 12
 * with NUTS references, and test/stan/posteriordb-models, 101 more with model and data only; BSD-3-Clause,
 * byte for byte as published, see their LICENCE.md), so a fresh clone anywhere runs the same tests.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COPIES = join(REPO_ROOT, 'test', 'stan');
const COLLECTIONS = ['posteriordb', 'posteriordb-models'] as const;

export interface PosteriordbModel {
  /** `posteriordb/eight_schools-eight_schools_noncentered` */
  readonly id: string;
  readonly source: string;
  readonly dataPath: string;
}

/** Every model.stan under test/stan/posteriordb and test/stan/posteriordb-models, sorted by id. */
export function posteriordbModels(): PosteriordbModel[] {
  const out: PosteriordbModel[] = [];
  for (const collection of COLLECTIONS) {
    const dir = join(COPIES, collection);
    if (!existsSync(dir))
      throw new Error(`missing ${dir}: the posteriordb copies are part of the repository`);
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name, 'model.stan');
      if (!existsSync(file)) continue;
      out.push({
        id: `${collection}/${name}`,
        source: readFileSync(file, 'utf8'),
        dataPath: join(dir, name, 'data.json'),
      });
    }
  }
  return out;
}
