/** Float64 statistics for checking GPU output: moments, correlation, and a Kolmogorov-Smirnov test. */

export interface Moments {
  n: number;
  mean: number;
  variance: number;
  skewness: number;
  excessKurtosis: number;
}

export function moments(values: ArrayLike<number>): Moments {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { n, mean, variance: m2, skewness: m3 / m2 ** 1.5, excessKurtosis: m4 / (m2 * m2) - 3 };
}

/** Pearson correlation of x[i] and y[i]. */
export function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Complementary error function, |relative error| < 1.2e-7 (Numerical Recipes' Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** One-sample KS test against a continuous CDF: statistic D and its asymptotic p-value. */
export function kolmogorovSmirnov(
  values: ArrayLike<number>,
  cdf: (x: number) => number,
): { d: number; p: number } {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i] as number);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const sqrtN = Math.sqrt(n);
  const lambda = (sqrtN + 0.12 + 0.11 / sqrtN) * d;
  return { d, p: kolmogorovSurvival(lambda) };
}

/** P(K > lambda) for the Kolmogorov distribution, by whichever of its two series converges fast. */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda <= 0) return 1;
  let p: number;
  if (lambda < 1.18) {
    // P(K <= l) = sqrt(2 pi) / l * sum_k exp(-(2k - 1)^2 pi^2 / (8 l^2))
    let cdf = 0;
    for (let k = 1; k <= 50; k++)
      cdf += Math.exp((-((2 * k - 1) ** 2) * Math.PI ** 2) / (8 * lambda * lambda));
    p = 1 - (Math.sqrt(2 * Math.PI) / lambda) * cdf;
  } else {
    p = 0;
    for (let k = 1; k <= 50; k++) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  }
  return Math.min(1, Math.max(0, p));
}
