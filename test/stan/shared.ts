/**
 * Locates the shared posteriordb folders (/work/shared in the workspace) for the Stan front-end tests: from the
 * repository root upwards, the first directory with a sibling `shared/posteriordb`. Where there is none (a CI
 * clone in /tmp), it throws, so that the tests fail with this message instead of passing on nothing.
 */

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function sharedDir(): string {
  for (let d = REPO_ROOT; ; d = dirname(d)) {
    const candidate = join(dirname(d), 'shared');
    if (existsSync(join(candidate, 'posteriordb'))) return candidate;
    if (dirname(d) === d) break;
  }
  throw new Error(
    `no shared/posteriordb folder next to ${REPO_ROOT} or any folder above it: the Stan front-end tests read ` +
      'the posteriordb models from there (in the workspace it is /work/shared)',
  );
}

export interface PosteriordbModel {
  /** `posteriordb/eight_schools-eight_schools_noncentered` */
  readonly id: string;
  readonly source: string;
  readonly dataPath: string;
}

/** Every model.stan under shared/posteriordb and shared/posteriordb-models, sorted by id. */
export function posteriordbModels(): PosteriordbModel[] {
  const shared = sharedDir();
  const out: PosteriordbModel[] = [];
  for (const collection of ['posteriordb', 'posteriordb-models']) {
    const dir = join(shared, collection);
    if (!existsSync(dir)) throw new Error(`missing ${dir}`);
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
