/**
 * Prints, for every posteriordb model under ../shared (posteriordb and posteriordb-models), whether the Stan back
 * end compiles it (compileStan) and prepares its data.json (D, and the float64 log density at z = 0), or why not
 * (the first diagnostic, with its line), then totals, and how many of those that compile have generated
 * quantities that are computed (or left out, and why). Fitting them is bench work; this only says what compiles.
 * Run: npx vite-node scripts/stan-fit-table.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import type { StanData } from '../src/models/data';
import { compileStan } from '../src/stan/compile';
import { posteriordbModels } from '../test/stan/shared';

let compiles = 0;
let prepared = 0;
const reasons = new Map<string, number>();
let generated = 0;
const generatedLeftOut: string[] = [];
for (const m of posteriordbModels()) {
  const r = compileStan(m.source, { name: m.id });
  if ('diagnostics' in r) {
    const d = r.diagnostics.find((x) => x.severity === 'error') ?? r.diagnostics[0];
    const why = d ? `${d.line}: ${d.message}` : 'unknown';
    const key = d?.message.replace(/"[^"]*"/, (s) => s) ?? 'unknown';
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
    console.log(`${m.id.padEnd(72)} unsupported  ${why}`);
    continue;
  }
  compiles++;
  const leftOut = r.warnings.find((w) => w.message.startsWith('generated quantities are not computed'));
  if (leftOut) generatedLeftOut.push(`${m.id}: ${leftOut.line}: ${leftOut.message}`);
  else if (r.program.generated.length > 0) generated++;
  if (!existsSync(m.dataPath)) {
    console.log(`${m.id.padEnd(72)} compiles     (no data.json)`);
    continue;
  }
  try {
    const data = JSON.parse(readFileSync(m.dataPath, 'utf8')) as StanData;
    const host = r.host(data);
    const p = r.model.prepare(data);
    const lp = r.logDensity(host, new Float64Array(p.dimension)).lp;
    prepared++;
    console.log(`${m.id.padEnd(72)} compiles     D = ${p.dimension}, lp(0) = ${lp.toPrecision(8)}`);
  } catch (error) {
    console.log(`${m.id.padEnd(72)} compiles     but: ${(error as Error).message.split('\n')[0]}`);
  }
}
console.log(
  `\n${compiles} compile, ${prepared} of them prepare their data (within the GPU memory limit) and evaluate`,
);
console.log('unsupported, by first reason:');
for (const [why, n] of [...reasons].sort((a, b) => b[1] - a[1]))
  console.log(`  ${String(n).padStart(3)}  ${why}`);
console.log(
  `of those that compile, ${generated + generatedLeftOut.length} have generated quantities: ${generated} computed, ${generatedLeftOut.length} left out`,
);
for (const line of generatedLeftOut) console.log(`  ${line}`);
