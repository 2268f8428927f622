/**
 * Float64 CPU implementations of the built-in models' log joint densities (unconstrained space, with
 * log-Jacobians), their gradients and reported values: the independent reference the WGSL is checked against.
 * Written from the model definitions, not from the WGSL.
 */
import type { StanData } from '../../src/models/data';

export interface ReferenceModel {
  /** log p(X, z) and d/dz of it. */
  logJoint(z: Float64Array): { lp: number; grad: Float64Array };
  /** The reported (constrained, then transformed) values. */
  reported(z: Float64Array): Float64Array;
}

export const LOG_2PI = Math.log(2 * Math.PI);

function normalLpdf(x: number, mu: number, sd: number): number {
  const u = (x - mu) / sd;
  return -0.5 * u * u - Math.log(sd) - 0.5 * LOG_2PI;
}

/** Adds beta_j ~ normal(0, sd) for every j: returns its log density and adds its gradient into grad. */
export function addNormalPrior(beta: Float64Array, sd: number, grad: Float64Array): number {
  let lp = 0;
  beta.forEach((b, j) => {
    lp += normalLpdf(b, 0, sd);
    grad[j] = (grad[j] as number) - b / sd ** 2;
  });
  return lp;
}

export function normalMeanReference(data: StanData): ReferenceModel {
  const y = data.y as number[];
  const sigma = data.sigma as number;
  const mu0 = data.mu0 as number;
  const tau0 = data.tau0 as number;
  return {
    logJoint(z) {
      const x = z[0] as number;
      let lp = normalLpdf(x, mu0, tau0);
      let g = -(x - mu0) / tau0 ** 2;
      for (const yi of y) {
        lp += normalLpdf(yi, x, sigma);
        g += (yi - x) / sigma ** 2;
      }
      return { lp, grad: Float64Array.of(g) };
    },
    reported: (z) => Float64Array.of(z[0] as number),
  };
}

/** Central finite differences of f at z (float64), step h per coordinate. */
export function finiteDifferenceGradient(
  f: (z: Float64Array) => number,
  z: Float64Array,
  h = 1e-6,
): Float64Array {
  const grad = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    const up = Float64Array.from(z);
    const down = Float64Array.from(z);
    up[i] = (up[i] as number) + h;
    down[i] = (down[i] as number) - h;
    grad[i] = (f(up) - f(down)) / (2 * h);
  }
  return grad;
}
