/**
 * Special functions in float64: the twin of shaders/math/special.wgsl (same functions, camelCase names without the
 * math_ prefix, same semantics), used by the Stan compiler's float64 interpreter (the oracle for generated WGSL)
 * and for host-side constants. Pure functions of numbers; no DOM or Node APIs.
 *
 * Conventions: outside a function's domain the result is NaN; at its edge, the IEEE limit (lgamma(0) = inf,
 * log1mExp(0) = -inf, invPhi(0) = -inf, ...), listed in test/reference/special-fixtures.ts (SPECIAL_EDGES).
 *
 * Accuracy, asserted in test/unit/special.test.ts against mpmath (test/reference/fixtures/special.json, 4475
 * arguments over every domain, both tails, the zeros and poles, and every switch point): bound (achieved) of the
 * max relative error; "abs" = |error| / max(1, |value|), for results that cross zero inside the domain, where the
 * cancellation is in the definition and only an absolute accuracy is meaningful.
 *   log1p, expm1 (Math's)                                      4e-16 (2.1e-16)
 *   log1pExp, log1mExp, invLogit, logit, logInvLogit,
 *   log1mInvLogit                                              4e-16 (2.2e-16)
 *   logDiffExp, logSumExp2                                     4e-16 abs (2.1e-16)
 *   lgamma, x > 0 (relative also at the roots 1 and 2)         1e-15 (4.6e-16)
 *   lgamma, x < 0 (reflection)                                 1e-15 abs (3.4e-16)
 *   lgammaStirlingDiff                                         5e-13 (3.0e-13; below x = 10 it is a difference)
 *   digamma, x > 0 (relative also at the root 1.4616...)       4e-15 (2.0e-15)
 *   digamma, x < 0                                             1e-15 abs (4.5e-16)
 *   trigamma                                                   1e-15 (3.5e-16)
 *   lbeta, lchoose                                             2e-15 abs (9.9e-16)
 *   lmgamma                                                    4e-16 abs (1.7e-16)
 *   logFallingFactorial, logRisingFactorial                    2e-15 abs (1.0e-15)
 *   erf, erfc, erfcx, Phi, logPhi                              6e-16 (3.2e-16)
 *   invMills                                                   1e-15 (5.3e-16)
 *   invPhi (p down to 5e-324)                                  6e-16 (3.5e-16)
 */

const LN2 = Math.LN2;
const LOG_PI = 1.1447298858494002; // log(pi)
const LOG_SQRT_2PI = 0.9189385332046728; // log(sqrt(2 pi))
const SQRT_HALF = Math.SQRT1_2;
const SQRT_PI = 1.772453850905516;
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const SQRT_2_OVER_PI = 0.7978845608028654;
const INV_SQRT_2PI = 0.3989422804014327;

/** Evaluates c[0] + c[1] t + ... + c[n-1] t^(n-1) (Horner). */
function horner(c: readonly number[], t: number): number {
  let s = 0;
  for (let k = c.length - 1; k >= 0; k--) s = s * t + (c[k] as number);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Logarithms and exponentials

export function log1p(x: number): number {
  return Math.log1p(x);
}

export function expm1(x: number): number {
  return Math.expm1(x);
}

/** softplus, log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows; e^x to relative accuracy as x -> -inf. */
export function log1pExp(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * log(1 - e^x) for x <= 0 (NaN for x > 0, -inf at 0). Above -ln 2, 1 - e^x is small and comes exactly from
 * expm1; below, e^x <= 1/2 and log1p keeps the result's relative accuracy (Maechler's switch).
 */
export function log1mExp(x: number): number {
  if (x > 0) return NaN;
  return x > -LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log(e^a - e^b) for a >= b (NaN for b > a; -inf for a = b; a when b = -inf). */
export function logDiffExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a === Infinity) return b === Infinity ? NaN : Infinity;
  if (b > a) return NaN;
  return a + log1mExp(b - a);
}

