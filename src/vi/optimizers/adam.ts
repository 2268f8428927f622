/**
 * Adam on lambda (the finalize pass applies it; shaders/optimizers/adam.wgsl), with lambda averaged over each
 * window of evalEvery steps: the window mean is what the host reads at window ends and what a fit reports.
 */
import adamWgsl from '../../../shaders/optimizers/adam.wgsl?raw';
import type { OptimizerDescriptor } from './types';

/**
 * --lr auto: the learning rates tried, largest first (each for one window of steps from the start; the one
 * with the best ELBO is kept, as Stan's ADVI adapts its eta: src/vi/fit.ts). Adam moves each parameter about
 * lr per step, so these span posteriors whose unconstrained scales reach from tens down to hundredths.
 */
export const ADAM_LR_CANDIDATES: readonly number[] = [0.3, 0.1, 0.03, 0.01];

/** restart_step's "never". */
export const ADAM_NO_RESTART = 0xffffffff;

export const ADAM: OptimizerDescriptor = {
  name: 'adam',
  title: 'Adam',
  wgsl: adamWgsl,
  settingsFields: [
    { name: 'lr', type: 'f32', doc: "Adam's learning rate" },
    { name: 'beta1', type: 'f32', doc: 'decay of the first moment' },
    { name: 'beta2', type: 'f32', doc: 'decay of the second moment' },
    { name: 'epsilon', type: 'f32', doc: "added to the second moment's root" },
    { name: 'average_window', type: 'u32', doc: 'steps per averaging window (evalEvery)' },
    { name: 'restart_step', type: 'u32', doc: 'the step at which the moments start afresh (none: u32 max)' },
  ],
  settingsValues: (s) => ({
    lr: s.lr === 'auto' ? (ADAM_LR_CANDIDATES[0] as number) : s.lr,
    beta1: s.beta1,
    beta2: s.beta2,
    epsilon: s.epsilon,
    average_window: s.evalEvery,
    restart_step: ADAM_NO_RESTART,
  }),
  // (t, n, 0, 0), then m, v and the window mean of lambda.
  stateBlocks: (pv) => 1 + 3 * pv,
  reportedLambdaOffset: (pv) => 1 + 2 * pv,
  hostViewOffset: (pv) => 1 + 2 * pv,
  driver: 'gpu',
  fixedSamples: false,
};
