// shaders/math/special.wgsl — special functions in f32 (the twin of src/math/special.ts: same names with a
// math_ prefix, same semantics; the float64 TypeScript is the reference for generated code).
//
// Contract (self-contained: no bindings, no constants to supply, no extensions; every name starts with math_).
// Every function is total: outside its domain it returns NaN, at the edge of it the IEEE limit (lgamma(0) = +inf,
// log1m_exp(0) = -inf, inv_Phi(1) = +inf, ...: test/reference/special-fixtures.ts, SPECIAL_EDGES, checked exactly)
// on adapters that keep IEEE infinities and NaNs (WGSL lets an implementation assume they never occur). Where the
// builtin log would have to supply an infinity or a NaN, the functions select it explicitly: SwiftShader's log(0)
// is -88.03 and its log(-y) is log(y).
// Conditions join comparisons with `&` and `|`, never `&&` or `||`: a short-circuit operator is a branch in the
// SPIR-V, and SwiftShader's compile time grows much faster than the count of them once these functions are
// inlined into a model (GLMM_Poisson's elbo_step, 15 inlined math_log1p: 168 s with `&&`, 0.7 s with `&`).
//
//   fn math_exp(x: f32) -> f32                              e^x, Cody-Waite reduced (the builtin's error grows with x)
//   fn math_log1p(x: f32) -> f32                            log(1 + x), x >= -1
//   fn math_expm1(x: f32) -> f32                            e^x - 1
//   fn math_log1p_exp(x: f32) -> f32                        softplus log(1 + e^x), any x
//   fn math_log1m_exp(x: f32) -> f32                        log(1 - e^x), x <= 0
//   fn math_log_diff_exp(a: f32, b: f32) -> f32             log(e^a - e^b), a >= b
//   fn math_log_sum_exp2(a: f32, b: f32) -> f32             log(e^a + e^b)
//   fn math_inv_logit(x: f32) -> f32                        1 / (1 + e^-x), relative in both tails
//   fn math_logit(p: f32) -> f32                            log(p / (1 - p)), 0 <= p <= 1
//   fn math_log_inv_logit(x: f32) -> f32                    log(inv_logit(x))
//   fn math_log1m_inv_logit(x: f32) -> f32                  log(1 - inv_logit(x))
//   fn math_lgamma(x: f32) -> f32                           log|Gamma(x)|, x > 0, and x < 0 off the integers
//   fn math_digamma(x: f32) -> f32                          d/dx lgamma, x > 0 and x < 0 off the integers
//   fn math_trigamma(x: f32) -> f32                         d/dx digamma, likewise
//   fn math_lbeta(a: f32, b: f32) -> f32                    log B(a, b), a, b >= 0 (one may be huge)
//   fn math_lchoose(n: f32, k: f32) -> f32                  log C(n, k), real n > -1, -1 < k < n + 1
//   fn math_lmgamma(k: i32, x: f32) -> f32                  log multivariate gamma Gamma_k(x), k >= 0
//   fn math_log_falling_factorial(x: f32, n: f32) -> f32    lgamma(x + 1) - lgamma(x - n + 1), x > 0
//   fn math_log_rising_factorial(x: f32, n: f32) -> f32     lgamma(x + n) - lgamma(x), x > 0
//   fn math_erf(x: f32) -> f32
//   fn math_erfc(x: f32) -> f32                             relative in the right tail, to 1e-38 at x = 9.19
//   fn math_erfcx(x: f32) -> f32                            e^(x^2) erfc(x)
//   fn math_Phi(x: f32) -> f32                              standard normal CDF, relative down to x = -13
//   fn math_log_Phi(x: f32) -> f32                          log Phi(x) for any x (x = -1e19 and x = +12 alike)
//   fn math_inv_mills(x: f32) -> f32                        phi(x) / Phi(x) = d/dx log Phi(x), any x
//   fn math_inv_Phi(p: f32) -> f32                          standard normal quantile, 0 <= p <= 1
//
// Tested error (test/gpu/special.test.ts: f32 results against mpmath at every fixture argument that is a normal
// float32 and whose value is one; bound (achieved on SwiftShader); "abs" = |error| / max(1, |value|) for results that
// cross zero inside the domain, else relative):
//   exp 2e-7 (6.9e-8); log1p 4e-7 (2.0e-7); expm1 3e-7 (1.1e-7); log1p_exp, log_inv_logit, log1m_inv_logit 3e-7
//   (1.0e-7); log1m_exp 5e-7 (2.2e-7); log_diff_exp, log_sum_exp2 3e-7 abs (8.3e-8); inv_logit 2e-7 (7.2e-8);
//   logit 3e-7 (1.4e-7); lgamma x > 0 5e-7 (1.8e-7, relative at the roots 1 and 2); lgamma x < 0 6e-6 abs (2.4e-6:
//   the reflection subtracts two lgammas near a pole); digamma x > 0 1.5e-6 (6.3e-7, relative at its root);
//   digamma x < 0 5e-7 abs (2.2e-7); trigamma 4e-7 (1.6e-7); lbeta 8e-7 abs (3.3e-7); lchoose 1.5e-6 abs (6.2e-7);
//   lmgamma 4e-7 abs (1.4e-7); log_falling_factorial 1e-6 abs (4.5e-7); log_rising_factorial 6e-7 abs (2.6e-7);
//   erf, erfc, erfcx, Phi, log_Phi, inv_mills 4e-7 (1.7e-7); inv_Phi 5e-7 (1.9e-7).
// The builtin log enters only at arguments whose log is at least 0.3 in magnitude (never near 1, where the WGSL spec
// allows it an absolute 2^-21); on an adapter whose log is at that limit the errors above could grow by up to 1.5e-6.
// Compilers may re-associate floating-point sums with constants (SwiftShader's SPIR-V optimizer turns
// (y - c1) - c2 into y - (c1 + c2) and (1 + x) - 1 into x): no function relies on such a sum being evaluated as
// written, except through fma, which the optimizer leaves alone.
// Internal helpers (math_ prefixed, not part of the contract): math_inf, math_nan, math_sinpi_reduced,
// math_exp_neg_square, math_exp_neg_half_square, math_erf_series, math_lgamma_near2, math_lgamma_positive,
// math_stirling_series, math_lgamma_increment, math_erfcx_positive.

