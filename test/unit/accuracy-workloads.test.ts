import { describe, expect, it } from 'vitest';
import { correlatedLinregData, dataFingerprint } from '../../bench/accuracy/data';
import logisticReference from '../../bench/accuracy/logistic-reference.json';
import { ACCURACY_WORKLOAD_NAMES, accuracyWorkload, accuracyWorkloads } from '../../bench/accuracy/workloads';
import { getModel } from '../../src/models/registry';
import { linregReference } from '../reference/linreg';

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (float64; fine for D <= 10). */
function symmetricEigenvalues(matrix: readonly (readonly number[])[]): number[] {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const at = (i: number, j: number): number => a[i]?.[j] as number;
  const set = (i: number, j: number, v: number): void => {
    (a[i] as number[])[j] = v;
  };
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += at(p, q) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (at(p, q) === 0) continue;
        const theta = (at(q, q) - at(p, p)) / (2 * at(p, q));
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = at(k, p);
          const akq = at(k, q);
          set(k, p, c * akp - s * akq);
          set(k, q, s * akp + c * akq);
        }
        for (let k = 0; k < n; k++) {
          const apk = at(p, k);
          const aqk = at(q, k);
          set(p, k, c * apk - s * aqk);
          set(q, k, s * apk + c * aqk);
        }
      }
    }
  }
  return a.map((row, i) => row[i] as number);
}

describe('accuracy workloads (bench/accuracy)', () => {
  it('the eigenvalue helper recovers known eigenvalues', () => {
    const eig = symmetricEigenvalues([
      [2, 1, 0],
      [1, 2, 0],
      [0, 0, 5],
    ]).sort((x, y) => x - y);
    expect(eig[0]).toBeCloseTo(1, 12);
    expect(eig[1]).toBeCloseTo(3, 12);
    expect(eig[2]).toBeCloseTo(5, 12);
  });

  it('gives five workloads whose references follow each model’s paramNames', () => {
    const workloads = accuracyWorkloads();
    expect(workloads.map((w) => w.name)).toEqual(ACCURACY_WORKLOAD_NAMES);
    for (const w of workloads) {
      const prepared = getModel(w.model).prepare(w.data);
      expect(w.reference.names, w.name).toEqual(prepared.paramNames);
      expect(w.reference.mean.length, w.name).toBe(prepared.paramNames.length);
      expect(
        w.reference.sd.every((s) => Number.isFinite(s) && s > 0),
        w.name,
      ).toBe(true);
    }
    expect(accuracyWorkload('eight-schools').reference.names).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `theta[${i + 1}]`),
      'mu',
      'tau',
    ]);
    expect(accuracyWorkload('hmm').reference.names).toEqual([
      'theta1[1]',
      'theta1[2]',
      'theta2[1]',
      'theta2[2]',
      'mu[1]',
      'mu[2]',
    ]);
  });

  it('generates the same data from the same seed, and other data from another', () => {
    expect(JSON.stringify(correlatedLinregData())).toBe(JSON.stringify(correlatedLinregData()));
    expect(dataFingerprint(correlatedLinregData(1))).not.toBe(dataFingerprint(correlatedLinregData()));
    const data = accuracyWorkload('linreg-correlated').data;
    expect([data.N, data.D]).toEqual([200, 5]);
  });

  it('linreg-correlated: its exact posterior has condition number >= 1e4 and inverts the log density’s Hessian', () => {
    const { data, reference } = accuracyWorkload('linreg-correlated');
    const cov = reference.covariance ?? [];
    const d = cov.length;
    expect(d).toBe(5);
    const eig = symmetricEigenvalues(cov);
    const condition = Math.max(...eig) / Math.min(...eig);
    expect(Math.min(...eig)).toBeGreaterThan(0);
    expect(condition).toBeGreaterThanOrEqual(1e4);
    cov.forEach((row, j) => expect(reference.sd[j]).toBeCloseTo(Math.sqrt(row[j] as number), 12));

    // Independently of linregExactPosterior: the float64 reference model's gradient vanishes at the mean,
    // and its Hessian (exact by differences, the log density being quadratic) times the covariance is -I.
    const model = linregReference(data);
    const gradAt = (z: readonly number[]): Float64Array => model.logJoint(Float64Array.from(z)).grad;
    const atMean = gradAt(reference.mean);
    atMean.forEach((g) => expect(Math.abs(g)).toBeLessThan(1e-8));
    const hessian = Array.from({ length: d }, (_, k) => {
      const step = [...reference.mean];
      step[k] = (step[k] as number) + 1;
      const g = gradAt(step);
      return Array.from(g, (v, j) => v - (atMean[j] as number));
    });
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const product = hessian[i]?.reduce((s, h, k) => s + h * (cov[k]?.[j] as number), 0) as number;
        expect(product).toBeCloseTo(i === j ? -1 : 0, 6);
      }
    }
    // The mean-field optimum of a Gaussian: the exact means, and variances 1 / precision_jj = -1 / H_jj.
    const optimum = reference.meanfieldOptimum;
    expect(optimum?.mean).toEqual(reference.mean);
    optimum?.sd.forEach((s, j) => expect(s * s * -(hessian[j]?.[j] as number)).toBeCloseTo(1, 9));
    expect(Math.max(...(optimum?.sd ?? []).map((s, j) => s / (reference.sd[j] as number)))).toBeLessThan(
      0.05,
    );
  });

  it('logistic: the stored reference is for this data and agrees with the long NUTS run within Monte Carlo error', () => {
    const { reference } = accuracyWorkload('logistic');
    const nuts = logisticReference.nuts;
    reference.names.forEach((_, j) => {
      const meanZ =
        Math.abs((reference.mean[j] as number) - (nuts.mean[j] as number)) /
        Math.hypot(logisticReference.seMean[j] as number, nuts.seMean[j] as number);
      const sdZ =
        Math.abs((reference.sd[j] as number) - (nuts.sd[j] as number)) /
        Math.hypot(logisticReference.seSd[j] as number, nuts.seSd[j] as number);
      expect(meanZ).toBeLessThan(4);
      expect(sdZ).toBeLessThan(4);
    });
    expect(Math.max(...nuts.rhat)).toBeLessThan(1.01);
  });
});
