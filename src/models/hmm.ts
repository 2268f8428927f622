/** hmm: posteriordb's hmm_example-hmm_example, the tutorial's 2-state hidden Markov model. */
import hmmWgsl from '../../shaders/models/hmm.wgsl?raw';
import { DataError, readInt, readVector, type StanData } from './data';
import hmmData from './data/hmm.json';
import hmmReference from './data/hmm-reference.json';
import type { ModelDefinition, PosteriorSummary, PreparedModel } from './types';

const PARAM_NAMES = ['theta1[1]', 'theta1[2]', 'theta2[1]', 'theta2[2]', 'mu[1]', 'mu[2]'] as const;

/** posteriordb's reference, reordered to PARAM_NAMES (its own order is kept in its `names`). */
function referenceSummary(): PosteriorSummary {
  const index = PARAM_NAMES.map((name) => {
    const i = hmmReference.names.indexOf(name);
    if (i < 0) throw new Error(`hmm reference has no "${name}"`);
    return i;
  });
  const pick = (values: readonly number[]) => index.map((i) => values[i] as number);
  return { mean: pick(hmmReference.mean), sd: pick(hmmReference.sd) };
}

function isDefaultData(y: Float64Array): boolean {
  return y.length === hmmData.N && hmmData.y.every((v, i) => v === y[i]);
}

/**
 * Samples per model call at most (the engine picks up to this on a CPU adapter): each y_t is loaded once for
 * the batch and the batch's forward passes interleave. On SwiftShader (2 cores, loaded) 4 per call took
 * 7.0-7.8 us of CPU per sample at 2^10 samples against 8.3-8.7 us at 1; at 2^14 they were level.
 */
const HMM_MAX_BATCH = 4;

export const hmm: ModelDefinition = {
  name: 'hmm',
  title: 'Hidden Markov model, 2 states, Gaussian emissions (posteriordb hmm_example)',
  wgsl: hmmWgsl,
  dataFields: [
    { name: 'N', declaration: 'int<lower=1> N' },
    { name: 'K', declaration: 'int<lower=0> K (states; this built-in supports K = 2)' },
    { name: 'y', declaration: 'array[N] real y' },
  ],
  defaultData: () => ({ N: hmmData.N, K: hmmData.K, y: [...hmmData.y] }),
  prepare(data: StanData): PreparedModel {
    const n = readInt(data, 'N', { min: 1 });
    const k = readInt(data, 'K');
    if (k !== 2) throw new DataError('K', 'K = 2 (this built-in supports K = 2 states)', String(k));
    const y = readVector(data, 'y', n, 'N');
    return {
      dimension: 4,
      paramNames: PARAM_NAMES,
      constants: {
        HMM_N: { type: 'u32', value: n },
        HMM_LP_CONST: { type: 'f32', value: -0.5 * (n + 2) * Math.log(2 * Math.PI) },
      },
      maxBatch: HMM_MAX_BATCH,
      buffers: [{ label: 'hmm y', data: Float32Array.from(y) }],
      ...(isDefaultData(y) ? { reference: referenceSummary() } : {}),
    };
  },
};