/** log(e^a + e^b), from the larger argument so that nothing overflows. */
export function logSumExp2(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === Infinity || m === -Infinity) return m;
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** 1 / (1 + e^-x), with e^-|x| so that both tails keep their relative accuracy (e^x / (1 + e^x) for x < 0). */
export function invLogit(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/**
 * log(p / (1 - p)) for 0 <= p <= 1. Near p = 1/2 the quotient is near 1 and log would keep only an absolute
 * accuracy; there log1p((2p - 1) / (1 - p)), whose 2p - 1 and 1 - p are exact for p in [1/4, 3/4].
 */
export function logit(p: number): number {
  if (p >= 0.25 && p <= 0.75) return Math.log1p((2 * p - 1) / (1 - p));
  return Math.log(p / (1 - p));
}

/** log(inv_logit(x)) = -softplus(-x). */
export function logInvLogit(x: number): number {
  return -log1pExp(-x);
}

/** log(1 - inv_logit(x)) = -softplus(x). */
export function log1mInvLogit(x: number): number {
  return -log1pExp(x);
}

// ---------------------------------------------------------------------------------------------------
// Gamma family

/** Arguments from which the asymptotic (Stirling) series are used: their truncation error there is < 1e-17. */
const STIRLING_MIN = 10;

/**
 * lgamma(2 + z) = (1 - gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1) / k z^k: the coefficients of z^1 .. z^27
 * (test/reference/fixtures/special_coefficients.py). The radius of convergence is 2; on |z| <= 1/2 the terms
 * fall like 4^-k, and the series is relative-accurate at its zero z = 0 (lgamma(2) = 0).
 */
const LGAMMA_NEAR2 = [
  0.42278433509846713, 0.3224670334241132, -0.0673523010531981, 0.020580808427784546, -0.007385551028673986,
  0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425, -0.00022315475845357939,
  9.945751278180853e-5, -4.492623673813314e-5, 2.050721277567069e-5, -9.439488275268397e-6,
  4.374866789907488e-6, -2.039215753801366e-6, 9.55141213040742e-7, -4.492469198764566e-7,
  2.1207184805554665e-7, -1.0043224823968099e-7, 4.7698101693639804e-8, -2.2711094608943164e-8,
  1.0838659214896955e-8, -5.183475041970047e-9, 2.4836745438024785e-9, -1.1921401405860912e-9,
  5.731367241678862e-10, -2.7595228851242334e-10,
];

/** lgamma(2 + z) for |z| <= 1/2. */
function lgammaNear2(z: number): number {
  return z * horner(LGAMMA_NEAR2, z);
}

/**
 * The Stirling correction lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)] for x >= 10:
 * sum_k B_2k / (2k (2k - 1) x^(2k - 1)), eight terms (the ninth is < 2e-18 at x = 10).
 */
function stirlingSeries(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 *
        (-1 / 360 +
          r2 *
            (1 / 1260 +
              r2 *
                (-1 / 1680 +
                  r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156 + r2 * (-3617 / 122400))))))))
  );
}

/** Stirling's formula with its correction, for x >= 10; (x - 1/2)(log x - 1) avoids cancelling x log x against x. */
function lgammaStirling(x: number): number {
  return (x - 0.5) * (Math.log(x) - 1) + (LOG_SQRT_2PI - 0.5) + stirlingSeries(x);
}

/**
 * lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)], the part of lgamma that Stirling's leading terms miss
 * (Stan's lgamma_stirling_diff): the series for x >= 10, else the difference itself (absolute accuracy).
 */
export function lgammaStirlingDiff(x: number): number {
  if (Number.isNaN(x) || x < 0) return NaN;
  if (x === 0) return Infinity;
  if (x >= STIRLING_MIN) return stirlingSeries(x);
  return lgamma(x) - ((x - 0.5) * Math.log(x) - x + LOG_SQRT_2PI);
}

/** x - round(x) in [-1/2, 1/2] (exact): sin(pi x) and tan(pi x) are periodic up to sign in it. */
function fractionalOffset(x: number): number {
  return x - Math.round(x);
}

