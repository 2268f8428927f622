/** normal-mean: the tutorial's one-latent model, with its exact (conjugate) posterior. */
import normalMeanWgsl from '../../shaders/models/normal_mean.wgsl?raw';
import { readInt, readReal, readVector, type StanData } from './data';
import type { ModelDefinition, PreparedModel } from './types';

/** Twenty draws from N(1.5, 1), fixed so the page and the tests start from the same data. */
const DEFAULT_Y = [
  2.13, 0.42, 1.97, 1.05, 2.88, 1.61, 0.73, 2.31, 1.18, 1.84, 0.96, 2.52, 1.37, 0.11, 1.73, 2.05, 1.49, 0.87,
  2.64, 1.26,
];

export const normalMean: ModelDefinition = {
  name: 'normal-mean',
  title: 'Normal mean with known sd (conjugate; exact posterior)',
  wgsl: normalMeanWgsl,
  dataFields: [
    { name: 'N', declaration: 'int<lower=1> N' },
    { name: 'y', declaration: 'vector[N] y' },
    { name: 'sigma', declaration: 'real<lower=0> sigma (known)' },
    { name: 'mu0', declaration: 'real mu0 (prior mean)' },
    { name: 'tau0', declaration: 'real<lower=0> tau0 (prior sd)' },
  ],
  defaultData: () => ({ N: DEFAULT_Y.length, y: DEFAULT_Y, sigma: 1, mu0: 0, tau0: 10 }),
  prepare(data: StanData): PreparedModel {
    const n = readInt(data, 'N', { min: 1 });
    const y = readVector(data, 'y', n, 'N');
    const sigma = readReal(data, 'sigma', { positive: true });
    const mu0 = readReal(data, 'mu0');
    const tau0 = readReal(data, 'tau0', { positive: true });
    const sum = y.reduce((a, b) => a + b, 0);
    const ybar = sum / n;
    const ss = y.reduce((a, b) => a + (b - ybar) ** 2, 0);
    const log2pi = Math.log(2 * Math.PI);
    const lpConst = -0.5 * log2pi - Math.log(tau0) - n * (0.5 * log2pi + Math.log(sigma));
    const precision = 1 / tau0 ** 2 + n / sigma ** 2;
    return {
      dimension: 1,
      paramNames: ['z'],
      constants: {},
      buffers: [
        { label: 'normal-mean data', data: Float32Array.of(ybar, ss, n, sigma, mu0, tau0, lpConst, 0) },
      ],
      exact: { mean: [(mu0 / tau0 ** 2 + sum / sigma ** 2) / precision], sd: [1 / Math.sqrt(precision)] },
    };
  },
};
