/** The mean-field Gaussian: lambda = (mu, omega = log sigma), each D values padded to vec4 blocks. */
import meanfieldWgsl from '../../../shaders/families/meanfield.wgsl?raw';
import { vec4Count } from '../../models/types';
import type { FamilyDescriptor } from './types';

export const MEANFIELD: FamilyDescriptor = {
  name: 'meanfield',
  title: 'Mean-field Gaussian',
  wgsl: meanfieldWgsl,
  maxDimension: 256,
  hasScore: true,
  closedFormEntropy: true,
  stanLogG: 'standard-normal',
  blocks: (d) => 2 * vec4Count(d),
  initial(d, scale = 1) {
    const lambda = new Float32Array(2 * vec4Count(d) * 4);
    lambda.fill(Math.log(scale), vec4Count(d) * 4, vec4Count(d) * 4 + d);
    return lambda;
  },
  // Means: sigma^2 (the inverse of the ELBO's curvature there); log sds: 1/2 (its curvature is 2 at the optimum).
  precondition(lambda, d) {
    const offset = vec4Count(d) * 4;
    const variance = Array.from({ length: d }, (_, i) => Math.exp(2 * (lambda[offset + i] as number)));
    return (v) =>
      Float64Array.from(v, (x, i) =>
        i < offset ? (i < d ? x * (variance[i] as number) : 0) : i - offset < d ? x / 2 : 0,
      );
  },
  entropy(lambda, d) {
    const offset = vec4Count(d) * 4;
    let sum = 0;
    for (let i = 0; i < d; i++) sum += lambda[offset + i] as number;
    return sum + 0.5 * d * (1 + Math.log(2 * Math.PI));
  },
  marginals(lambda, d) {
    const offset = vec4Count(d) * 4;
    return {
      mean: Array.from({ length: d }, (_, i) => lambda[i] as number),
      sd: Array.from({ length: d }, (_, i) => Math.exp(lambda[offset + i] as number)),
    };
  },
};