// Infinity and NaN cannot be written as WGSL constants (a const-expression may not overflow), so they come from
// bit patterns held in private variables, which the compiler does not fold.
var<private> math_inf_bits: u32 = 0x7f800000u;
var<private> math_nan_bits: u32 = 0x7fc00000u;

fn math_inf() -> f32 {
  return bitcast<f32>(math_inf_bits);
}

fn math_nan() -> f32 {
  return bitcast<f32>(math_nan_bits);
}

const MATH_PI: f32 = 3.141592653589793;
const MATH_LN2: f32 = 0.6931471805599453;
const MATH_LOG_PI: f32 = 1.1447298858494002;
const MATH_LOG_SQRT_2PI: f32 = 0.9189385332046728;
const MATH_SQRT_HALF: f32 = 0.7071067811865476;
const MATH_INV_SQRT_PI: f32 = 0.5641895835477563;
const MATH_TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;
const MATH_SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const MATH_INV_SQRT_2PI: f32 = 0.3989422804014327;

// ---------------------------------------------------------------------------------------------------------------
// Exponentials and logarithms

// e^x = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2 computed exactly (Cody-Waite: ln2_hi has 15 significant
// bits, so n ln2_hi is exact for |n| < 512), |r| <= 0.347; e^r by its Taylor series to r^7 (remainder < 6e-9).
// The builtin exp may err by (3 + 2|x|) ulp, 1e-5 relative at x = -80, because it rounds x / ln 2 first.
fn math_exp(x: f32) -> f32 {
  let n = round(x * 1.4426950408889634);
  let r = (x - n * 0.693145751953125) - n * 1.428606765330187e-6;
  let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0
    + r * (1.0 / 5040.0)))))));
  // Beyond 88.72 the result overflows; below -103.98 it is 0 even as a subnormal; ldexp needs its exponent <= 128.
  if (x > 88.72284) {
    return math_inf();
  }
  if (x < -103.98) {
    return 0.0;
  }
  return ldexp(p, i32(n));
}

