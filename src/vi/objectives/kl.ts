/** The KL objective (the ELBO), with the reparameterisation gradient or sticking the landing. */
import klWgsl from '../../../shaders/objectives/kl.wgsl?raw';
import type { ObjectiveDescriptor } from './types';

export const KL: ObjectiveDescriptor = {
  name: 'kl',
  title: 'ELBO (KL(q || p))',
  wgsl: klWgsl,
  estimators: [
    { name: 'entropy', summary: "reparameterisation gradient, the entropy's term exact (closed form)" },
    {
      name: 'stl',
      summary: 'sticking the landing: d/dz log q subtracted, entropy term dropped; Adam only',
      stochasticOnly: true,
    },
  ],
  boundName: 'ELBO',
  valueBlocks: 1,
  closedIsEntropy: true,
  constants: (estimator) => ({ KL_STL: estimator === 'stl' }),
  incompatibility(family, estimator) {
    if (estimator === 'stl' && !family.hasScore) {
      return `the ${family.name} family has no score function (d/dz log q), which STL needs`;
    }
    return undefined;
  },
};
