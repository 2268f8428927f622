/**
 * Prints, for every posteriordb model under ../shared (posteriordb and posteriordb-models), whether the Stan front
 * end parses it, type-checks it and accepts its data.json, with the first diagnostic where one fails, then totals.
 * Run: npx vite-node scripts/stan-parse-table.ts
 */

import { existsSync, readFileSync } from 'node:fs';
import { formatDiagnostic, type StanDiagnostic } from '../src/stan/ast';
import { validateStanData } from '../src/stan/data-schema';
import { parseStan } from '../src/stan/parser';
import { checkStan } from '../src/stan/typecheck';
import { posteriordbModels } from '../test/stan/shared';

const firstLine = (source: string, d: StanDiagnostic | undefined): string =>
  d ? (formatDiagnostic('model.stan', source, d).split('\n')[0] ?? '') : '';

const rows: string[][] = [];
let parsed = 0;
let checked = 0;
let dataOk = 0;
const models = posteriordbModels();
for (const m of models) {
  const r = parseStan(m.source);
  let status = 'parse error';
  let why = '';
  let data = '-';
  if (!r.program) {
    why = firstLine(m.source, r.diagnostics[0]);
  } else {
    parsed++;
    const c = checkStan(r.program);
    const errors = c.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      status = 'type error';
      why = firstLine(m.source, errors[0]);
    } else {
      checked++;
      status = 'ok';
      if (existsSync(m.dataPath)) {
        try {
          validateStanData(r.program, JSON.parse(readFileSync(m.dataPath, 'utf8')));
          data = 'ok';
          dataOk++;
        } catch (e) {
          data = `rejected: ${(e as Error).message}`;
        }
      } else data = 'no data.json';
    }
  }
  rows.push([m.id, status, data, why]);
}
const width = Math.max(...rows.map((r) => (r[0] as string).length));
console.log(`${'model'.padEnd(width)}  parse+check  data    first problem`);
for (const [id, status, data, why] of rows) {
  console.log(
    `${(id as string).padEnd(width)}  ${(status as string).padEnd(11)}  ${(data as string).padEnd(6)}  ${why}`,
  );
}
console.log(
  `\n${models.length} models: ${parsed} parse, ${checked} type-check, ${models.length - checked} unsupported; ` +
    `${dataOk} data.json files validate`,
);