// log(1 + x). Where 1 + x is in [1/sqrt 2, sqrt 2], 2 atanh(s) with s = x / (2 + x) (|s| <= 0.1716: the odd series
// to s^9 leaves < 3e-9): no log of a number near 1, which the builtin only computes to an absolute 2^-21. Elsewhere
// log(u), u = 1 + x, plus the first-order correction (x - (u - 1)) / u for the rounding of u. u - 1 is written as
// fma(u, 1, -1): SwiftShader's SPIR-V optimizer re-associates (1 + x) - 1 into x, which would erase the correction.
// log1p(-1) = -inf and NaN below -1 explicitly (SwiftShader's log(0) is -88.03, and its log(-y) is log(y)).
fn math_log1p(x: f32) -> f32 {
  let s = x / (2.0 + x);
  let s2 = s * s;
  let series = 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0)))));
  let u = 1.0 + x;
  let correction = select(0.0, (x - fma(u, 1.0, -1.0)) / u, (u > 0.0) & (x < 1e30));
  let direct = select(select(log(u) + correction, -math_inf(), u == 0.0), math_nan(), x < -1.0);
  return select(direct, series, (x > -0.29289322) & (x < 0.41421357));
}

// e^x - 1: the Taylor series to x^9 for |x| < 1/2 (remainder < 6e-10 relative), else e^x - 1, which does not
// cancel there (|e^x - 1| > 0.39).
fn math_expm1(x: f32) -> f32 {
  let p = x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0
    + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0)))))))));
  return select(math_exp(x) - 1.0, p, abs(x) < 0.5);
}

// softplus: max(x, 0) + log1p(e^-|x|); never overflows, and is e^x to relative accuracy as x -> -inf.
fn math_log1p_exp(x: f32) -> f32 {
  return max(x, 0.0) + math_log1p(math_exp(-abs(x)));
}

// log(1 - e^x), x <= 0: above -ln 2 from -expm1(x) (exact small differences), below from log1p(-e^x) (e^x <= 1/2).
// -inf at x = 0 explicitly (the builtin log(0) need not be -inf).
fn math_log1m_exp(x: f32) -> f32 {
  let r = select(math_log1p(-math_exp(x)), log(-math_expm1(x)), x > -MATH_LN2);
  return select(select(r, -math_inf(), x == 0.0), math_nan(), x > 0.0);
}

// log(e^a - e^b) = a + log1m_exp(b - a), a >= b: -inf at a = b, a when b = -inf, NaN for b > a.
fn math_log_diff_exp(a: f32, b: f32) -> f32 {
  return select(a + math_log1m_exp(b - a), a, b < -3.4e38);
}

// log(e^a + e^b) = max + log1p(e^-|a - b|); an infinite max is the answer (a - b could be NaN).
fn math_log_sum_exp2(a: f32, b: f32) -> f32 {
  let m = max(a, b);
  return select(m + math_log1p(math_exp(-abs(a - b))), m, abs(m) > 3.4e38);
}

// 1 / (1 + e^-x) from e = e^-|x|: 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0 (relative in both tails).
fn math_inv_logit(x: f32) -> f32 {
  let e = math_exp(-abs(x));
  let r = 1.0 / (1.0 + e);
  return select(e * r, r, x >= 0.0);
}

// log(p / (1 - p)); on [1/4, 3/4] as log1p((2p - 1) / (1 - p)) (both exact there), relative at p = 1/2.
// -inf at p = 0 and NaN outside [0, 1] explicitly (the builtin log need not give them); +inf at p = 1 from log(1 / 0).
fn math_logit(p: f32) -> f32 {
  let central = math_log1p((2.0 * p - 1.0) / (1.0 - p));
  let r = select(select(log(p / (1.0 - p)), -math_inf(), p == 0.0), central, (p >= 0.25) & (p <= 0.75));
  return select(math_nan(), r, (p >= 0.0) & (p <= 1.0));
}

fn math_log_inv_logit(x: f32) -> f32 {
  return -math_log1p_exp(-x);
}

fn math_log1m_inv_logit(x: f32) -> f32 {
  return -math_log1p_exp(x);
}

// ---------------------------------------------------------------------------------------------------------------
// Gamma family

