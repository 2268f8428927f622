// shaders/stan/rng.wgsl — Stan's `_rng` functions for generated quantities (src/stan/codegen.ts), f32.
// requires: rng/philox, math/special
//
// Contract (every name starts with stan_rng or is stan_<family>_rng):
//   fn stan_rng_begin(z)            keys the stream by the draw: Philox chained over the bits of z's D coordinates,
//                                   so every draw of q gets its own stream, reproducible from the fit's seed (z
//                                   is), and no kernel passes anything new to model_constrain.
//   fn stan_rng_u01() -> f32        the stream's next uniform in (0, 1): four per Philox call, counter n, 1, 0, 0.
//   fn stan_<family>_rng(params...) one draw, as Stan's: normal, std_normal, lognormal, uniform, exponential,
//                                   cauchy, logistic, double_exponential, weibull, frechet, gumbel, rayleigh,
//                                   pareto, pareto_type_2, exp_mod_normal, gamma, inv_gamma, chi_square,
//                                   inv_chi_square, scaled_inv_chi_square, student_t, beta, bernoulli,
//                                   bernoulli_logit, binomial, poisson, poisson_log, neg_binomial,
//                                   neg_binomial_2, neg_binomial_2_log, beta_binomial (i32 for the discrete
//                                   ones); categorical is lowered to uniforms by src/stan/lower.ts.
//   fn stan_rng_gamma1(shape), stan_rng_beta(a, b)  the Gamma(shape, 1) and Beta draws the others build on.
// src/stan/rng.ts is the float64 twin: the same stream (bit for bit: the uniforms are exact in f32) and the same
// algorithms, so the interpreter reproduces these draws up to f32 rounding of the transforms.
// Invalid parameters (a negative sigma, theta outside [0, 1], a rate at or above 2^30) give NaN for a real and -1
// for an int, where Stan would throw.
// Conditions use `&` and `|`, never `&&` or `||` (why: shaders/math/special.wgsl).

var<private> stan_rng_key: vec2<u32>;
var<private> stan_rng_counter: u32;
var<private> stan_rng_buffer: vec4<f32>;
var<private> stan_rng_used: u32;

fn stan_rng_begin(z: ptr<function, array<vec4<f32>, DV>>) {
  var key = vec2<u32>(0x53544e31u, u32(D)); // "STN1", D
  for (var b = 0u; b < DV; b = b + 1u) {
    // Lanes past D are zero here whatever z holds there, as in the float64 twin.
    let lane = vec4<u32>(4u * b) + vec4<u32>(0u, 1u, 2u, 3u);
    let bits = select(vec4<u32>(0u), bitcast<vec4<u32>>((*z)[b]), lane < vec4<u32>(D));
    key = philox4x32_10(bits, key).xy;
  }
  stan_rng_key = key;
  stan_rng_counter = 0u;
  stan_rng_used = 4u;
}

fn stan_rng_u01() -> f32 {
  if (stan_rng_used == 4u) {
    stan_rng_buffer = philox_uniform4(vec4<u32>(stan_rng_counter, 1u, 0u, 0u), stan_rng_key);
    stan_rng_counter = stan_rng_counter + 1u;
    stan_rng_used = 0u;
  }
  let u = stan_rng_buffer[stan_rng_used];
  stan_rng_used = stan_rng_used + 1u;
  return u;
}

// cos(pi x) and sin(pi x) through math_sinpi_reduced: the builtins promise only an absolute 2^-11 on [-pi, pi]
// (SwiftShader's cos gave normals off by 5e-4 at z = 3.4, a chi-square draw by 3e-4 relative).
fn stan_rng_cospi(x: f32) -> f32 {
  let n = round(x);
  let r = x - n;
  let c = math_sinpi_reduced(0.5 - abs(r));
  return select(c, -c, (i32(n) & 1) == 1);
}

fn stan_std_normal_rng() -> f32 {
  // Box-Muller's first output (the second is not kept, so each normal takes two fresh uniforms).
  let u1 = stan_rng_u01();
  let u2 = stan_rng_u01();
  return sqrt(-2.0 * log(u1)) * stan_rng_cospi(2.0 * u2);
}

fn stan_normal_rng(mu: f32, sigma: f32) -> f32 {
  let n = stan_std_normal_rng();
  return select(math_nan(), mu + sigma * n, sigma > 0.0);
}

fn stan_lognormal_rng(mu: f32, sigma: f32) -> f32 {
  return exp(stan_normal_rng(mu, sigma));
}

fn stan_uniform_rng(a: f32, b: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), a + (b - a) * u, b > a);
}

fn stan_exponential_rng(beta: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), -log(u) / beta, beta > 0.0);
}