/**
 * log |Gamma(x)|. For x > 0: Stirling for x >= 10; below, the recurrence moves the argument to [1.5, 2.5)
 * (down: lgamma(x) = lgamma(x - n) + log((x-1)...(x-n)), no cancellation since both are positive; up from
 * (0, 1.5): minus log1p(x - 1), minus log x), where the series around 2 applies. For x < 0 (Stan defines it
 * for negative non-integers): the reflection log(pi / |sin(pi x)|) - lgamma(1 - x); +inf at 0 and at the
 * negative integers (the poles), and for x = -inf.
 */
export function lgamma(x: number): number {
  if (!(x > 0)) {
    if (Number.isNaN(x)) return NaN;
    const r = fractionalOffset(x);
    if (r === 0 || x === -Infinity) return Infinity;
    return LOG_PI - Math.log(Math.abs(Math.sin(Math.PI * r))) - lgamma(1 - x);
  }
  if (x < 0.5) return lgammaNear2(x) - Math.log1p(x) - Math.log(x);
  if (x < 1.5) return lgammaNear2(x - 1) - Math.log1p(x - 1);
  if (x < 2.5) return lgammaNear2(x - 2);
  if (x < STIRLING_MIN) {
    let y = x;
    let product = 1;
    while (y >= 2.5) {
      y -= 1; // exact: y < 10
      product *= y;
    }
    return lgammaNear2(y - 2) + Math.log(product);
  }
  return lgammaStirling(x);
}

/**
 * lgamma(y + n) - lgamma(y) for y > 0, y + n > 0. When both arguments are >= 10, the difference of the two
 * Stirling expansions, (y - 1/2) log1p(t) + n (log(y + n) - 1) + correction(y + n) - correction(y) with t = n / y,
 * which does not cancel two large lgammas (the result may be tiny next to them); else the lgammas themselves.
 * (y - 1/2) log1p(t) is computed as n (1 - 1/(2y)) log1p(t)/t (log1p(t)/t = 1 - t/2 below |t| = 1e-8), since t
 * may be subnormal for huge y while the term is still about n.
 */
function lgammaIncrement(y: number, n: number): number {
  const z = y + n;
  if (Math.min(y, z) >= STIRLING_MIN) {
    const t = n / y;
    const log1pRatio = Math.abs(t) < 1e-8 ? 1 - 0.5 * t : Math.log1p(t) / t;
    return n * (1 - 0.5 / y) * log1pRatio + n * (Math.log(z) - 1) + stirlingSeries(z) - stirlingSeries(y);
  }
  return lgamma(z) - lgamma(y);
}

/**
 * log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b) for a, b >= 0 (inf if either is 0, -inf if one is inf
 * and the other positive). With x = min, y = max: both < 10, the lgammas; x < 10 <= y, lgamma(x) minus the
 * Stirling difference lgamma(x + y) - lgamma(y); both >= 10, the Stirling expansions combined so that the
 * large terms cancel analytically: log sqrt(2 pi) - log(y)/2 + (x - 1/2) log(x / (x + y)) + y log1p(-x / (x + y))
 * plus the three corrections.
 */
export function lbeta(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  const x = Math.min(a, b);
  const y = Math.max(a, b);
  if (x < 0) return NaN;
  if (x === 0) return Infinity;
  if (y === Infinity) return -Infinity;
  if (y < STIRLING_MIN) return lgamma(x) + lgamma(y) - lgamma(x + y);
  if (x < STIRLING_MIN) return lgamma(x) - lgammaIncrement(y, x);
  const w = x / (x + y);
  return (
    LOG_SQRT_2PI -
    0.5 * Math.log(y) +
    (x - 0.5) * Math.log(w) +
    y * Math.log1p(-w) +
    stirlingSeries(x) +
    stirlingSeries(y) -
    stirlingSeries(x + y)
  );
}