// sin(pi r) for |r| <= 1/2: its Taylor series in r to r^13 (remainder < 7e-10). Callers reduce x to
// r = x - round(x) exactly; |sin(pi x)| = |sin(pi r)|, and cos(pi r) = sin(pi (1/2 - |r|)).
// (The builtin sin only promises an absolute 2^-11 on [-pi, pi].)
fn math_sinpi_reduced(r: f32) -> f32 {
  let r2 = r * r;
  return r * (3.141592653589793 + r2 * (-5.16771278004997 + r2 * (2.5501640398773455 + r2 * (-0.5992645293207921
    + r2 * (0.08214588661112823 + r2 * (-0.0073704309457143504 + r2 * 0.00046630280576761255))))));
}

// lgamma(2 + z) = (1 - gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1) / k z^k for |z| <= 1/2, to z^13 (the terms fall
// like 4^-k; remainder < 4e-9 relative). Zero at z = 0 with relative accuracy.
fn math_lgamma_near2(z: f32) -> f32 {
  var s = 4.374866789907488e-6;
  s = s * z - 9.439488275268397e-6;
  s = s * z + 2.050721277567069e-5;
  s = s * z - 4.492623673813314e-5;
  s = s * z + 9.945751278180853e-5;
  s = s * z - 0.00022315475845357939;
  s = s * z + 0.0005096695247430425;
  s = s * z - 0.001192753911703261;
  s = s * z + 0.0028905103307415234;
  s = s * z - 0.007385551028673986;
  s = s * z + 0.020580808427784546;
  s = s * z - 0.0673523010531981;
  s = s * z + 0.3224670334241132;
  s = s * z + 0.42278433509846713;
  return s * z;
}

// The Stirling correction lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)] for x >= 8: 1/(12x) - 1/(360x^3)
// + 1/(1260x^5) (the next term is < 3e-11 there).
fn math_stirling_series(x: f32) -> f32 {
  let r = 1.0 / x;
  let r2 = r * r;
  return r * (1.0 / 12.0 + r2 * (-1.0 / 360.0 + r2 * (1.0 / 1260.0)));
}

// lgamma for x >= 0. From 8: Stirling as (x - 1/2)(log x - 1) + (log sqrt(2 pi) - 1/2) + correction (no x log x
// against x cancellation). Below: the recurrence moves x into [1.5, 2.5): down, adding log((x-1)...(x-n)) (at most 6
// steps; both terms positive), or up from (0, 1.5), subtracting log1p(z) (and log x below 1/2) — then the series
// around 2. lgamma(0) = +inf.
fn math_lgamma_positive(x: f32) -> f32 {
  if (x >= 8.0) {
    return (x - 0.5) * (log(x) - 1.0) + (MATH_LOG_SQRT_2PI - 0.5) + math_stirling_series(x);
  }
  var y = x;
  var product = 1.0;
  for (var i = 0; i < 6; i++) {
    if (y >= 2.5) {
      y -= 1.0; // exact below 8
      product *= y;
    }
  }
  let z = select(select(y, y - 1.0, y >= 0.5), y - 2.0, y >= 1.5); // in [-1/2, 1/2)
  var r = math_lgamma_near2(z);
  if (y < 1.5) {
    r -= math_log1p(z); // lgamma(1 + z) = lgamma(2 + z) - log(1 + z)
  }
  if (y < 0.5) {
    r -= log(y); // lgamma(y) = lgamma(1 + y) - log y, with z = y
  }
  // log(1) is skipped, not added: the builtin need not return exactly 0, which would spoil the roots at 1 and 2.
  r = select(r, r + log(product), product > 1.0);
  return select(r, math_inf(), x == 0.0); // the pole (log(0) need not be -inf)
}

// log|Gamma(x)|: for x < 0 the reflection log(pi / |sin(pi x)|) - lgamma(1 - x) (+inf at the negative integers).
fn math_lgamma(x: f32) -> f32 {
  if (x < -8388608.0) {
    return math_inf(); // every f32 beyond -2^23 (and -inf) is a negative integer: a pole
  }
  if (x < 0.0) {
    let s = abs(math_sinpi_reduced(x - round(x)));
    return log(MATH_PI / s) - math_lgamma_positive(1.0 - x);
  }
  return math_lgamma_positive(x);
}

