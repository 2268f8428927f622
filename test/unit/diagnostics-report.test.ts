/**
 * The fit's diagnostic report (src/vi/diagnostics/report.ts, no GPU): what the GPU passes' centring changes
 * and what it does not, the levels and when the corrected summaries are offered.
 */
import { describe, expect, it } from 'vitest';
import { psis } from '../../src/vi/diagnostics/psis';
import { diagnosticsReport } from '../../src/vi/diagnostics/report';

/** Deterministic standard normals (Box-Muller on a linear congruential generator). */
function normals(count: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return Float64Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

describe('diagnosticsReport', () => {
  // Log ratios of q = N(0, s^2) against p = N(0, 1), drawn from q: light-tailed weights for s > 1,
  // heavy for s < 1 (the weights are Pareto-tailed with k = 1 - s^2).
  const logRatios = (s: number, centre: number) =>
    Float64Array.from(normals(20_000, 7), (e) => {
      const z = s * e;
      return -0.5 * z * z + 0.5 * e * e + Math.log(s) - centre;
    });

  it('adds the centre back to the IW-ELBO and leaves k-hat and the ESS as they are', () => {
    const centre = -1234.5;
    const plain = psis(logRatios(1.3, 0));
    const shifted = psis(logRatios(1.3, centre));
    const report = diagnosticsReport(
      shifted,
      centre,
      { mean: [1, 2], sd: [0.5, 0.25] },
      { passes: 3, ms: 12 },
    );
    // Only the float64 rounding of the shifted values differs (k-hat magnifies it through exp).
    expect(Math.abs(report.khat - plain.khat)).toBeLessThan(1e-7);
    expect(Math.abs(report.iwElbo - plain.iwElbo)).toBeLessThan(1e-9);
    expect(Math.abs(report.ess / plain.ess - 1)).toBeLessThan(1e-9);
    // For q wider than p the IW-ELBO is near log 1 = 0 (both are normalised) and below it on average.
    expect(Math.abs(report.iwElbo)).toBeLessThan(0.05);
    expect(report).toMatchObject({
      status: 'fitted',
      level: 'good',
      draws: 20_000,
      invalidDraws: 0,
      passes: 3,
      ms: 12,
    });
    expect(report.reading).toMatch(/^k̂ = .* < 0.5/);
    expect(report.corrected).toEqual({ mean: [1, 2], sd: [0.5, 0.25], usable: true });
  });

  it('flags the corrected summaries as unusable above 0.7, and has none when asked for k-hat only', () => {
    const heavy = psis(logRatios(0.3, 0)); // true k = 1 - s^2 = 0.91
    const report = diagnosticsReport(heavy, 0, { mean: [0], sd: [1] }, { passes: 3, ms: 1 });
    expect(report.khat).toBeGreaterThan(0.7);
    expect(report.level).toBe('bad');
    expect(report.corrected?.usable).toBe(false);
    expect(report.reading).toMatch(/unreliable/);
    expect(diagnosticsReport(heavy, 0, undefined, { passes: 3, ms: 1 }).corrected).toBeNull();
  });

  it('reads log ratios that differ only by f32 rounding as a constant tail, not as a failed fit', () => {
    // An exact q: log p - log q = 0 up to a few ulps of |log p| (about 3 here), on a grid of f32 steps.
    const ulp = 2 ** -22;
    const values = Float64Array.from(normals(50_000, 3), (e) => Math.round(2 * e) * ulp);
    const tail = psis(values);
    expect(['fit-failed', 'fitted']).toContain(tail.status); // loo's reading of the ties
    const report = diagnosticsReport(tail, -3, undefined, { passes: 3, ms: 1 }, 3);
    expect(report).toMatchObject({ status: 'constant-tail', level: 'good', khat: Infinity });
    expect(report.reading).toMatch(/bounded weights/);
    // Without the magnitude (or with a real tail) loo's rule stands.
    expect(diagnosticsReport(tail, -3, undefined, { passes: 3, ms: 1 }).status).toBe(tail.status);
    const real = psis(logRatios(0.3, 0));
    expect(diagnosticsReport(real, 0, undefined, { passes: 3, ms: 1 }, 3)).toMatchObject({
      status: 'fitted',
      level: 'bad',
    });
  });

  it('reads a constant tail as bounded weights (good), and no finite draw as not estimated', () => {
    const constant = diagnosticsReport(
      psis(new Float64Array(5000).fill(-3)),
      1,
      { mean: [0], sd: [0] },
      { passes: 3, ms: 1 },
    );
    expect(constant).toMatchObject({ status: 'constant-tail', level: 'good', khat: Infinity });
    expect(constant.corrected?.usable).toBe(true);
    expect(Math.abs(constant.iwElbo - -2)).toBeLessThan(1e-12);
    const none = diagnosticsReport(psis(new Float64Array(2000).fill(-Infinity)), 0, undefined, {
      passes: 3,
      ms: 1,
    });
    expect(none).toMatchObject({ status: 'no-finite-draws', level: 'unknown', iwElbo: -Infinity });
  });
});
