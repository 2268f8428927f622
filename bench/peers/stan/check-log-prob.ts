/**
 * Checks that each peer Stan program defines the same posterior as our built-in model on its accuracy workload:
 * rstan's log_prob and grad_log_prob (unconstrained space, jacobian adjusted) against our float64 reference
 * models (test/reference, which test/gpu checks the WGSL against) at a few points, up to the known constant
 * LOG_PROB_OFFSET. Writes what Stan said to bench/peers/stan/log-prob-check.json, so that
 * test/unit/stan-peer-models.test.ts repeats the comparison without R.
 *   npx vite-node bench/peers/stan/check-log-prob.ts        (needs R + rstan)
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { getModel } from '../../../src/models/registry';
import { seededRandom } from '../../../src/models/synthetic';
import { dataFingerprint } from '../../accuracy/data';
import { accuracyWorkloads, type AccuracyWorkload } from '../../accuracy/workloads';
import { referenceModelFor } from './reference-models';
import { LOG_PROB_OFFSET, runStanJob, STAN_MODEL_FILES } from './stan';

const OUT = fileURLToPath(new URL('./log-prob-check.json', import.meta.url));

/**
 * Points on the unconstrained space: three standard-normal draws, and for the models whose parameters are
 * unconstrained (z = beta) the reference mean, where the posterior mass is.
 */
function checkPoints(workload: AccuracyWorkload, seed: number): number[][] {
  const dimension = getModel(workload.model).prepare(workload.data).dimension;
  const random = seededRandom(seed);
  const points = Array.from({ length: 3 }, () => Array.from({ length: dimension }, () => random.normal()));
  if (workload.reference.names.length === dimension && workload.model !== 'eight-schools') {
    points.push([...workload.reference.mean]);
  }
  return points;
}

const entries = [];
const rows: string[] = [];
let rstanVersion = '';
for (const [index, workload] of accuracyWorkloads().entries()) {
  const points = checkPoints(workload, 1000 + index);
  const stan = await runStanJob({
    model: STAN_MODEL_FILES[workload.model],
    data: workload.data,
    algorithm: 'log_prob',
    seed: 1,
    params: [],
    points,
  });
  rstanVersion = stan.rstanVersion;
  const logProb = stan.logProb ?? [];
  const grad = stan.gradLogProb ?? [];
  const reference = referenceModelFor(workload.model, workload.data);
  const offset = LOG_PROB_OFFSET[workload.model];
  let lpError = 0;
  let gradError = 0;
  points.forEach((z, i) => {
    const ours = reference.logJoint(Float64Array.from(z));
    lpError = Math.max(lpError, Math.abs(ours.lp - (logProb[i] as number) - offset));
    ours.grad.forEach((g, j) => {
      const theirs = grad[i]?.[j] as number;
      gradError = Math.max(gradError, Math.abs(g - theirs) / (1 + Math.abs(g)));
    });
  });
  rows.push(
    `${workload.name.padEnd(18)} ${String(points.length).padStart(6)} ${offset.toFixed(6).padStart(9)} ` +
      `${lpError.toExponential(2).padStart(13)} ${gradError.toExponential(2).padStart(14)}   ` +
      `lp at first point: ours ${reference.logJoint(Float64Array.from(points[0] ?? [])).lp.toFixed(4)}, ` +
      `Stan ${(logProb[0] as number).toFixed(4)}`,
  );
  entries.push({
    name: workload.name,
    model: workload.model,
    dataFingerprint: dataFingerprint(workload.data),
    offset,
    points,
    logProb,
    gradLogProb: grad,
  });
}

const fixture = {
  note:
    "rstan's log_prob / grad_log_prob (adjust_transform = TRUE) of bench/peers/stan/models at these points; " +
    'written by bench/peers/stan/check-log-prob.ts, do not edit.',
  rstan: rstanVersion,
  workloads: entries,
};
const text = await format(JSON.stringify(fixture), { ...(await resolveConfig(OUT)), filepath: OUT });
await writeFile(OUT, text);
console.log('workload           points    offset   max |lp err|  max grad err');
for (const row of rows) console.log(row);