// lgamma(y + n) - lgamma(y), y > 0, y + n > 0: when both arguments are >= 8, the difference of the Stirling
// expansions (y - 1/2) log1p(t) + n (log(y + n) - 1) + correction(y + n) - correction(y), t = n / y, which never
// forms the two large lgammas; else the lgammas themselves. (y - 1/2) log1p(t) is computed as
// n (1 - 1/(2y)) log1p(t)/t, with log1p(t)/t = 1 - t/2 for |t| < 1e-4: t itself may be subnormal (flushed to 0)
// when y is huge, while the term is still about n.
fn math_lgamma_increment(y: f32, n: f32) -> f32 {
  let z = y + n;
  if (min(y, z) >= 8.0) {
    let t = n / y;
    let log1p_ratio = select(math_log1p(t) / t, 1.0 - 0.5 * t, abs(t) < 1e-4);
    return n * (1.0 - 0.5 / y) * log1p_ratio + n * (log(z) - 1.0) + math_stirling_series(z)
      - math_stirling_series(y);
  }
  return math_lgamma(z) - math_lgamma(y);
}

// log B(a, b), a, b >= 0. With x = min, y = max: both < 8, lgamma(x) + lgamma(y) - lgamma(x + y); x < 8 <= y,
// lgamma(x) - [lgamma(x + y) - lgamma(y)] by the Stirling difference; both >= 8, the Stirling expansions with the
// large terms cancelled analytically: log sqrt(2 pi) - log(y)/2 + (x - 1/2) log(x / (x + y)) + y log1p(-x / (x + y))
// + corrections. +inf if either is 0, -inf if one is +inf (and the other positive), NaN if either is negative.
fn math_lbeta(a: f32, b: f32) -> f32 {
  let x = min(a, b);
  let y = max(a, b);
  var r: f32;
  if (y < 8.0) {
    r = math_lgamma(x) + math_lgamma(y) - math_lgamma(x + y);
  } else if (x < 8.0) {
    r = math_lgamma(x) - math_lgamma_increment(y, x);
  } else {
    let w = x / (x + y);
    r = MATH_LOG_SQRT_2PI - 0.5 * log(y) + (x - 0.5) * log(w) + y * math_log1p(-w) + math_stirling_series(x)
      + math_stirling_series(y) - math_stirling_series(x + y);
  }
  r = select(r, -math_inf(), (y > 3.4e38) & (x > 0.0));
  return select(r, math_nan(), x < 0.0);
}

// log C(n, k) for real n > -1, -1 < k < n + 1 (Stan's lchoose); exactly 0 at k = 0 and k = n. With m = min(k, n - k):
// below 8, lgamma(n + 1) - lgamma(n - m + 1) (the Stirling difference when n - m + 1 >= 8) - lgamma(m + 1), which
// avoids -log1p(n) cancelling most of (m + 1) log n; else -log1p(n) - lbeta(n - k + 1, k + 1), where lbeta's
// symmetric Stirling form keeps the large terms apart.
fn math_lchoose(n: f32, k: f32) -> f32 {
  let m = min(k, n - k);
  var r: f32;
  if (m < 8.0) {
    r = math_lgamma_increment(n - m + 1.0, m) - math_lgamma(m + 1.0);
  } else {
    r = -math_log1p(n) - math_lbeta(n - k + 1.0, k + 1.0);
  }
  r = select(r, 0.0, (k == 0.0) | (k == n));
  return select(math_nan(), r, (n > -1.0) & (k > -1.0) & (n - k > -1.0));
}

// lgamma(x + n) - lgamma(x), x > 0.
fn math_log_rising_factorial(x: f32, n: f32) -> f32 {
  return select(math_nan(), math_lgamma_increment(x, n), x > 0.0);
}

// lgamma(x + 1) - lgamma(x - n + 1), x > 0.
fn math_log_falling_factorial(x: f32, n: f32) -> f32 {
  return select(math_nan(), -math_lgamma_increment(x + 1.0, -n), x > 0.0);
}

