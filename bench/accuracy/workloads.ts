/**
 * The accuracy benchmark's workloads: a built-in model, its data (Stan JSON, generated from fixed seeds or
 * posteriordb's) and the exact or reference posterior of its reported parameters, in the model's paramNames
 * order (constrained space). Every system (webgpu-vi, Stan's ADVI in bench/peers/stan) runs the same data and
 * is scored against the same reference.
 */
import type { StanData } from '../../src/models/data';
import { eightSchools } from '../../src/models/eight-schools';
import { hmm } from '../../src/models/hmm';
import { linreg, linregExactPosterior, readLinregData } from '../../src/models/linreg';
import { logistic } from '../../src/models/logistic';
import { normalMean } from '../../src/models/normal-mean';
import type { ModelDefinition } from '../../src/models/types';
import { correlatedLinregData, dataFingerprint, logisticWorkloadData } from './data';
import logisticReferenceJson from './logistic-reference.json';

export type AccuracyModelName = 'normal-mean' | 'linreg' | 'logistic' | 'eight-schools' | 'hmm';
export type AccuracyWorkloadName = 'normal-mean' | 'linreg-correlated' | 'eight-schools' | 'hmm' | 'logistic';
export const ACCURACY_WORKLOAD_NAMES: readonly AccuracyWorkloadName[] = [
  'normal-mean',
  'linreg-correlated',
  'eight-schools',
  'hmm',
  'logistic',
];

export interface ReferencePosterior {
  /** The model's paramNames (Stan style, e.g. "theta[1]"), in its order. */
  readonly names: readonly string[];
  readonly mean: readonly number[];
  readonly sd: readonly number[];
  /** The full covariance, where the posterior is an exact Gaussian (linreg-correlated). */
  readonly covariance?: readonly (readonly number[])[];
  /**
   * For an exact Gaussian posterior: the best a mean-field Gaussian can do (the minimiser of KL(q || p), the
   * ELBO's optimum): the exact means, and sds 1 / sqrt(precision_jj), far below the marginal sds when the
   * posterior is correlated. Score a mean-field fit's sds against these, not against `sd`.
   */
  readonly meanfieldOptimum?: { readonly mean: readonly number[]; readonly sd: readonly number[] };
}

export interface AccuracyWorkload {
  readonly name: AccuracyWorkloadName;
  /** Our built-in model's name (src/models/registry.ts). */
  readonly model: AccuracyModelName;
  readonly title: string;
  readonly data: StanData;
  readonly reference: ReferencePosterior;
  readonly referenceSource: string;
}

function namesOf(model: ModelDefinition, data: StanData): readonly string[] {
  return model.prepare(data).paramNames;
}

function exactWorkload(): AccuracyWorkload {
  const data = normalMean.defaultData();
  const prepared = normalMean.prepare(data);
  if (!prepared.exact) throw new Error('normal-mean: prepare() gave no exact posterior');
  return {
    name: 'normal-mean',
    model: 'normal-mean',
    title: 'normal-mean (D = 1, N = 20; conjugate)',
    data,
    // One dimension: the mean-field family is the full Gaussian family, so its optimum is the exact posterior.
    reference: { names: prepared.paramNames, ...prepared.exact, meanfieldOptimum: prepared.exact },
    referenceSource: 'exact conjugate posterior (normalMean.prepare(data).exact)',
  };
}

/** The diagonal of linreg's posterior precision, X'X / sigma^2 + I / prior_sd^2, in float64. */
function linregPrecisionDiagonal(data: StanData): number[] {
  const { n, d, x, sigma, priorSd } = readLinregData(data);
  return Array.from({ length: d }, (_, j) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (x[i * d + j] as number) ** 2;
    return sum / sigma ** 2 + 1 / priorSd ** 2;
  });
}

function linregWorkload(): AccuracyWorkload {
  const data = correlatedLinregData();
  const { mean, cov } = linregExactPosterior(data);
  return {
    name: 'linreg-correlated',
    model: 'linreg',
    title: 'linreg-correlated (N = 200, D = 5, one shared factor; condition number 1.8e4)',
    data,
    reference: {
      names: namesOf(linreg, data),
      mean,
      sd: cov.map((row, j) => Math.sqrt(row[j] as number)),
      covariance: cov,
      meanfieldOptimum: { mean, sd: linregPrecisionDiagonal(data).map((p) => 1 / Math.sqrt(p)) },
    },
    referenceSource: 'exact Gaussian posterior, float64 (linregExactPosterior)',
  };
}

function posteriordbWorkload(
  name: 'eight-schools' | 'hmm',
  model: ModelDefinition,
  title: string,
): AccuracyWorkload {
  const data = model.defaultData();
  const prepared = model.prepare(data);
  if (!prepared.reference) throw new Error(`${name}: prepare() gave no reference posterior for its own data`);
  return {
    name,
    model: name,
    title,
    data,
    reference: { names: prepared.paramNames, ...prepared.reference },
    referenceSource: `posteriordb's reference draws (NUTS; ${model.name}.prepare(data).reference)`,
  };
}

function logisticWorkload(): AccuracyWorkload {
  const data = logisticWorkloadData();
  const stored = logisticReferenceJson;
  if (stored.dataFingerprint !== dataFingerprint(data)) {
    throw new Error(
      'bench/accuracy/logistic-reference.json was computed for other data than logisticWorkloadData() gives ' +
        '(the data fingerprints differ): regenerate it with npx vite-node bench/accuracy/make-logistic-reference.ts',
    );
  }
  const names = namesOf(logistic, data);
  if (stored.names.join() !== names.join())
    throw new Error('logistic-reference.json: names differ from paramNames');
  return {
    name: 'logistic',
    model: 'logistic',
    title: 'logistic (synthetic, N = 1000, D = 10, seed 1)',
    data,
    reference: { names, mean: stored.mean, sd: stored.sd },
    referenceSource:
      `bench/reference/logistic_posterior.py (${stored.method}); cross-checked by ${stored.nuts.method}: ` +
      `means within ${stored.agreement.maxMeanZ.toFixed(1)} standard errors, sds within ` +
      `${(100 * stored.agreement.maxSdRelDiff).toFixed(1)} %`,
  };
}

const BUILDERS: Readonly<Record<AccuracyWorkloadName, () => AccuracyWorkload>> = {
  'normal-mean': exactWorkload,
  'linreg-correlated': linregWorkload,
  'eight-schools': () =>
    posteriordbWorkload(
      'eight-schools',
      eightSchools,
      'eight-schools (non-centred; posteriordb, J = 8, D = 10)',
    ),
  hmm: () => posteriordbWorkload('hmm', hmm, 'hmm (posteriordb hmm_example, N = 100, D = 4)'),
  logistic: logisticWorkload,
};

/** One workload, built afresh (cheap, and never shared between callers). */
export function accuracyWorkload(name: AccuracyWorkloadName): AccuracyWorkload {
  const build = BUILDERS[name];
  if (!build)
    throw new Error(`unknown accuracy workload "${name}": expected ${ACCURACY_WORKLOAD_NAMES.join(', ')}`);
  return build();
}

/** All five, in ACCURACY_WORKLOAD_NAMES order. */
export function accuracyWorkloads(): AccuracyWorkload[] {
  return ACCURACY_WORKLOAD_NAMES.map(accuracyWorkload);
}
