/** The isotropic Gaussian family, q = N(mu, sigma^2 I): a family defined outside src/ (see isotropic.wgsl). */
import isotropicWgsl from './isotropic.wgsl?raw';
import { vec4Count } from '../../src/models/types';
import type { FamilyDescriptor } from '../../src/vi/families/types';

export const ISOTROPIC: FamilyDescriptor = {
  name: 'isotropic',
  title: 'Isotropic Gaussian',
  wgsl: isotropicWgsl,
  maxDimension: 256,
  hasScore: true,
  closedFormEntropy: true,
  blocks: (d) => vec4Count(d) + 1,
  initial: (d) => new Float32Array((vec4Count(d) + 1) * 4),
  marginals(lambda, d) {
    const sd = Math.exp(lambda[vec4Count(d) * 4] as number);
    return {
      mean: Array.from({ length: d }, (_, i) => lambda[i] as number),
      sd: Array.from({ length: d }, () => sd),
    };
  },
};