// log Gamma_k(x) = k (k - 1) / 4 log(pi) + sum_{j=1..k} lgamma(x + (1 - j) / 2), k >= 0.
fn math_lmgamma(k: i32, x: f32) -> f32 {
  var sum = 0.25 * f32(k) * f32(k - 1) * MATH_LOG_PI;
  for (var j = 1; j <= k; j++) {
    sum += math_lgamma(x + 0.5 * f32(1 - j));
  }
  return select(sum, math_nan(), k < 0);
}

// digamma(x). Within 1/4 of the positive root x0 = 1.4616321...: the Taylor series about c = 1.4616321325302124,
// the float32 nearest x0, in d = x - c (exact); its constant term is digamma(c) = -1.2036e-8, so the result is
// relative-accurate at the root (11 terms, remainder < 2e-9 relative), where the recurrence would cancel two numbers
// near 1.8 into one near 0. (Not d = (x - c) - (x0 - c): the optimizer merges the two constants.) Else the
// recurrence digamma(x) = digamma(x + n) - sum 1/(x + i) up to >= 6, then log x - 1/(2x) - 1/(12x^2) + 1/(120x^4)
// - 1/(252x^6) + 1/(240x^8) (remainder < 1e-10 there).
// For x < 0: digamma(1 - x) - pi cos(pi x) / sin(pi x); NaN at the poles 0, -1, -2, ...
fn math_digamma(x: f32) -> f32 {
  let negative = x < 0.0;
  let y = select(x, 1.0 - x, negative);
  let d = y - 1.4616321325302124;
  var root = 0.010538792691945182;
  root = root * d - 0.015424767346862807;
  root = root * d + 0.022597650150773706;
  root = root * d - 0.0331611290045039;
  root = root * d + 0.04880429146384774;
  root = root * d - 0.07219956550570023;
  root = root * d + 0.10782405607943633;
  root = root * d - 0.16394271214806524;
  root = root * d + 0.258499769112227;
  root = root * d - 0.4427631786293686;
  root = root * d + 0.9676722564619307;
  root = root * d - 1.203605254910667e-8;
  var z = y;
  var sum = 0.0;
  for (var i = 0; i < 6; i++) {
    if (z < 6.0) {
      sum += 1.0 / z;
      z += 1.0;
    }
  }
  let r2 = 1.0 / (z * z);
  let asymptotic = log(z) - 0.5 / z - r2 * (1.0 / 12.0 - r2 * (1.0 / 120.0 - r2 * (1.0 / 252.0 - r2 * (1.0 / 240.0))));
  var psi = select(asymptotic - sum, root, abs(d) < 0.25);
  let offset = x - round(x);
  if (negative) {
    psi -= MATH_PI * math_sinpi_reduced(0.5 - abs(offset)) / math_sinpi_reduced(offset);
  }
  return select(psi, math_nan(), (x <= 0.0) & (offset == 0.0));
}

// trigamma(x). For x > 0: the recurrence trigamma(x) = trigamma(x + 1) + 1/x^2 (positive terms, no cancellation)
// up to >= 6, then 1/x + 1/(2x^2) + 1/(6x^3) - 1/(30x^5) + 1/(42x^7) - 1/(30x^9) (remainder < 2e-9 relative).
// For x < 0: pi^2 / sin^2(pi x) - trigamma(1 - x); +inf at the poles 0, -1, -2, ...
fn math_trigamma(x: f32) -> f32 {
  let negative = x < 0.0;
  var z = select(x, 1.0 - x, negative);
  var sum = 0.0;
  for (var i = 0; i < 6; i++) {
    if (z < 6.0) {
      sum += 1.0 / (z * z);
      z += 1.0;
    }
  }
  let r = 1.0 / z;
  let r2 = r * r;
  let psi1 = sum + r + 0.5 * r2 + r * r2 * (1.0 / 6.0 - r2 * (1.0 / 30.0 - r2 * (1.0 / 42.0 - r2 * (1.0 / 30.0))));
  if (negative) {
    let s = math_sinpi_reduced(x - round(x));
    return MATH_PI * MATH_PI / (s * s) - psi1;
  }
  return psi1;
}

// ---------------------------------------------------------------------------------------------------------------
// Error function and the normal distribution

