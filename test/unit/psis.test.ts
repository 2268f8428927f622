/**
 * src/vi/diagnostics/psis.ts against R's loo package (fixtures made by
 * test/reference/fixtures/loo/make_psis_fixtures.R): k-hat to 1e-6, smoothed log weights to 1e-8, and
 * psisFromTail on a summary equal to psis on the full vector.
 */
import { describe, expect, it } from 'vitest';
import {
  effectiveSampleSize,
  importanceWeightedElbo,
  psis,
  psisCorrectedMoments,
  psisFromTail,
  psisSummarySize,
  psisTailLength,
  summarizeLogRatios,
} from '../../src/vi/diagnostics/psis';
import { readKhat } from '../../src/vi/diagnostics/khat-reading';
import { generateCase, PSIS_FIXTURE } from './psis-cases';

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x === y) continue; // equal infinities
    worst = Math.max(worst, Math.abs(x - y));
  }
  return worst;
}

describe('psis against loo ' + PSIS_FIXTURE.loo, () => {
  it('covers light and heavy tails, S from 20 to 10^5, ties, -Inf draws and the Inf edge cases', () => {
    const names = PSIS_FIXTURE.cases.map((c) => c.spec.name);
    expect(names.length).toBeGreaterThanOrEqual(10);
    const sizes = PSIS_FIXTURE.cases.map((c) => c.spec.S);
    expect(Math.min(...sizes)).toBeLessThanOrEqual(100);
    expect(Math.max(...sizes)).toBe(100_000);
    const khats = PSIS_FIXTURE.cases.map((c) => c.loo.khat);
    expect(khats.filter((k) => typeof k === 'number' && k < 0.5).length).toBeGreaterThan(0);
    expect(khats.filter((k) => typeof k === 'number' && k > 0.7).length).toBeGreaterThan(0);
    expect(khats.filter((k) => k === 'Inf').length).toBeGreaterThanOrEqual(2);
  });

  describe.each(PSIS_FIXTURE.cases.map((c) => [c.spec.name, c] as const))('%s', (_name, { spec, loo }) => {
    const logRatios = generateCase(spec);
    const result = psis(logRatios);

    it('has loo’s tail length and k-hat (1e-6)', () => {
      expect(logRatios.length).toBe(spec.S);
      expect(result.tailLength).toBe(loo.tailLength);
      expect(psisTailLength(spec.S)).toBe(loo.tailLength);
      expect(loo.khatIsNA).toBe(false);
      if (loo.khat === 'Inf') {
        expect(result.khat).toBe(Infinity);
        expect(['tail-too-short', 'constant-tail', 'fit-failed']).toContain(result.status);
      } else {
        expect(result.status).toBe('fitted');
        expect(Math.abs(result.khat - (loo.khat as number))).toBeLessThan(1e-6);
        expect(Math.abs(result.pareto.sigma - (loo.sigma as number)) / (loo.sigma as number)).toBeLessThan(
          1e-6,
        );
      }
    });

    it('smooths the same draws to loo’s normalised log weights (1e-8)', () => {
      const mine = Array.from(loo.tailIndices, (i) => result.logWeights[i] as number);
      expect(maxAbsDifference(mine, loo.tailLogWeights)).toBeLessThan(1e-8);
      expect(maxAbsDifference(result.logWeights.subarray(0, 12), loo.headLogWeights)).toBeLessThan(1e-8);
      if (result.tailIndices) expect(Array.from(result.tailIndices)).toEqual(loo.tailIndices);
      expect(Math.abs(result.logNormaliser - loo.logNormaliser)).toBeLessThan(1e-8);
    });

    it('gives loo’s n_eff and the log-mean-exp of the ratios', () => {
      expect(Math.abs(result.ess - loo.ess) / loo.ess).toBeLessThan(1e-9);
      expect(Math.abs(result.iwElbo - loo.iwElbo)).toBeLessThan(1e-9);
      expect(Math.abs(importanceWeightedElbo(logRatios) - loo.iwElbo)).toBeLessThan(1e-9);
      const weights = result.logWeights.map(Math.exp);
      expect(Math.abs(effectiveSampleSize(weights) - loo.ess) / loo.ess).toBeLessThan(1e-9);
    });

    it('psisFromTail on the M + 1 largest and the sums of the rest equals psis', () => {
      const summary = summarizeLogRatios(logRatios);
      expect(summary.largest.length).toBe(psisSummarySize(spec.S));
      const fromTail = psisFromTail(summary);
      expect(fromTail.khat).toBe(result.khat);
      expect(Array.from(fromTail.tailLogWeights)).toEqual(
        Array.from(fromTail.tailIndices ?? [], (i) => result.logWeights[i]),
      );
      expect(fromTail.ess).toBe(result.ess);
      expect(fromTail.iwElbo).toBe(result.iwElbo);
    });
  });
});

