/** Float64 reference for linreg, written from the model's definition (not from the WGSL). */
import type { StanData } from '../../src/models/data';
import { addNormalPrior, LOG_2PI, type ReferenceModel } from './models';

export function linregReference(data: StanData): ReferenceModel {
  const X = data.X as number[][];
  const y = data.y as number[];
  const sigma = data.sigma as number;
  const priorSd = data.prior_sd as number;
  return {
    logJoint(beta) {
      const grad = new Float64Array(beta.length);
      let lp = addNormalPrior(beta, priorSd, grad);
      X.forEach((row, i) => {
        const mu = row.reduce((s, x, j) => s + x * (beta[j] as number), 0);
        const r = (y[i] as number) - mu;
        lp += -0.5 * (r / sigma) ** 2 - Math.log(sigma) - 0.5 * LOG_2PI;
        row.forEach((x, j) => (grad[j] = (grad[j] as number) + (r * x) / sigma ** 2));
      });
      return { lp, grad };
    },
    reported: (beta) => Float64Array.from(beta),
  };
}