// erf(x) for |x| < 1/2 by its Taylor series (2x/sqrt(pi)) sum (-1)^n x^2n / (n! (2n + 1)), to x^13 (remainder < 1e-9).
fn math_erf_series(x: f32) -> f32 {
  let t = x * x;
  return MATH_TWO_OVER_SQRT_PI * x * (1.0 + t * (-1.0 / 3.0 + t * (0.1 + t * (-1.0 / 42.0 + t * (1.0 / 216.0
    + t * (-1.0 / 1320.0 + t * (1.0 / 9360.0)))))));
}

// e^(-x^2) with x^2 split exactly: hi = x with its low 12 significand bits cleared, so hi^2 is exact, and
// lo (x + hi) = x^2 - hi^2 is small. (e^(-x*x) would carry x^2's rounding, 5e-6 relative at x = 9.)
// Beyond |x| = 10 the value is below the smallest normal f32 and is 0 (which also keeps x = inf from inf - inf).
fn math_exp_neg_square(x: f32) -> f32 {
  let a = abs(x);
  let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let lo = a - hi;
  return select(math_exp(-hi * hi) * math_exp(-lo * (a + hi)), 0.0, a > 10.0);
}

// e^(-x^2 / 2), the same way from x itself (not from the rounded x / sqrt 2).
fn math_exp_neg_half_square(x: f32) -> f32 {
  let a = abs(x);
  let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let lo = a - hi;
  return select(math_exp(-0.5 * hi * hi) * math_exp(-0.5 * lo * (a + hi)), 0.0, a > 14.0);
}

// e^(x^2) erfc(x) for x >= 0: (1 + 2x) erfcx(x) expanded in Chebyshev polynomials of y = (x - 3) / (x + 3), which
// maps [0, inf) onto [-1, 1) (the function rises smoothly from 1 to 2/sqrt(pi)); 12 terms leave < 5e-9, summed by
// Clenshaw's recurrence. Beyond 1e18, 1 / (x sqrt(pi)) (its relative error 1/(2x^2) is below f32's resolution).
fn math_erfcx_positive(x: f32) -> f32 {
  let y = (x - 3.0) / (x + 3.0);
  let y2 = 2.0 * y;
  var b1 = 7.549828343825093e-8;
  var b2 = 0.0;
  var b0 = y2 * b1 - b2 - 1.807522790414837e-7; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 - 2.0072285659059913e-6; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 + 1.2841532864056671e-5; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 + 1.7661719523171593e-5; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 - 0.0006335531710553147; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 + 0.004453426061462712; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 - 0.018976596707845208; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 + 0.05436652555744322; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 - 0.09377550342284209; b2 = b1; b1 = b0;
  b0 = y2 * b1 - b2 + 0.005353904539615676; b2 = b1; b1 = b0;
  let g = y * b1 - b2 + 0.5 * 2.35512514839312;
  return select(g / (1.0 + 2.0 * x), MATH_INV_SQRT_PI / x, x > 1e18);
}

// e^(x^2) erfc(x); for x < 0, 2 e^(x^2) - erfcx(-x) (+inf below -9.4, where e^(x^2) overflows).
fn math_erfcx(x: f32) -> f32 {
  if (x >= 0.0) {
    return math_erfcx_positive(x);
  }
  let a = -x;
  let hi = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
  let lo = a - hi;
  let r = 2.0 * math_exp(hi * hi) * math_exp(lo * (a + hi)) - math_erfcx_positive(a);
  return select(r, math_inf(), a > 9.5);
}

// erf(x): the series for |x| < 1/2, else sign(x) (1 - erfc(|x|)) with erfc(|x|) = e^(-x^2) erfcx(|x|) <= 0.48.
fn math_erf(x: f32) -> f32 {
  let c = math_exp_neg_square(x) * math_erfcx_positive(abs(x));
  return select(sign(x) * (1.0 - c), math_erf_series(x), abs(x) < 0.5);
}

