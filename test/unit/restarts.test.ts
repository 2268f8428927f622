/** Restarts on the host (no GPU): where each restart starts, which one the result reports, how they pool. */
import { describe, expect, it } from 'vitest';
import { findFamily } from '../../src/vi/families/registry';
import type { FamilyDescriptor } from '../../src/vi/families/types';
import type { DensityDrawSet } from '../../src/vi/result';
import {
  bestRestart,
  gatherPooledDraws,
  poolByResampling,
  resampleIndices,
  restartStart,
  START_RADIUS,
  startStream,
} from '../../src/vi/restarts';

const family = (name: string): FamilyDescriptor => {
  const f = findFamily(name);
  if (!f) throw new Error(name);
  return f;
};

describe('restartStart', () => {
  it("restart 0 is the family's initial lambda; the others move only the means", () => {
    for (const name of ['meanfield', 'fullrank', 'lowrank', 'flow']) {
      const f = family(name);
      const d = 5;
      const initial = f.initial(d);
      expect(Array.from(restartStart(f, d, 1, 0))).toEqual(Array.from(initial));
      const other = restartStart(f, d, 1, 3);
      expect(Array.from(other.slice(d))).toEqual(Array.from(initial.slice(d)));
      // The means are what the family reports as q's means (flow's marginals are estimates from 4096 fixed
      // draws: within 0.1 of a unit sd; the others exact).
      const tol = name === 'flow' ? 0.1 : 1e-6;
      const moved = f.marginals(other, d);
      const still = f.marginals(initial, d);
      moved.mean.forEach((m, i) => expect(Math.abs(m - (other[i] as number))).toBeLessThan(tol));
      moved.sd.forEach((sd, i) => expect(Math.abs(sd - (still.sd[i] as number))).toBeLessThan(tol));
    }
  });

  it('draws the means reproducibly from the seed, uniform on (-2, 2), different for each restart and seed', () => {
    const f = family('meanfield');
    const d = 4000;
    const a = restartStart(f, d, 7, 1);
    expect(Array.from(restartStart(f, d, 7, 1))).toEqual(Array.from(a));
    expect(Array.from(restartStart(f, d, 7, 2))).not.toEqual(Array.from(a));
    expect(Array.from(restartStart(f, d, 8, 1))).not.toEqual(Array.from(a));
    expect(Array.from(restartStart(f, d, 7 + 2 ** 32, 1))).not.toEqual(Array.from(a));
    const means = Array.from(a.slice(0, d));
    expect(Math.max(...means.map(Math.abs))).toBeLessThan(START_RADIUS);
    // Uniform(-2, 2): mean 0 (sd 2/sqrt(3)/sqrt(n) = 0.018), variance 4/3 (sd of the estimate ~0.02), and every
    // quarter of the interval holds about n/4 (binomial sd 27).
    const mean = means.reduce((x, y) => x + y, 0) / d;
    const variance = means.reduce((x, y) => x + (y - mean) ** 2, 0) / d;
    expect(Math.abs(mean)).toBeLessThan(5 * 0.018);
    expect(Math.abs(variance - 4 / 3)).toBeLessThan(5 * 0.02);
    for (let q = 0; q < 4; q++) {
      const inside = means.filter((m) => m >= -2 + q && m < -1 + q).length;
      expect(Math.abs(inside - d / 4)).toBeLessThan(5 * 27);
    }
  });
});

describe('bestRestart', () => {
  const r = (final: number, diverged = false) => ({ final, diverged });
  it('is the best final ELBO, the lowest index on a tie', () => {
    expect(bestRestart([r(-3), r(-1), r(-2)])).toBe(1);
    expect(bestRestart([r(-1), r(-1)])).toBe(0);
    expect(bestRestart([r(-5)])).toBe(0);
  });
  it('passes over NaN and diverged restarts unless nothing else is left', () => {
    expect(bestRestart([r(Number.NaN), r(-4)])).toBe(1);
    expect(bestRestart([r(10, true), r(-4)])).toBe(1);
    expect(bestRestart([r(-2, true), r(-1, true)])).toBe(1);
    expect(bestRestart([r(Number.NaN), r(Number.NaN)])).toBe(0);
  });
});

describe('resampleIndices', () => {
  it('draws each index in proportion to its weight, within binomial error, reproducibly from the seed', () => {
    // Three indices with weights 0.2, 0 and 0.8 (unnormalised: the logs are shifted by 7).
    const logWeights = [Math.log(0.2) + 7, Number.NEGATIVE_INFINITY, Math.log(0.8) + 7];
    const n = 20_000;
    const a = resampleIndices(logWeights, n, 5);
    expect(Array.from(resampleIndices(logWeights, n, 5))).toEqual(Array.from(a));
    expect(Array.from(resampleIndices(logWeights, n, 6))).not.toEqual(Array.from(a));
    // A shorter resample is a prefix of a longer one.
    expect(Array.from(resampleIndices(logWeights, 100, 5))).toEqual(Array.from(a.slice(0, 100)));
    const counts = [0, 0, 0];
    for (const i of a) counts[i] = (counts[i] as number) + 1;
    expect(counts[1]).toBe(0);
    // Binomial sd sqrt(n 0.2 0.8) = 57.
    expect(Math.abs((counts[0] as number) - 0.2 * n)).toBeLessThan(5 * 57);
  });

  it('refuses a pool without a positive weight', () => {
    expect(() => resampleIndices([Number.NEGATIVE_INFINITY, Number.NaN], 10, 1)).toThrow(/finite positive/);
  });
});

