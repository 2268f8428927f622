/** Adam on lambda (the finalize pass applies it; shaders/optimizers/adam.wgsl). */
import adamWgsl from '../../../shaders/optimizers/adam.wgsl?raw';
import type { OptimizerDescriptor } from './types';

export const ADAM: OptimizerDescriptor = {
  name: 'adam',
  title: 'Adam',
  wgsl: adamWgsl,
  settingsFields: [
    { name: 'lr', type: 'f32', doc: "Adam's learning rate" },
    { name: 'beta1', type: 'f32', doc: 'decay of the first moment' },
    { name: 'beta2', type: 'f32', doc: 'decay of the second moment' },
    { name: 'epsilon', type: 'f32', doc: "added to the second moment's root" },
  ],
  settingsValues: (s) => ({ lr: s.lr, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon }),
  // (t, 0, 0, 0), then m and v.
  stateBlocks: (pv) => 1 + 2 * pv,
  fixedSamples: false,
};
