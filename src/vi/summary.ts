/** Posterior summaries from draws of q's reported values: moments, quantiles and fixed-bin histograms. */

export interface Histogram {
  /** Left edge of the first bin, and the common bin width. */
  readonly min: number;
  readonly binWidth: number;
  readonly counts: number[];
}

export interface ParamSummary {
  readonly names: string[];
  readonly mean: number[];
  readonly sd: number[];
  readonly q05: number[];
  readonly q50: number[];
  readonly q95: number[];
  readonly histograms: Histogram[];
}

export const HISTOGRAM_BINS = 48;

/** Linear-interpolation quantile (type 7, as numpy's default) of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/**
 * `draws` holds `count` rows of `stride` f32 values (the GPU's padded layout); column j < names.length is
 * parameter j. Histograms span the 0.1% to 99.9% quantiles in HISTOGRAM_BINS equal bins (tails clamped).
 */
export function summarizeDraws(
  draws: Float32Array,
  count: number,
  stride: number,
  names: string[],
): ParamSummary {
  const out: ParamSummary = { names, mean: [], sd: [], q05: [], q50: [], q95: [], histograms: [] };
  const column = new Float64Array(count);
  names.forEach((_, j) => {
    let sum = 0;
    for (let i = 0; i < count; i++) {
      const v = draws[i * stride + j] as number;
      column[i] = v;
      sum += v;
    }
    const mean = sum / count;
    let ss = 0;
    for (let i = 0; i < count; i++) ss += ((column[i] as number) - mean) ** 2;
    column.sort();
    const lo = quantileSorted(column, 0.001);
    const hi = quantileSorted(column, 0.999);
    const binWidth = hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1;
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    for (let i = 0; i < count; i++) {
      const bin = Math.min(
        HISTOGRAM_BINS - 1,
        Math.max(0, Math.floor(((column[i] as number) - lo) / binWidth)),
      );
      counts[bin] = (counts[bin] as number) + 1;
    }
    out.mean.push(mean);
    out.sd.push(Math.sqrt(ss / (count - 1)));
    out.q05.push(quantileSorted(column, 0.05));
    out.q50.push(quantileSorted(column, 0.5));
    out.q95.push(quantileSorted(column, 0.95));
    out.histograms.push({ min: lo, binWidth, counts });
  });
  return out;
}
