/** Posterior summaries from draws (no GPU): moments, type-7 quantiles, fixed-bin histograms. */
import { describe, expect, it } from 'vitest';
import { HISTOGRAM_BINS, quantileSorted, summarizeDraws } from '../../src/vi/summary';

describe('quantileSorted', () => {
  it('interpolates as numpy does by default', () => {
    const sorted = [1, 2, 3, 4];
    expect(quantileSorted(sorted, 0)).toBe(1);
    expect(quantileSorted(sorted, 1)).toBe(4);
    expect(quantileSorted(sorted, 0.5)).toBe(2.5);
    expect(quantileSorted(sorted, 0.25)).toBeCloseTo(1.75, 12);
  });
});

describe('summarizeDraws', () => {
  // Column 0: 0 .. 999; column 1: twice that; stride 4 (the GPU's padding lanes hold junk).
  const count = 1000;
  const values = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) values.set([i, 2 * i, 99, 99], i * 4);
  const summary = summarizeDraws(values, count, 4, ['a', 'b']);

  it('gives each column its mean, sd and quantiles', () => {
    expect(summary.mean).toEqual([499.5, 999]);
    expect(summary.sd[0]).toBeCloseTo(Math.sqrt((count * (count + 1)) / 12), 9);
    expect(summary.sd[1]).toBeCloseTo(2 * (summary.sd[0] as number), 9);
    expect(summary.q50).toEqual([499.5, 999]);
    expect(summary.q05[0]).toBeCloseTo(49.95, 9);
    expect(summary.q95[0]).toBeCloseTo(949.05, 9);
  });

  it('bins every draw into HISTOGRAM_BINS bins between the 0.1% and 99.9% quantiles', () => {
    for (const h of summary.histograms) {
      expect(h.counts).toHaveLength(HISTOGRAM_BINS);
      expect(h.counts.reduce((a, b) => a + b, 0)).toBe(count);
    }
    expect(summary.histograms[0]?.min).toBeCloseTo(0.999, 9);
    expect(summary.histograms[0]?.binWidth).toBeCloseTo((998.001 - 0.999) / HISTOGRAM_BINS, 9);
  });
});