describe('psis edge cases beyond loo', () => {
  it('gives NaN and +Inf draws weight 0 and counts them', () => {
    const base = generateCase({ name: 'x', S: 1000, dist: 'logistic', scale: 0.5 });
    const broken = base.slice();
    broken[17] = NaN;
    broken[400] = Infinity;
    const asNegInf = base.slice();
    asNegInf[17] = -Infinity;
    asNegInf[400] = -Infinity;
    const a = psis(broken);
    const b = psis(asNegInf);
    expect(a.invalidDraws).toBe(2);
    expect(b.invalidDraws).toBe(0);
    expect(a.khat).toBe(b.khat);
    expect(Array.from(a.logWeights)).toEqual(Array.from(b.logWeights));
    expect(a.logWeights[17]).toBe(-Infinity);
    expect(Number.isFinite(a.khat)).toBe(true);
  });

  it('reports no-finite-draws when every weight is 0', () => {
    const result = psis(new Float64Array(100).fill(-Infinity));
    expect(result.status).toBe('no-finite-draws');
    expect(result.khat).toBe(Infinity);
    expect(result.iwElbo).toBe(-Infinity);
    expect(result.ess).toBe(0);
  });

  it('does not depend on a constant shift of the log ratios (up to rounding), but the IW-ELBO does', () => {
    const base = generateCase({ name: 'x', S: 4000, dist: 'exponential', scale: 0.6 });
    const shifted = base.map((v) => v - 5000);
    const a = psis(base);
    const b = psis(shifted);
    expect(Math.abs(a.khat - b.khat)).toBeLessThan(1e-6);
    expect(maxAbsDifference(a.logWeights, b.logWeights)).toBeLessThan(1e-8);
    expect(b.iwElbo - a.iwElbo).toBeCloseTo(-5000, 8);
  });

  it('rejects a summary that is too short or unsorted, naming the field', () => {
    const summary = summarizeLogRatios(generateCase({ name: 'x', S: 1000, dist: 'logistic', scale: 0.5 }));
    expect(() => psisFromTail({ ...summary, largest: summary.largest.subarray(1) })).toThrow(
      /TailSummary\.largest: expected between 96 and 1000 values/,
    );
    const unsorted = summary.largest.slice().reverse();
    expect(() => psisFromTail({ ...summary, largest: unsorted, indices: undefined })).toThrow(
      /TailSummary\.largest\[1\]/,
    );
    expect(() => psisFromTail({ ...summary, restSumExp: NaN })).toThrow(/TailSummary\.restSumExp/);
  });

  it('accepts a summary with more than M + 1 values (extra ones are body draws)', () => {
    const logRatios = generateCase({ name: 'x', S: 1000, dist: 'logistic', scale: 0.8 });
    const exact = summarizeLogRatios(logRatios);
    const order = Array.from(logRatios.keys()).sort((a, b) => logRatios[a]! - logRatios[b]! || a - b);
    const extra = order.slice(1000 - 300);
    const max = logRatios[order[999]!]!;
    let rest = 0;
    let rest2 = 0;
    for (const i of order.slice(0, 700)) {
      rest += Math.exp(logRatios[i]! - max);
      rest2 += Math.exp(2 * (logRatios[i]! - max));
    }
    const wide = psisFromTail({
      count: 1000,
      largest: Float64Array.from(extra, (i) => logRatios[i]!),
      indices: Uint32Array.from(extra),
      restSumExp: rest,
      restSumExp2: rest2,
    });
    const narrow = psisFromTail(exact);
    expect(wide.khat).toBe(narrow.khat);
    expect(Array.from(wide.tailIndices!)).toEqual(Array.from(narrow.tailIndices!));
    expect(maxAbsDifference(wide.tailLogWeights, narrow.tailLogWeights)).toBeLessThan(1e-12);
    expect(Math.abs(wide.ess - narrow.ess) / narrow.ess).toBeLessThan(1e-12);
  });
});

