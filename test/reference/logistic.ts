/** Float64 reference for logistic regression, written from the model's definition (not from the WGSL). */
import type { StanData } from '../../src/models/data';
import { addNormalPrior, type ReferenceModel } from './models';

/** log(1 + exp(x)) without overflow. */
function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function invLogit(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function logisticReference(data: StanData): ReferenceModel {
  const X = data.X as number[][];
  const y = data.y as number[];
  const priorSd = data.prior_sd as number;
  return {
    logJoint(beta) {
      const grad = new Float64Array(beta.length);
      let lp = addNormalPrior(beta, priorSd, grad);
      X.forEach((row, i) => {
        const eta = row.reduce((s, x, j) => s + x * (beta[j] as number), 0);
        const yi = y[i] as number;
        // Bernoulli-logit: y log p + (1 - y) log(1 - p) = y eta - log(1 + exp(eta)).
        lp += yi * eta - log1pExp(eta);
        const residual = yi - invLogit(eta);
        row.forEach((x, j) => (grad[j] = (grad[j] as number) + residual * x));
      });
      return { lp, grad };
    },
    reported: (beta) => Float64Array.from(beta),
  };
}