/**
 * log of the binomial coefficient C(n, k) for real n > -1 and -1 < k < n + 1 (Stan's lchoose /
 * binomial_coefficient_log), exactly 0 at k = 0 and k = n. With m = min(k, n - k): below 10,
 * lgamma(n + 1) - lgamma(n - m + 1) (the Stirling difference once n - m + 1 >= 10) - lgamma(m + 1), which avoids
 * -log1p(n) cancelling most of (m + 1) log n; else -log1p(n) - lbeta(n - k + 1, k + 1), whose symmetric Stirling
 * form keeps the large terms apart.
 */
export function lchoose(n: number, k: number): number {
  if (!(n > -1 && k > -1 && n - k > -1)) return NaN; // (also NaN for NaN arguments)
  if (k === 0 || k === n) return 0;
  const m = Math.min(k, n - k);
  if (m < STIRLING_MIN) return lgammaIncrement(n - m + 1, m) - lgamma(m + 1);
  return -Math.log1p(n) - lbeta(n - k + 1, k + 1);
}

/** log of the rising factorial, lgamma(x + n) - lgamma(x), for x > 0 (Stan's log_rising_factorial). */
export function logRisingFactorial(x: number, n: number): number {
  if (!(x > 0) || Number.isNaN(n)) return NaN;
  return lgammaIncrement(x, n);
}

/** log of the falling factorial, lgamma(x + 1) - lgamma(x - n + 1), for x > 0 (Stan's log_falling_factorial). */
export function logFallingFactorial(x: number, n: number): number {
  if (!(x > 0) || Number.isNaN(n)) return NaN;
  return -lgammaIncrement(x + 1, -n);
}

/** log of the multivariate gamma function, k(k-1)/4 log(pi) + sum_{j=1..k} lgamma(x + (1 - j)/2), integer k >= 0. */
export function lmgamma(k: number, x: number): number {
  if (!Number.isInteger(k) || k < 0) return NaN;
  let sum = 0.25 * k * (k - 1) * LOG_PI;
  for (let j = 1; j <= k; j++) sum += lgamma(x + 0.5 * (1 - j));
  return sum;
}

/** The positive root of digamma, split in two doubles (x0 = HI + LO) so that x - x0 is exact to 1e-32. */
const DIGAMMA_ROOT_HI = 1.4616321449683622;
const DIGAMMA_ROOT_LO = 9.549995429965697e-17;

/**
 * digamma(x0 + d) = sum_{k>=1} (-1)^(k+1) zeta(k+1, x0) d^k, coefficients of d^1 .. d^24 (the Taylor series at
 * the root; radius 1.46, so on |d| < 1/4 the terms fall like 0.171^k). Used there, where the recurrence
 * would cancel two numbers near log 10 into a result near 0.
 */
const DIGAMMA_ROOT_TAYLOR = [
  0.9676722454476212, -0.4427631689835921, 0.258499760955651, -0.16394270544240652, 0.10782405069126237,
  -0.07219956125645471, 0.04880428816414311, -0.03316112647484736, 0.022597648232218104, -0.01542476590494896,
  0.010538791616612175, -0.007204534386356869, 0.004926781395729853, -0.003369801655439328,
  0.002305126326734928, -0.0015769367714301972, 0.0010788252019162967, -0.0007380709389960052,
  0.000504953265834602, -0.0003454680251063077, 0.00023635601564027053, -0.00016170622091974803,
  0.0001106337276874741, -7.569179582195066e-5,
];

/** digamma(x) for x >= 10: log x - 1/(2x) - sum_k B_2k / (2k x^2k), eight terms (the ninth < 1e-17). */
function digammaAsymptotic(x: number): number {
  const r2 = 1 / (x * x);
  return (
    Math.log(x) -
    0.5 / x -
    r2 *
      (1 / 12 +
        r2 *
          (-1 / 120 +
            r2 *
              (1 / 252 +
                r2 *
                  (-1 / 240 + r2 * (1 / 132 + r2 * (-691 / 32760 + r2 * (1 / 12 + r2 * (-3617 / 8160))))))))
  );
}