fn stan_bernoulli_rng(theta: f32) -> i32 {
  let u = stan_rng_u01();
  return select(select(0, 1, u < theta), -1, !((theta >= 0.0) & (theta <= 1.0)));
}

fn stan_bernoulli_logit_rng(alpha: f32) -> i32 {
  // inv_logit without overflow: 1 / (1 + exp(-alpha)) is 0 or 1 at the extremes, as it should be.
  return stan_bernoulli_rng(1.0 / (1.0 + exp(-alpha)));
}

// A sum of n Bernoulli draws: exact for every n and theta, at n uniforms per draw.
fn stan_binomial_rng(n: i32, theta: f32) -> i32 {
  if ((n < 0) | !((theta >= 0.0) & (theta <= 1.0))) {
    return -1;
  }
  var k = 0;
  for (var i = 0; i < n; i = i + 1) {
    k = k + select(0, 1, stan_rng_u01() < theta);
  }
  return k;
}

// Knuth's multiplication method below 10 (about lambda + 1 uniforms), Hoermann's transformed rejection (PTRS,
// 1993) from 10 on (about 2.3 uniforms per draw on average at any rate).
fn stan_poisson_rng(lambda: f32) -> i32 {
  if (!(lambda >= 0.0) | (lambda >= 1073741824.0)) {
    return -1;
  }
  if (lambda < 10.0) {
    let limit = exp(-lambda);
    var k = 0;
    var p = stan_rng_u01();
    while (p > limit) {
      k = k + 1;
      p = p * stan_rng_u01();
    }
    return k;
  }
  let slam = sqrt(lambda);
  let loglam = log(lambda);
  let b = 0.931 + 2.53 * slam;
  let a = -0.059 + 0.02483 * b;
  let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
  let vr = 0.9277 - 3.6224 / (b - 2.0);
  // Each try is accepted with probability above 0.85; 1000 tries failing would take p < 1e-800.
  for (var tries = 0; tries < 1000; tries = tries + 1) {
    let u = stan_rng_u01() - 0.5;
    let v = stan_rng_u01();
    let us = 0.5 - abs(u);
    let k = floor((2.0 * a / us + b) * u + lambda + 0.43);
    if ((us >= 0.07) & (v <= vr)) {
      return i32(k);
    }
    if ((k < 0.0) | ((us < 0.013) & (v > us))) {
      continue;
    }
    if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lambda + k * loglam - math_lgamma(k + 1.0)) {
      return i32(k);
    }
  }
  return -1;
}

fn stan_poisson_log_rng(alpha: f32) -> i32 {
  return stan_poisson_rng(exp(alpha));
}

// Inverse CDFs of one uniform (src/stan/rng.ts draws the same uniforms in the same order).
fn stan_cauchy_rng(mu: f32, sigma: f32) -> f32 {
  // tan(pi v) for v = u - 1/2 in (-1/2, 1/2), as sin(pi v) / cos(pi v) (the builtin tan inherits sin's error).
  let v = stan_rng_u01() - 0.5;
  let t = math_sinpi_reduced(v) / math_sinpi_reduced(0.5 - abs(v));
  return select(math_nan(), mu + sigma * t, sigma > 0.0);
}

fn stan_logistic_rng(mu: f32, sigma: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), mu + sigma * log(u / (1.0 - u)), sigma > 0.0);
}

fn stan_double_exponential_rng(mu: f32, sigma: f32) -> f32 {
  // u is never exactly 1/2 (stan_rng_u01's grid is offset by half a step), so sign(v) is never 0.
  let v = stan_rng_u01() - 0.5;
  return select(math_nan(), mu - sigma * sign(v) * log(1.0 - 2.0 * abs(v)), sigma > 0.0);
}

fn stan_weibull_rng(alpha: f32, sigma: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), sigma * pow(-log(u), 1.0 / alpha), (alpha > 0.0) & (sigma > 0.0));
}

fn stan_frechet_rng(alpha: f32, sigma: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), sigma * pow(-log(u), -1.0 / alpha), (alpha > 0.0) & (sigma > 0.0));
}

fn stan_gumbel_rng(mu: f32, beta: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), mu - beta * log(-log(u)), beta > 0.0);
}

fn stan_rayleigh_rng(sigma: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), sigma * sqrt(-2.0 * log(u)), sigma > 0.0);
}

fn stan_pareto_rng(y_min: f32, alpha: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), y_min * pow(u, -1.0 / alpha), (y_min > 0.0) & (alpha > 0.0));
}

