import { describe, expect, it } from 'vitest';
import { erfc, kolmogorovSmirnov, kolmogorovSurvival, normalCdf } from '../reference/stats';

// The test helpers must themselves be right, or the GPU tests prove nothing.
describe('float64 reference statistics', () => {
  it('erfc and the normal CDF match known values', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207050285, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 8);
  });

  it('the Kolmogorov distribution has its tabulated quantiles', () => {
    // Critical values: P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01, P(K > 1.9495) = 0.001.
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 4);
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 4);
    expect(kolmogorovSurvival(1.9495)).toBeCloseTo(0.001, 4);
    expect(kolmogorovSurvival(1.0)).toBeCloseTo(0.27, 2);
    expect(kolmogorovSurvival(1.17)).toBeCloseTo(kolmogorovSurvival(1.19), 1);
  });

  it('the KS test rejects a shifted sample and accepts an exact quantile grid', () => {
    const n = 10_000;
    const uniformGrid = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    expect(kolmogorovSmirnov(uniformGrid, (x) => x).p).toBeGreaterThan(0.99);
    const shifted = uniformGrid.map((u) => Math.min(1, u + 0.05));
    expect(kolmogorovSmirnov(shifted, (x) => Math.min(1, Math.max(0, x))).p).toBeLessThan(1e-6);
  });
});