/**
 * digamma(x) = d/dx lgamma(x). Within 1/4 of the positive root: the Taylor series there (relative accuracy at
 * the root). Else for x > 0: the recurrence digamma(x) = digamma(x + n) - sum 1/(x + i) up to x + n >= 10, then
 * the asymptotic series. For x < 0: the reflection digamma(1 - x) - pi / tan(pi x); NaN at the poles 0, -1, ...
 */
export function digamma(x: number): number {
  if (!(x > 0)) {
    const r = fractionalOffset(x);
    if (Number.isNaN(r) || r === 0) return NaN;
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * r);
  }
  const d = x - DIGAMMA_ROOT_HI - DIGAMMA_ROOT_LO;
  if (Math.abs(d) < 0.25) return d * horner(DIGAMMA_ROOT_TAYLOR, d);
  let y = x;
  let sum = 0;
  while (y < STIRLING_MIN) {
    sum += 1 / y;
    y += 1;
  }
  return digammaAsymptotic(y) - sum;
}

/** trigamma(x) for x >= 12: 1/x + 1/(2x^2) + sum_k B_2k / x^(2k+1), eight terms (the ninth < 1e-17 relative). */
function trigammaAsymptotic(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r +
    0.5 * r2 +
    r *
      r2 *
      (1 / 6 +
        r2 *
          (-1 / 30 +
            r2 *
              (1 / 42 +
                r2 * (-1 / 30 + r2 * (5 / 66 + r2 * (-691 / 2730 + r2 * (7 / 6 + r2 * (-3617 / 510))))))))
  );
}

/**
 * trigamma(x) = d/dx digamma(x). For x > 0: the recurrence trigamma(x) = trigamma(x + 1) + 1/x^2 (all terms
 * positive, no cancellation) up to 12, then the asymptotic series. For x < 0: the reflection
 * pi^2 / sin^2(pi x) - trigamma(1 - x); +inf at the poles 0, -1, ...
 */
export function trigamma(x: number): number {
  if (!(x > 0)) {
    const r = fractionalOffset(x);
    if (Number.isNaN(r)) return NaN;
    if (r === 0) return Infinity;
    const s = Math.sin(Math.PI * r);
    return (Math.PI * Math.PI) / (s * s) - trigamma(1 - x);
  }
  let y = x;
  let sum = 0;
  while (y < 12) {
    sum += 1 / (y * y);
    y += 1;
  }
  return sum + trigammaAsymptotic(y);
}

// ---------------------------------------------------------------------------------------------------
// Error function and the normal distribution

/** erf(x) / (2x / sqrt(pi)) in powers of x^2: (-1)^n / (n! (2n + 1)), n = 0 .. 13 (the next < 1e-19 at |x| < 1/2). */
const ERF_SERIES = Array.from({ length: 14 }, (_, n) => {
  let factorial = 1;
  for (let i = 2; i <= n; i++) factorial *= i;
  return (n % 2 === 0 ? 1 : -1) / (factorial * (2 * n + 1));
});

/** erf(x) by its Taylor series, for |x| < 1/2 (relative accuracy at 0; the terms alternate but fall by 4x). */
function erfSeries(x: number): number {
  return TWO_OVER_SQRT_PI * x * horner(ERF_SERIES, x * x);
}

/**
 * Chebyshev coefficients of (1 + 2x) erfcx(x) in y = (x - 3) / (x + 3), x in [0, inf) -> y in [-1, 1)
 * (test/reference/fixtures/special_coefficients.py). The function rises from 1 to 2/sqrt(pi), smooth in y;
 * 26 terms leave < 7e-18.
 */
const ERFCX_CHEBYSHEV = [
  2.35512514839312, 0.005353904539615676, -0.09377550342284209, 0.05436652555744322, -0.018976596707845208,
  0.004453426061462712, -0.0006335531710553147, 1.7661719523171593e-5, 1.2841532864056671e-5,
  -2.0072285659059913e-6, -1.807522790414837e-7, 7.549828343825093e-8, 1.885668523838603e-9,
  -2.699519049798364e-9, -1.460079119939105e-11, 1.0361607445969489e-10, 1.475715976623473e-12,
  -4.277340064396911e-12, -2.07922492859799e-13, 1.8134502003176963e-13, 1.973425574544739e-14,
  -7.287943737592673e-15, -1.5169878690228116e-15, 2.3514112258781403e-16, 1.0006111691821667e-16,
  -2.0572528169538546e-18,
];