describe('psisCorrectedMoments', () => {
  it('equals the float64 weighted mean and sd, for any scale of the log weights', () => {
    // values x_i = i / 10 in column 0, (i mod 7) in column 1, stride 4 (padding ignored)
    const n = 50;
    const values = new Float32Array(n * 4).fill(99);
    const logWeights = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      values[i * 4] = i / 10;
      values[i * 4 + 1] = i % 7;
      logWeights[i] = -0.05 * (i - 20) ** 2 + 3;
    }
    logWeights[3] = -Infinity;
    const moments = psisCorrectedMoments(values, 2, logWeights, 4);
    for (let c = 0; c < 2; c++) {
      let sw = 0;
      let swx = 0;
      for (let i = 0; i < n; i++) {
        const w = Math.exp(logWeights[i]!);
        sw += w;
        swx += w * values[i * 4 + c]!;
      }
      const mean = swx / sw;
      let swd = 0;
      for (let i = 0; i < n; i++) swd += Math.exp(logWeights[i]!) * (values[i * 4 + c]! - mean) ** 2;
      expect(moments.mean[c]).toBeCloseTo(mean, 12);
      expect(moments.sd[c]).toBeCloseTo(Math.sqrt(swd / sw), 12);
    }
    const shifted = psisCorrectedMoments(
      values,
      2,
      logWeights.map((v) => v - 700),
      4,
    );
    expect(shifted.mean[0]).toBeCloseTo(moments.mean[0]!, 12);
    expect(() => psisCorrectedMoments(values, 2, new Float64Array(n + 1), 4)).toThrow(
      /values: expected 51 rows/,
    );
  });
});

describe('readKhat', () => {
  it('reads k-hat as Yao et al. (2018) do', () => {
    expect(readKhat(0.3).level).toBe('good');
    expect(readKhat(0.5).level).toBe('ok');
    expect(readKhat(0.7).level).toBe('ok');
    expect(readKhat(0.71).level).toBe('bad');
    expect(readKhat(Infinity, 'fitted').level).toBe('bad');
    expect(readKhat(Infinity, 'constant-tail').level).toBe('good');
    expect(readKhat(Infinity, 'tail-too-short').level).toBe('unknown');
    expect(readKhat(0.82).sentence).toMatch(/k̂ = 0\.82 > 0\.7/);
    expect(readKhat(0.3).label).toBe('good');
    expect(readKhat(0.6).label).toBe('usable with care');
    expect(readKhat(0.9).label).toBe('unreliable');
  });

  it('reads a small k-hat with an ESS under 10 % of the draws as usable with care (q far wider)', () => {
    expect(readKhat(0.26, 'fitted', 0.5).level).toBe('good');
    const wide = readKhat(0.26, 'fitted', 0.063);
    expect(wide.level).toBe('ok');
    expect(wide.sentence).toBe(
      'k̂ = 0.26 < 0.5, but the ESS is 6.3 % of the draws: q is much wider than the posterior or off centre, ' +
        'so its summaries are not; prefer the PSIS-corrected ones.',
    );
    expect(readKhat(Infinity, 'constant-tail', 0.02).level).toBe('ok');
    // A worse reading stays as it is.
    expect(readKhat(0.6, 'fitted', 0.02).sentence).toMatch(/in \[0\.5, 0\.7\]/);
    expect(readKhat(0.9, 'fitted', 0.02).level).toBe('bad');
  });
});

