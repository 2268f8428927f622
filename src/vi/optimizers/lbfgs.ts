/**
 * L-BFGS on fixed samples ("deterministic ADVI", Giordano, Ingram & Broderick, JMLR 2024): every evaluation
 * uses the same draws of eps (the RNG's step word stays 0), so the Monte Carlo ELBO is a smooth deterministic
 * function of lambda and a quasi-Newton method with a line search converges in tens of iterations. The GPU
 * evaluates the bound and its gradient (shaders/optimizers/host_gradient.wgsl); the host runs the algorithm
 * in float64 (lbfgs-core.ts, driven by src/vi/fit-host.ts), moving lambda once per evaluation.
 */
import hostGradientWgsl from '../../../shaders/optimizers/host_gradient.wgsl?raw';
import type { OptimizerDescriptor } from './types';

export const LBFGS: OptimizerDescriptor = {
  name: 'lbfgs',
  title: 'L-BFGS on fixed samples',
  wgsl: hostGradientWgsl,
  settingsFields: [],
  settingsValues: () => ({}),
  stateBlocks: (pv) => pv,
  hostViewOffset: () => 0,
  fixedSamples: true,
  driver: 'host',
};