/** c_0 / 2 + sum_k c_k T_k(y) by Clenshaw's recurrence. */
function clenshaw(c: readonly number[], y: number): number {
  let b1 = 0;
  let b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) {
    const b0 = 2 * y * b1 - b2 + (c[k] as number);
    b2 = b1;
    b1 = b0;
  }
  return y * b1 - b2 + 0.5 * (c[0] as number);
}

/** e^(-x^2) with x^2 split exactly: x = hi + lo with hi on 24 bits, so hi^2 is exact and lo (x + hi) is small. */
function expNegSquare(x: number): number {
  const a = Math.abs(x);
  if (!(a < 40)) return a >= 40 ? 0 : NaN; // e^-1600 underflows
  const hi = Math.fround(a);
  const lo = a - hi;
  return Math.exp(-hi * hi) * Math.exp(-lo * (a + hi));
}

/** e^(-x^2 / 2), the same way (x^2 / 2 is not representable exactly for x's near 38 without the split). */
function expNegHalfSquare(x: number): number {
  const a = Math.abs(x);
  if (!(a < 40)) return a >= 40 ? 0 : NaN;
  const hi = Math.fround(a);
  const lo = a - hi;
  return Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * lo * (a + hi));
}

/**
 * The scaled complementary error function e^(x^2) erfc(x). For x >= 0, the Chebyshev expansion above divided by
 * (1 + 2x) (beyond 1e150, 1 / (x sqrt(pi)), whose relative error is 1/(2x^2)); for x < 0, 2 e^(x^2) - erfcx(-x).
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) {
    if (x < -26.6) return Infinity; // 2 e^(x^2) overflows
    const hi = Math.fround(-x);
    const lo = -x - hi;
    return 2 * Math.exp(hi * hi) * Math.exp(lo * (-x + hi)) - erfcx(-x);
  }
  if (x > 1e150) return 1 / (x * SQRT_PI);
  return clenshaw(ERFCX_CHEBYSHEV, (x - 3) / (x + 3)) / (1 + 2 * x);
}

/** erf(x): the Taylor series for |x| < 1/2, else sign(x) (1 - erfc(|x|)), erfc(|x|) = e^(-x^2) erfcx(|x|) <= 0.48. */
export function erf(x: number): number {
  if (Math.abs(x) < 0.5) return erfSeries(x);
  const c = expNegSquare(x) * erfcx(Math.abs(x));
  return x > 0 ? 1 - c : c - 1;
}

/**
 * erfc(x) = 1 - erf(x), relative-accurate in the right tail: e^(-x^2) erfcx(x) for x >= 1/2 (down to the
 * smallest subnormal near x = 27.2), 1 - series for |x| < 1/2, 2 - erfc(-x) below -1/2.
 */
export function erfc(x: number): number {
  if (Math.abs(x) < 0.5) return 1 - erfSeries(x);
  if (x > 0) return expNegSquare(x) * erfcx(x);
  return 2 - expNegSquare(x) * erfcx(-x);
}

/**
 * The standard normal CDF, erfc(-x / sqrt 2) / 2. The exponential is taken of -x^2 / 2 from x itself (split
 * exactly), not of the rounded (x / sqrt 2)^2, so the lower tail keeps its relative accuracy down to x = -37.5.
 */
export function Phi(x: number): number {
  const u = x * SQRT_HALF;
  if (Math.abs(u) < 0.5) return 0.5 + 0.5 * erfSeries(u);
  if (u < 0) return 0.5 * expNegHalfSquare(x) * erfcx(-u);
  return 1 - 0.5 * expNegHalfSquare(x) * erfcx(u);
}

