/**
 * The low-rank plus diagonal Gaussian in float64, written from its definition (dense Sigma = diag(sigma^2) +
 * B B^T and its Cholesky factor, no Woodbury), and the engine's base noise regenerated from Philox: an
 * independent reference for shaders/families/lowrank.wgsl.
 */
import { vec4Count } from '../../src/models/types';
import { philoxKey } from '../../src/vi/program';
import { philox4x32_10 } from './philox';

export interface LowRankParams {
  readonly mean: number[];
  readonly sigma: number[];
  /** D x K, row-major. */
  readonly b: number[][];
}

export function unpackLowRank(lambda: ArrayLike<number>, d: number, k: number): LowRankParams {
  const w = vec4Count(d) * 4;
  return {
    mean: Array.from({ length: d }, (_, i) => lambda[i] as number),
    sigma: Array.from({ length: d }, (_, i) => Math.exp(lambda[w + i] as number)),
    b: Array.from({ length: d }, (_, i) =>
      Array.from({ length: k }, (_, j) => lambda[(2 + j) * w + i] as number),
    ),
  };
}

export function covariance(q: LowRankParams): number[][] {
  const d = q.mean.length;
  return Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => {
      let s = i === j ? (q.sigma[i] as number) ** 2 : 0;
      (q.b[i] as number[]).forEach((x, k) => (s += x * (q.b[j]?.[k] as number)));
      return s;
    }),
  );
}

export function cholesky(a: readonly (readonly number[])[]): number[][] {
  const n = a.length;
  const l = a.map((row) => row.map(() => 0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]?.[j] as number;
      for (let m = 0; m < j; m++) s -= (l[i]?.[m] as number) * (l[j]?.[m] as number);
      (l[i] as number[])[j] = i === j ? Math.sqrt(s) : s / (l[j]?.[j] as number);
    }
  }
  return l;
}

/** log N(z | mean, Sigma) by a dense Cholesky factor of Sigma. */
export function logQ(q: LowRankParams, z: readonly number[]): number {
  const d = q.mean.length;
  const l = cholesky(covariance(q));
  const y: number[] = [];
  let logDet = 0;
  for (let i = 0; i < d; i++) {
    let s = (z[i] as number) - (q.mean[i] as number);
    for (let j = 0; j < i; j++) s -= (l[i]?.[j] as number) * (y[j] as number);
    y.push(s / (l[i]?.[i] as number));
    logDet += 2 * Math.log(l[i]?.[i] as number);
  }
  return -0.5 * y.reduce((a, v) => a + v * v, 0) - 0.5 * logDet - 0.5 * d * Math.log(2 * Math.PI);
}

export function entropy(q: LowRankParams): number {
  const l = cholesky(covariance(q));
  const d = q.mean.length;
  return l.reduce((a, row, i) => a + Math.log(row[i] as number), 0) + 0.5 * d * (1 + Math.log(2 * Math.PI));
}

/** z = mu + sigma eps1 + B eps2. */
export function sample(q: LowRankParams, eps1: readonly number[], eps2: readonly number[]): number[] {
  return q.mean.map(
    (m, i) =>
      m +
      (q.sigma[i] as number) * (eps1[i] as number) +
      (q.b[i] as number[]).reduce((a, x, k) => a + x * (eps2[k] as number), 0),
  );
}

/** Four normals, as philox_normal4 makes them (Box-Muller in float64 on the same uniforms). */
export function philoxNormal4(counter: readonly number[], seed: number): number[] {
  const words = philox4x32_10(counter, philoxKey(seed));
  const u = words.map((w) => ((w >>> 9) + 0.5) * 2 ** -23);
  const pair = (u1: number, u2: number) => {
    const r = Math.sqrt(-2 * Math.log(u1));
    return [r * Math.cos(2 * Math.PI * u2), r * Math.sin(2 * Math.PI * u2)];
  };
  return [...pair(u[0] as number, u[1] as number), ...pair(u[2] as number, u[3] as number)];
}

/** Sample s's (eps1, eps2) of an optimizer step on fixed samples (counter (s, block, 0, 0), elbo_step.wgsl). */
export function stepNoise(s: number, d: number, k: number, seed: number): { eps1: number[]; eps2: number[] } {
  const dv = vec4Count(d);
  const blocks = Array.from({ length: dv + vec4Count(k) }, (_, b) => philoxNormal4([s, b, 0, 0], seed));
  return {
    eps1: blocks.slice(0, dv).flat().slice(0, d),
    eps2: blocks.slice(dv).flat().slice(0, k),
  };
}