describe('what k-hat says on Gaussians (Yao et al. 2018)', () => {
  function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
    };
  }
  function normals(n: number, seed: number): Float64Array {
    const r = random(seed);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(r()));
      const angle = 2 * Math.PI * r();
      out[i] = radius * Math.cos(angle);
      if (i + 1 < n) out[i + 1] = radius * Math.sin(angle);
    }
    return out;
  }

  it('flags mean-field q on a strongly correlated Gaussian (k-hat > 0.7); PSIS moves the sd towards the truth', () => {
    // p = N(0, [[1, rho], [rho, 1]]); mean-field KL(q || p) optimum: independent N(0, 1 - rho^2).
    const rho = 0.95;
    const S = 100_000;
    const sd = Math.sqrt(1 - rho * rho);
    const eps = normals(2 * S, 7);
    const logRatios = new Float64Array(S);
    const z = new Float64Array(2 * S);
    for (let i = 0; i < S; i++) {
      const x = sd * eps[2 * i]!;
      const y = sd * eps[2 * i + 1]!;
      z[2 * i] = x;
      z[2 * i + 1] = y;
      const logP = (-0.5 * (x * x - 2 * rho * x * y + y * y)) / (1 - rho * rho);
      const logQ = -0.5 * (eps[2 * i]! ** 2 + eps[2 * i + 1]! ** 2);
      logRatios[i] = logP - logQ; // both up to constants: PSIS does not care
    }
    const result = psis(logRatios);
    expect(result.khat).toBeGreaterThan(0.7);
    expect(readKhat(result.khat, result.status).level).toBe('bad');
    const corrected = psisCorrectedMoments(z, 2, result.logWeights);
    for (let j = 0; j < 2; j++) expect(Math.abs(corrected.sd[j]! - 1)).toBeLessThan(Math.abs(sd - 1));
  });

  it('trusts a q wider than p (k-hat < 0.5) and corrects its shifted mean', () => {
    // p = N(0, 1), q = N(0.3, 1.3^2): bounded weights.
    const S = 100_000;
    const eps = normals(S, 3);
    const logRatios = new Float64Array(S);
    const z = new Float64Array(S);
    for (let i = 0; i < S; i++) {
      z[i] = 0.3 + 1.3 * eps[i]!;
      logRatios[i] = -0.5 * z[i]! ** 2 - (-0.5 * eps[i]! ** 2 - Math.log(1.3));
    }
    const result = psis(logRatios);
    expect(result.khat).toBeLessThan(0.5);
    expect(readKhat(result.khat, result.status).level).toBe('good');
    const corrected = psisCorrectedMoments(z, 1, result.logWeights);
    expect(Math.abs(corrected.mean[0]!)).toBeLessThan(0.02);
    expect(Math.abs(corrected.sd[0]! - 1)).toBeLessThan(0.02);
    // The 2 pi constants cancel in the ratio, so the IW-ELBO estimates log Z = log 1 = 0.
    expect(result.iwElbo).toBeCloseTo(0, 2);
  });

  it('reads an exact q (constant log ratios) as good', () => {
    const result = psis(new Float64Array(10_000).fill(-12.5));
    expect(result.status).toBe('constant-tail');
    expect(readKhat(result.khat, result.status).level).toBe('good');
    expect(result.ess).toBeCloseTo(10_000, 6);
    expect(result.iwElbo).toBeCloseTo(-12.5, 12);
  });
});