// erfc(x): 1 - series for |x| < 1/2, e^(-x^2) erfcx(x) above (relative down to the last normal f32, x = 9.19),
// 2 - erfc(-x) below.
fn math_erfc(x: f32) -> f32 {
  let c = math_exp_neg_square(x) * math_erfcx_positive(abs(x));
  return select(select(2.0 - c, c, x > 0.0), 1.0 - math_erf_series(x), abs(x) < 0.5);
}

// Phi(x) = erfc(-x / sqrt 2) / 2: 1/2 + erf(u)/2 by the series for |u| < 1/2 (u = x / sqrt 2); below, with the
// Gaussian factor e^(-x^2/2) taken from x itself (split exactly), e^(-x^2/2) erfcx(-u) / 2; above, 1 minus that.
fn math_Phi(x: f32) -> f32 {
  let u = x * MATH_SQRT_HALF;
  let tail = 0.5 * math_exp_neg_half_square(x) * math_erfcx_positive(abs(u));
  return select(select(1.0 - tail, tail, u < 0.0), 0.5 + 0.5 * math_erf_series(u), abs(u) < 0.5);
}

// log Phi(x). Below x = -1/sqrt 2: -x^2/2 - log 2 + log erfcx(-x / sqrt 2), no exponential, so it holds where Phi
// underflows (x = -1e19); up to 0, log Phi(x) (Phi >= 0.24); above 0, log1p(-Phi(-x)), which keeps the tiny
// negative value (log Phi(5) = -2.9e-7).
fn math_log_Phi(x: f32) -> f32 {
  let u = x * MATH_SQRT_HALF;
  if (u < -0.5) {
    return -0.5 * x * x - MATH_LN2 + log(math_erfcx_positive(-u));
  }
  if (x <= 0.0) {
    return log(math_Phi(x));
  }
  return math_log1p(-math_Phi(-x));
}

// phi(x) / Phi(x) = d/dx log Phi(x). Below x = -1/sqrt 2 the Gaussian factors cancel analytically:
// sqrt(2/pi) / erfcx(-x / sqrt 2), stable for any negative x (it tends to -x); above, the quotient itself.
fn math_inv_mills(x: f32) -> f32 {
  let u = x * MATH_SQRT_HALF;
  if (u < -0.5) {
    return MATH_SQRT_2_OVER_PI / math_erfcx_positive(-u);
  }
  return MATH_INV_SQRT_2PI * math_exp_neg_half_square(x) / math_Phi(x);
}

// The standard normal quantile (-inf at 0, +inf at 1, NaN outside [0, 1]), by the rational fits of
// test/reference/fixtures/special_coefficients.py (relative error 5.9e-10, below f32's resolution), written in
// variables where every coefficient is positive so f32 Horner sums do not cancel:
// central |q| <= 0.425, q = p - 1/2: x = q P(w) / Q(w), w = 1 - q^2 / 0.180625;
// tails: r = sqrt(-log(min(p, 1 - p))), t = r - 1.6: x = -/+ P(t) / Q(t) (1 - p is exact for p > 1/2).
fn math_inv_Phi(p: f32) -> f32 {
  let q = p - 0.5;
  var x: f32;
  if (abs(q) <= 0.425) {
    let w = 1.0 - q * q / 0.180625;
    let num = 3.387132871622243 + w * (12.827574050165726 + w * (13.738714023245274 + w * (4.069900947281253
      + w * 0.15901827879619274)));
    let den = 1.0 + w * (4.329972646035438 + w * (5.68691871998316 + w * (2.3998774161459924
      + w * 0.22001195181387523)));
    x = q * num / den;
  } else {
    let t = sqrt(-log(select(p, 1.0 - p, q > 0.0))) - 1.6;
    let num = 1.4234371115829156 + t * (3.369407219101557 + t * (2.4892510771686704 + t * (0.7350064776900487
      + t * (0.08440052802577036 + t * 0.0027966412921249795))));
    let den = 1.0 + t * (1.167356516380813 + t * (0.43469809276905486 + t * (0.05653438515271619
      + t * (0.001977374727050507 + t * 8.445235621934444e-10))));
    x = select(-num / den, num / den, q > 0.0);
  }
  x = select(x, -math_inf(), p == 0.0);
  x = select(x, math_inf(), p == 1.0);
  return select(math_nan(), x, (p >= 0.0) & (p <= 1.0));
}