fn stan_pareto_type_2_rng(mu: f32, lambda: f32, alpha: f32) -> f32 {
  let u = stan_rng_u01();
  return select(math_nan(), mu + lambda * (pow(u, -1.0 / alpha) - 1.0), (lambda > 0.0) & (alpha > 0.0));
}

fn stan_exp_mod_normal_rng(mu: f32, sigma: f32, lambda: f32) -> f32 {
  let n = stan_std_normal_rng();
  let u = stan_rng_u01();
  return select(math_nan(), mu + sigma * n - log(u) / lambda, (sigma > 0.0) & (lambda > 0.0));
}

// Gamma(shape, rate 1): Marsaglia and Tsang (2000) from shape 1 on (each try is accepted with probability above
// 0.95); below 1, a draw at shape + 1 times u^(1/shape). NaN for a shape that is not positive, or after 1000 tries.
fn stan_rng_gamma1(shape: f32) -> f32 {
  if (!(shape > 0.0) | (shape > 3.0e38)) {
    return math_nan();
  }
  let boost = shape < 1.0;
  let d = select(shape, shape + 1.0, boost) - 1.0 / 3.0;
  let c = 1.0 / sqrt(9.0 * d);
  // One exit, after the loop: SwiftShader compiles a return from inside an inlined loop slowly, and every
  // gamma-based family inlines this loop once more.
  // (A flag, not a NaN test: SwiftShader's optimizer may fold x != x to false.)
  var draw = 0.0;
  var accepted = false;
  for (var tries = 0; (tries < 1000) & !accepted; tries = tries + 1) {
    let x = stan_std_normal_rng();
    let t = 1.0 + c * x;
    if (t > 0.0) {
      let v = t * t * t;
      let u = stan_rng_u01();
      if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) {
        draw = d * v;
        accepted = true;
      }
    }
  }
  if (!accepted) {
    return math_nan();
  }
  if (boost) {
    draw = draw * pow(stan_rng_u01(), 1.0 / shape);
  }
  return draw;
}

fn stan_rng_beta(a: f32, b: f32) -> f32 {
  let x = stan_rng_gamma1(a);
  let y = stan_rng_gamma1(b);
  return x / (x + y);
}

fn stan_gamma_rng(alpha: f32, beta: f32) -> f32 {
  let g = stan_rng_gamma1(alpha);
  return select(math_nan(), g / beta, beta > 0.0);
}

fn stan_inv_gamma_rng(alpha: f32, beta: f32) -> f32 {
  let g = stan_rng_gamma1(alpha);
  return select(math_nan(), beta / g, beta > 0.0);
}

fn stan_chi_square_rng(nu: f32) -> f32 {
  return 2.0 * stan_rng_gamma1(0.5 * nu);
}

fn stan_inv_chi_square_rng(nu: f32) -> f32 {
  return 1.0 / (2.0 * stan_rng_gamma1(0.5 * nu));
}

fn stan_scaled_inv_chi_square_rng(nu: f32, s: f32) -> f32 {
  let g = stan_rng_gamma1(0.5 * nu);
  return select(math_nan(), nu * s * s / (2.0 * g), s > 0.0);
}

fn stan_student_t_rng(nu: f32, mu: f32, sigma: f32) -> f32 {
  let n = stan_std_normal_rng();
  let chi2 = 2.0 * stan_rng_gamma1(0.5 * nu);
  return select(math_nan(), mu + sigma * n * sqrt(nu / chi2), (mu == mu) & (sigma > 0.0));
}

fn stan_beta_rng(a: f32, b: f32) -> f32 {
  return stan_rng_beta(a, b);
}

// Poisson draws at a Gamma-distributed rate; stan_poisson_rng refuses a NaN rate (-1).
fn stan_neg_binomial_rng(alpha: f32, beta: f32) -> i32 {
  var rate = math_nan();
  if (beta > 0.0) {
    rate = stan_rng_gamma1(alpha) / beta;
  }
  return stan_poisson_rng(rate);
}

fn stan_neg_binomial_2_rng(mu: f32, phi: f32) -> i32 {
  var rate = math_nan();
  if (mu > 0.0) {
    rate = stan_rng_gamma1(phi) * mu / phi;
  }
  return stan_poisson_rng(rate);
}

fn stan_neg_binomial_2_log_rng(eta: f32, phi: f32) -> i32 {
  return stan_poisson_rng(stan_rng_gamma1(phi) * exp(eta) / phi);
}

fn stan_beta_binomial_rng(n: i32, a: f32, b: f32) -> i32 {
  let p = stan_rng_beta(a, b);
  if (!((p >= 0.0) & (p <= 1.0))) {
    return -1;
  }
  return stan_binomial_rng(n, p);
}