/**
 * log Phi(x). Below x = -1/sqrt 2: -x^2/2 - log 2 + log erfcx(-x / sqrt 2), with no exponential, so it stays
 * accurate as Phi underflows (x = -40, -1e10, ...); between there and 0, log Phi(x) (Phi >= 0.24); above 0,
 * log1p(-Phi(-x)), which keeps the tiny negative result (log Phi(8) = -6.2e-16).
 */
export function logPhi(x: number): number {
  const u = x * SQRT_HALF;
  if (u < -0.5) return -0.5 * x * x - LN2 + Math.log(erfcx(-u));
  if (x <= 0) return Math.log(Phi(x));
  return Math.log1p(-Phi(-x));
}

/**
 * The inverse Mills ratio phi(x) / Phi(x) = d/dx log Phi(x). Below x = -1/sqrt 2 the Gaussian factors cancel
 * analytically: sqrt(2/pi) / erfcx(-x / sqrt 2), stable for any negative x (it tends to -x); above, the
 * quotient itself (Phi >= 0.24, phi underflows gracefully to 0).
 */
export function invMills(x: number): number {
  const u = x * SQRT_HALF;
  if (u < -0.5) return SQRT_2_OVER_PI / erfcx(-u);
  return (INV_SQRT_2PI * expNegHalfSquare(x)) / Phi(x);
}

/**
 * Rational approximations of the normal quantile (fitted in test/reference/fixtures/special_coefficients.py),
 * in variables that make every coefficient positive (Horner then adds terms of one sign):
 * central, x = q P(w) / Q(w) with q = p - 1/2 in [-0.425, 0.425], w = 1 - q^2 / 0.180625, relative error 3.5e-10;
 * tail, x = -P(t) / Q(t) with r = sqrt(-log p) in [1.6, 27.3] (p down to 5e-324), t = r - 1.6, relative error 5.9e-10.
 */
const INV_PHI_CENTRAL_P = [
  3.387132871622243, 12.827574050165726, 13.738714023245274, 4.069900947281253, 0.15901827879619274,
];
const INV_PHI_CENTRAL_Q = [1.0, 4.329972646035438, 5.68691871998316, 2.3998774161459924, 0.22001195181387523];
const INV_PHI_TAIL_P = [
  1.4234371115829156, 3.369407219101557, 2.4892510771686704, 0.7350064776900487, 0.08440052802577036,
  0.0027966412921249795,
];
const INV_PHI_TAIL_Q = [
  1.0, 1.167356516380813, 0.43469809276905486, 0.05653438515271619, 0.001977374727050507,
  8.445235621934444e-10,
];

/**
 * The standard normal quantile Phi^-1(p), p in [0, 1] (-inf at 0, +inf at 1). The rational fit's guess (5e-10)
 * is polished by one Halley step (cubic: the error left is float64 rounding): in the centre on
 * g(x) = erf(x / sqrt 2) / 2 - (p - 1/2), relative-accurate at p = 1/2 + tiny; in the tails on
 * h(x) = log Phi(x) - log p, whose derivative is invMills, accurate down to p = 5e-324. Upper tail by symmetry
 * from 1 - p (exact for p > 1/2).
 */
export function invPhi(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const w = 1 - (q * q) / 0.180625;
    const x = (q * horner(INV_PHI_CENTRAL_P, w)) / horner(INV_PHI_CENTRAL_Q, w);
    const step = (0.5 * erf(x * SQRT_HALF) - q) / (INV_SQRT_2PI * expNegHalfSquare(x));
    return x - step / (1 + 0.5 * x * step);
  }
  const tail = q < 0 ? p : 1 - p;
  const logTail = Math.log(tail);
  const t = Math.sqrt(-logTail) - 1.6;
  const x = -horner(INV_PHI_TAIL_P, t) / horner(INV_PHI_TAIL_Q, t);
  const m = invMills(x);
  const step = (logPhi(x) - logTail) / m;
  const lower = x - step / (1 + 0.5 * step * (x + m));
  return q < 0 ? lower : -lower;
}