describe('poolByResampling', () => {
  it('two restarts with constant log weights log 0.3 and log 0.7: resampled 0.3 / 0.7 within binomial error', () => {
    // Restart k's draws all have log p - log q_k = log(w_k): q_k is p's component k exactly (the bimodal
    // case). The tail is constant, so PSIS smooths nothing and the weights stay exact.
    const m = 2000;
    const logRatios = [new Float64Array(m).fill(Math.log(0.3)), new Float64Array(m).fill(Math.log(0.7))];
    const n = 10_000;
    const { indices, report } = poolByResampling(logRatios, n, 3);
    if (!indices) throw new Error('no indices');
    expect(report.status).toBe('constant-tail');
    expect(report.level).toBe('good');
    expect(report.poolDraws).toBe(2 * m);
    expect(report.perRestart).toBe(m);
    expect(report.restartWeights[0]).toBeCloseTo(0.3, 12);
    expect(report.restartWeights[1]).toBeCloseTo(0.7, 12);
    // The pool's ESS: 1 / sum w^2 = 1 / (m (0.3/m)^2 + m (0.7/m)^2) = m / 0.58.
    expect(report.ess).toBeCloseTo(m / 0.58, 6);
    const fromFirst = Array.from(indices).filter((i) => i < m).length;
    // Binomial sd sqrt(n 0.3 0.7) = 45.8.
    expect(Math.abs(fromFirst - 0.3 * n)).toBeLessThan(4 * 45.8);
    expect(report.draws).toBe(n);
    // Row i of restart k is drawn at least once with probability 1 - (1 - w_k / m)^n; the rows' indicators
    // are negatively correlated, so the independent-case sd bounds the count's.
    const seen = [0.3, 0.7].map((w) => 1 - (1 - w / m) ** n);
    const expected = m * seen.reduce((a, b) => a + b, 0);
    const sdDistinct = Math.sqrt(m * seen.reduce((a, q) => a + q * (1 - q), 0));
    expect(Math.abs(report.distinct - expected)).toBeLessThan(5 * sdDistinct);
    const again = poolByResampling(logRatios, n, 3);
    expect(Array.from(again.indices ?? [])).toEqual(Array.from(indices));
  });

  it('corrects a shifted proposal: q = N(0, 1) draws resampled towards p = N(1, 1)', () => {
    // log p(z) - log q(z) = z - 1/2 for p = N(1, 1), q = N(0, 1); the weights' variance is e - 1, so the ESS
    // is about S / e and the resampled mean has sd about 1 / sqrt(S / e) plus the resampling's 1 / sqrt(n).
    const s = 20_000;
    const uniform = startStream(11, 1);
    const z = Float64Array.from({ length: s }, () => {
      const u = uniform();
      const v = uniform();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    });
    const n = 20_000;
    const { indices, report } = poolByResampling([z.map((x) => x - 0.5)], n, 2);
    if (!indices) throw new Error('no indices');
    expect(report.khat).toBeLessThan(0.5);
    expect(Math.abs(report.ess / s - Math.exp(-1))).toBeLessThan(0.05);
    const picked = Array.from(indices, (i) => z[i] as number);
    const mean = picked.reduce((a, b) => a + b, 0) / n;
    const variance = picked.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const sd = Math.sqrt(Math.E / s + 1 / n);
    expect(Math.abs(mean - 1)).toBeLessThan(5 * sd);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('gives NaN weights and no indices when no draw has a finite log ratio', () => {
    const { indices, report } = poolByResampling([new Float64Array(100).fill(Number.NaN)], 10, 1);
    expect(indices).toBeUndefined();
    expect(report.status).toBe('no-finite-draws');
    expect(report.draws).toBe(0);
    expect(report.restartWeights.every(Number.isNaN)).toBe(true);
  });
});

describe('gatherPooledDraws', () => {
  it("takes pool row k * perRestart + i from restart k's row i, with its log densities", () => {
    const set = (k: number): DensityDrawSet => ({
      names: ['a'],
      count: 3,
      stride: 4,
      values: Float32Array.from({ length: 12 }, (_, j) => 100 * k + j),
      logP: Float32Array.from([0, 1, 2], (v) => 10 * k + v),
      logG: Float32Array.from([0, 1, 2], (v) => -(10 * k + v)),
      logQ: Float32Array.from([0, 1, 2], (v) => 20 * k + v),
      logRatio: Float32Array.from([0, 1, 2], (v) => 30 * k + v),
      meanRow: Float32Array.from([k, 0, 0, 0]),
    });
    const meanRow = Float32Array.from([9, 9, 9, 9]);
    const out = gatherPooledDraws([set(0), set(1)], Uint32Array.from([4, 0, 5]), meanRow);
    expect(out.count).toBe(3);
    expect(Array.from(out.values)).toEqual([104, 105, 106, 107, 0, 1, 2, 3, 108, 109, 110, 111]);
    expect(Array.from(out.logP)).toEqual([11, 0, 12]);
    expect(Array.from(out.logG)).toEqual([-11, -0, -12]);
    expect(Array.from(out.logQ)).toEqual([21, 0, 22]);
    expect(Array.from(out.logRatio)).toEqual([31, 0, 32]);
    expect(out.meanRow).toBe(meanRow);
  });
});
