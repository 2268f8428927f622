// shaders/stan/runtime.wgsl — the runtime of models compiled from Stan (src/stan/codegen.ts): forward-mode
// derivatives and the scalar primitives.
// requires: math/special
//
// Contract (needs the engine's constant DV; every name starts with stan_ or is Dual):
//   struct Dual { v: f32, d: array<vec4<f32>, DV> }    a value and its derivatives with respect to z (D lanes;
//                                                       lanes past D stay 0)
//   fn stan_dual_const(v) / stan_dual_z(v, k)           a constant (zero tangent) / coordinate k of z
//   fn stan_dc1(v, p0, a0) ... stan_dc4(v, p0, a0, ..., p3, a3) -> Dual
//                                                       the chain rule: value v, tangent sum_k p_k a_k.d
//   fn stan_<name>(args: f32..., [keep: u32]) -> StanP   value and partials (g.x for argument 0, g.y, g.z, g.w):
//                                                       the f32 twins of src/stan/prims.ts, same names, same terms.
//   Densities take keep: bit k set = argument k is parameter-dependent; bit 31 = keep every term
//   (target += ..._lpdf); without bit 31 a term is kept only when it depends on a parameter (`~`).
// Why Duals: stored locals carry their tangents, so loops that carry state (an HMM's forward algorithm) need no
// tape. Within one statement codegen.ts goes in reverse mode on scalars (stan_* values and partials) and touches
// the DV tangent lanes only where it reads a stored local or z.
// Conditions use `&` and `|`, never `&&` or `||` (why: shaders/math/special.wgsl).

struct Dual {
  v: f32,
  d: array<vec4<f32>, DV>,
}

struct StanP {
  v: f32,
  g: vec4<f32>,
}

const STAN_LOG_2PI: f32 = 1.8378770664093453;
const STAN_LOG_PI: f32 = 1.1447298858494002;
const STAN_LOG_2: f32 = 0.6931471805599453;
const STAN_PI: f32 = 3.141592653589793;

fn stan_dual_const(v: f32) -> Dual {
  var r: Dual;
  r.v = v;
  return r;
}

fn stan_dual_z(v: f32, k: u32) -> Dual {
  var r: Dual;
  r.v = v;
  r.d[k / 4u][k % 4u] = 1.0;
  return r;
}

fn stan_dc1(v: f32, p0: f32, a0: Dual) -> Dual {
  var r: Dual;
  r.v = v;
  for (var j = 0u; j < DV; j = j + 1u) {
    r.d[j] = p0 * a0.d[j];
  }
  return r;
}

fn stan_dc2(v: f32, p0: f32, a0: Dual, p1: f32, a1: Dual) -> Dual {
  var r: Dual;
  r.v = v;
  for (var j = 0u; j < DV; j = j + 1u) {
    r.d[j] = p0 * a0.d[j] + p1 * a1.d[j];
  }
  return r;
}

fn stan_dc3(v: f32, p0: f32, a0: Dual, p1: f32, a1: Dual, p2: f32, a2: Dual) -> Dual {
  var r: Dual;
  r.v = v;
  for (var j = 0u; j < DV; j = j + 1u) {
    r.d[j] = p0 * a0.d[j] + p1 * a1.d[j] + p2 * a2.d[j];
  }
  return r;
}

fn stan_dc4(v: f32, p0: f32, a0: Dual, p1: f32, a1: Dual, p2: f32, a2: Dual, p3: f32, a3: Dual) -> Dual {
  var r: Dual;
  r.v = v;
  for (var j = 0u; j < DV; j = j + 1u) {
    r.d[j] = p0 * a0.d[j] + p1 * a1.d[j] + p2 * a2.d[j] + p3 * a3.d[j];
  }
  return r;
}

fn stan_keep(f: u32, m: u32) -> bool {
  return (f & (m | 0x80000000u)) != 0u;
}

fn stan_p(v: f32, g0: f32, g1: f32, g2: f32, g3: f32) -> StanP {
  return StanP(v, vec4<f32>(g0, g1, g2, g3));
}

// ---- arithmetic and functions

fn stan_add(a: f32, b: f32) -> StanP { return stan_p(a + b, 1.0, 1.0, 0.0, 0.0); }
fn stan_sub(a: f32, b: f32) -> StanP { return stan_p(a - b, 1.0, -1.0, 0.0, 0.0); }
fn stan_mul(a: f32, b: f32) -> StanP { return stan_p(a * b, b, a, 0.0, 0.0); }
fn stan_div(a: f32, b: f32) -> StanP { return stan_p(a / b, 1.0 / b, -a / (b * b), 0.0, 0.0); }
fn stan_neg(a: f32) -> StanP { return stan_p(-a, -1.0, 0.0, 0.0, 0.0); }

fn stan_pow(x: f32, y: f32) -> StanP {
  // pow(x, y) for x < 0 and integral y, which WGSL's pow leaves undefined.
  let yi = round(y);
  var v: f32;
  if ((x < 0.0) & (y == yi)) {
    let m = exp2(y * log2(-x));
    v = select(m, -m, abs(yi % 2.0) == 1.0);
  } else if (x == 0.0) {
    v = select(0.0, 1.0, y == 0.0);
  } else {
    v = exp2(y * log2(x));
  }
  var dx = 0.0;
  if ((y != 0.0) & (x != 0.0)) {
    dx = y * v / x;
  }
  return stan_p(v, dx, select(0.0, v * log(x), x > 0.0), 0.0, 0.0);
}

fn stan_exp(x: f32) -> StanP { let v = math_exp(x); return stan_p(v, v, 0.0, 0.0, 0.0); }
fn stan_log(x: f32) -> StanP {
  var v = log(x);
  if (x == 0.0) { v = -math_inf(); }
  if (x < 0.0) { v = math_nan(); }
  return stan_p(v, 1.0 / x, 0.0, 0.0, 0.0);
}
fn stan_log1p(x: f32) -> StanP { return stan_p(math_log1p(x), 1.0 / (1.0 + x), 0.0, 0.0, 0.0); }
fn stan_expm1(x: f32) -> StanP { return stan_p(math_expm1(x), math_exp(x), 0.0, 0.0, 0.0); }
fn stan_log1m(x: f32) -> StanP { return stan_p(math_log1p(-x), -1.0 / (1.0 - x), 0.0, 0.0, 0.0); }
fn stan_log1p_exp(x: f32) -> StanP { return stan_p(math_log1p_exp(x), math_inv_logit(x), 0.0, 0.0, 0.0); }
fn stan_log1m_exp(x: f32) -> StanP { return stan_p(math_log1m_exp(x), -1.0 / math_expm1(-x), 0.0, 0.0, 0.0); }
fn stan_inv_logit(x: f32) -> StanP {
  let v = math_inv_logit(x);
  return stan_p(v, v * math_inv_logit(-x), 0.0, 0.0, 0.0);
}
fn stan_logit(x: f32) -> StanP { return stan_p(math_logit(x), 1.0 / (x * (1.0 - x)), 0.0, 0.0, 0.0); }
fn stan_log_inv_logit(x: f32) -> StanP {
  return stan_p(math_log_inv_logit(x), math_inv_logit(-x), 0.0, 0.0, 0.0);
}
fn stan_log1m_inv_logit(x: f32) -> StanP {
  return stan_p(math_log1m_inv_logit(x), -math_inv_logit(x), 0.0, 0.0, 0.0);
}
fn stan_lgamma(x: f32) -> StanP { return stan_p(math_lgamma(x), math_digamma(x), 0.0, 0.0, 0.0); }
fn stan_square(x: f32) -> StanP { return stan_p(x * x, 2.0 * x, 0.0, 0.0, 0.0); }
fn stan_sqrt(x: f32) -> StanP { let v = sqrt(x); return stan_p(v, 0.5 / v, 0.0, 0.0, 0.0); }
fn stan_fabs(x: f32) -> StanP { return stan_p(abs(x), sign(x), 0.0, 0.0, 0.0); }
fn stan_inv(x: f32) -> StanP { return stan_p(1.0 / x, -1.0 / (x * x), 0.0, 0.0, 0.0); }
fn stan_inv_sqrt(x: f32) -> StanP {
  let v = inverseSqrt(x);
  return stan_p(v, -0.5 * v / x, 0.0, 0.0, 0.0);
}
fn stan_inv_square(x: f32) -> StanP { return stan_p(1.0 / (x * x), -2.0 / (x * x * x), 0.0, 0.0, 0.0); }
fn stan_Phi(x: f32) -> StanP {
  return stan_p(math_Phi(x), math_exp(-0.5 * x * x - 0.5 * STAN_LOG_2PI), 0.0, 0.0, 0.0);
}
fn stan_tanh(x: f32) -> StanP { let v = tanh(x); return stan_p(v, 1.0 - v * v, 0.0, 0.0, 0.0); }
fn stan_sin(x: f32) -> StanP { return stan_p(sin(x), cos(x), 0.0, 0.0, 0.0); }
fn stan_cos(x: f32) -> StanP { return stan_p(cos(x), -sin(x), 0.0, 0.0, 0.0); }
fn stan_fmin(a: f32, b: f32) -> StanP {
  if (a <= b) { return stan_p(a, 1.0, 0.0, 0.0, 0.0); }
  return stan_p(b, 0.0, 1.0, 0.0, 0.0);
}
fn stan_fmax(a: f32, b: f32) -> StanP {
  if (a >= b) { return stan_p(a, 1.0, 0.0, 0.0, 0.0); }
  return stan_p(b, 0.0, 1.0, 0.0, 0.0);
}

// An ODE solver's relative tolerance in f32: at least 1e-5 (src/stan/ode.ts, ODE_F32_MIN_RTOL: tighter local
// error than that buys no accuracy once the f32 state's own rounding over the steps is counted).
fn stan_ode_rtol(x: f32) -> StanP { return stan_p(max(x, 1e-5), 0.0, 0.0, 0.0, 0.0); }
// Its max_num_steps: at most 1e5 between two output times (ODE_F32_MAX_STEPS: one GPU thread must not run
// Stan's default 1e8 steps of bdf on a stiff draw while the whole dispatch waits for it).
fn stan_ode_max_steps(x: f32) -> StanP { return stan_p(min(x, 1e5), 0.0, 0.0, 0.0, 0.0); }
// A Cholesky pivot p plus f32's jitter (tol = K 2^-23 S_ii; the float64 twin keeps p): the factor is then the
// exact one of S + diag(tol) up to rounding, and rounding alone cannot make a positive semi-definite S reject.
fn stan_cholesky_pivot(p: f32, tol: f32) -> StanP {
  return stan_p(p + tol, 1.0, 1.0, 0.0, 0.0);
}
fn stan_log_sum_exp2(a: f32, b: f32) -> StanP {
  let v = math_log_sum_exp2(a, b);
  return stan_p(v, math_exp(a - v), math_exp(b - v), 0.0, 0.0);
}
fn stan_log_mix(t: f32, a: f32, b: f32) -> StanP {
  let la = log(t) + a;
  let lb = math_log1p(-t) + b;
  let v = math_log_sum_exp2(la, lb);
  return stan_p(v, math_exp(a - v) - math_exp(b - v), math_exp(la - v), math_exp(lb - v), 0.0);
}

// 0 log 0 = 0.
fn stan_xlogy(x: f32, y: f32) -> f32 {
  return select(x * log(y), 0.0, x == 0.0);
}

// ---- densities: argument 0 is the variate

fn stan_normal_lpdf(y: f32, mu: f32, s: f32, f: u32) -> StanP {
  let z = (y - mu) / s;
  var v = 0.0;
  if (stan_keep(f, 7u)) { v -= 0.5 * z * z; }
  if (stan_keep(f, 4u)) { v -= log(s); }
  if (stan_keep(f, 0u)) { v -= 0.5 * STAN_LOG_2PI; }
  return stan_p(v, -z / s, z / s, (z * z - 1.0) / s, 0.0);
}

fn stan_std_normal_lpdf(y: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 1u)) { v -= 0.5 * y * y; }
  if (stan_keep(f, 0u)) { v -= 0.5 * STAN_LOG_2PI; }
  return stan_p(v, -y, 0.0, 0.0, 0.0);
}

fn stan_cauchy_lpdf(y: f32, mu: f32, s: f32, f: u32) -> StanP {
  let z = (y - mu) / s;
  var v = 0.0;
  if (stan_keep(f, 7u)) { v -= math_log1p(z * z); }
  if (stan_keep(f, 4u)) { v -= log(s); }
  if (stan_keep(f, 0u)) { v -= STAN_LOG_PI; }
  let dy = -2.0 * z / (s * (1.0 + z * z));
  return stan_p(v, dy, -dy, -1.0 / s + 2.0 * z * z / (s * (1.0 + z * z)), 0.0);
}

fn stan_student_t_lpdf(y: f32, nu: f32, mu: f32, s: f32, f: u32) -> StanP {
  let z = (y - mu) / s;
  let q = z * z / nu;
  var v = 0.0;
  if (stan_keep(f, 15u)) { v -= 0.5 * (nu + 1.0) * math_log1p(q); }
  if (stan_keep(f, 2u)) { v += math_lgamma(0.5 * (nu + 1.0)) - math_lgamma(0.5 * nu) - 0.5 * log(nu); }
  if (stan_keep(f, 8u)) { v -= log(s); }
  if (stan_keep(f, 0u)) { v -= 0.5 * STAN_LOG_PI; }
  let dy = -(nu + 1.0) * z / (s * (nu + z * z));
  let dnu = 0.5 * (math_digamma(0.5 * (nu + 1.0)) - math_digamma(0.5 * nu) - 1.0 / nu - math_log1p(q))
    + 0.5 * (nu + 1.0) * z * z / (nu * (nu + z * z));
  return StanP(v, vec4<f32>(dy, dnu, -dy, -1.0 / s + (nu + 1.0) * z * z / (s * (nu + z * z))));
}

fn stan_double_exponential_lpdf(y: f32, mu: f32, s: f32, f: u32) -> StanP {
  let r = y - mu;
  var v = 0.0;
  if (stan_keep(f, 7u)) { v -= abs(r) / s; }
  if (stan_keep(f, 4u)) { v -= log(s); }
  if (stan_keep(f, 0u)) { v -= STAN_LOG_2; }
  let sg = sign(r);
  return stan_p(v, -sg / s, sg / s, -1.0 / s + abs(r) / (s * s), 0.0);
}

fn stan_logistic_lpdf(y: f32, mu: f32, s: f32, f: u32) -> StanP {
  let z = (y - mu) / s;
  var v = 0.0;
  if (stan_keep(f, 7u)) { v += -z - 2.0 * math_log1p_exp(-z); }
  if (stan_keep(f, 4u)) { v -= log(s); }
  let g = 2.0 * math_inv_logit(-z) - 1.0;
  return stan_p(v, g / s, -g / s, -1.0 / s - g * z / s, 0.0);
}

fn stan_lognormal_lpdf(y: f32, mu: f32, s: f32, f: u32) -> StanP {
  let ly = log(y);
  let z = (ly - mu) / s;
  var v = 0.0;
  if (stan_keep(f, 7u)) { v -= 0.5 * z * z; }
  if (stan_keep(f, 4u)) { v -= log(s); }
  if (stan_keep(f, 1u)) { v -= ly; }
  if (stan_keep(f, 0u)) { v -= 0.5 * STAN_LOG_2PI; }
  return stan_p(v, -1.0 / y - z / (s * y), z / s, (z * z - 1.0) / s, 0.0);
}

fn stan_exponential_lpdf(y: f32, b: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 3u)) { v -= b * y; }
  if (stan_keep(f, 2u)) { v += log(b); }
  return stan_p(v, -b, 1.0 / b - y, 0.0, 0.0);
}

fn stan_gamma_lpdf(y: f32, a: f32, b: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 2u)) { v -= math_lgamma(a); }
  if (stan_keep(f, 6u)) { v += a * log(b); }
  if (stan_keep(f, 3u)) { v += (a - 1.0) * log(y); }
  if (stan_keep(f, 5u)) { v -= b * y; }
  return stan_p(v, (a - 1.0) / y - b, -math_digamma(a) + log(b) + log(y), a / b - y, 0.0);
}

fn stan_weibull_lpdf(y: f32, a: f32, s: f32, f: u32) -> StanP {
  let ly = log(y / s);
  let r = exp(a * ly);
  var v = 0.0;
  if (stan_keep(f, 2u)) { v += log(a); }
  if (stan_keep(f, 3u)) { v += (a - 1.0) * log(y); }
  if (stan_keep(f, 6u)) { v -= a * log(s); }
  if (stan_keep(f, 7u)) { v -= r; }
  return stan_p(v, (a - 1.0) / y - a * r / y, 1.0 / a + ly - r * ly, a * (r - 1.0) / s, 0.0);
}

fn stan_inv_gamma_lpdf(y: f32, a: f32, b: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 2u)) { v -= math_lgamma(a); }
  if (stan_keep(f, 6u)) { v += a * log(b); }
  if (stan_keep(f, 3u)) { v -= (a + 1.0) * log(y); }
  if (stan_keep(f, 5u)) { v -= b / y; }
  return stan_p(v, -(a + 1.0) / y + b / (y * y), -math_digamma(a) + log(b) - log(y), a / b - 1.0 / y, 0.0);
}

fn stan_beta_lpdf(y: f32, a: f32, b: f32, f: u32) -> StanP {
  var v = 0.0;
  let l1m = math_log1p(-y);
  if (stan_keep(f, 6u)) { v -= math_lbeta(a, b); }
  if (stan_keep(f, 3u)) { v += (a - 1.0) * log(y); }
  if (stan_keep(f, 5u)) { v += (b - 1.0) * l1m; }
  let dab = math_digamma(a + b);
  return stan_p(v, (a - 1.0) / y - (b - 1.0) / (1.0 - y), dab - math_digamma(a) + log(y),
    dab - math_digamma(b) + l1m, 0.0);
}

// dirichlet_lpdf(theta | alpha) = stan_dirichlet_norm(sum alpha) + sum_k stan_dirichlet_term(theta_k, alpha_k).
fn stan_dirichlet_norm(s: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 1u)) { v = math_lgamma(s); }
  return stan_p(v, math_digamma(s), 0.0, 0.0, 0.0);
}

fn stan_dirichlet_term(t: f32, a: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 2u)) { v -= math_lgamma(a); }
  if (stan_keep(f, 3u)) { v += (a - 1.0) * log(t); }
  return stan_p(v, (a - 1.0) / t, -math_digamma(a) + log(t), 0.0, 0.0);
}

// ---- log CDFs and log CCDFs (every term kept): a location-scale family's from (value, d/dz) at z = (y - mu) / s.
fn stan_cdf3(vg: vec2<f32>, z: f32, s: f32) -> StanP {
  return stan_p(vg.x, vg.y / s, -vg.y / s, -vg.y * z / s, 0.0);
}

fn stan_normal_lcdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  return stan_cdf3(vec2<f32>(math_log_Phi(z), math_inv_mills(z)), z, s);
}

fn stan_normal_lccdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  return stan_cdf3(vec2<f32>(math_log_Phi(-z), -math_inv_mills(-z)), z, s);
}

fn stan_logistic_lcdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  return stan_cdf3(vec2<f32>(math_log_inv_logit(z), math_inv_logit(-z)), z, s);
}

fn stan_logistic_lccdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  return stan_cdf3(vec2<f32>(math_log1m_inv_logit(z), -math_inv_logit(z)), z, s);
}

// P = 1/2 + atan(z)/pi as atan2(1, -z)/pi (Q as atan2(1, z)/pi): the tails keep their accuracy.
fn stan_cauchy_lcdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  let p = atan2(1.0, -z) / STAN_PI;
  return stan_cdf3(vec2<f32>(log(p), 1.0 / (STAN_PI * (1.0 + z * z) * p)), z, s);
}

fn stan_cauchy_lccdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  let q = atan2(1.0, z) / STAN_PI;
  return stan_cdf3(vec2<f32>(log(q), -1.0 / (STAN_PI * (1.0 + z * z) * q)), z, s);
}

fn stan_double_exponential_lcdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  if (z < 0.0) { return stan_cdf3(vec2<f32>(z - STAN_LOG_2, 1.0), z, s); }
  return stan_cdf3(vec2<f32>(math_log1p(-0.5 * exp(-z)), 1.0 / (2.0 * exp(z) - 1.0)), z, s);
}

fn stan_double_exponential_lccdf(y: f32, mu: f32, s: f32) -> StanP {
  let z = (y - mu) / s;
  if (z > 0.0) { return stan_cdf3(vec2<f32>(-z - STAN_LOG_2, -1.0), z, s); }
  return stan_cdf3(vec2<f32>(math_log1p(-0.5 * exp(z)), -1.0 / (2.0 * exp(-z) - 1.0)), z, s);
}

// The continued fraction of the regularised incomplete beta I_x(a, b) (modified Lentz; x < (a + 1) / (a + b + 2)).
fn stan_inc_beta_fraction(a: f32, b: f32, x: f32) -> f32 {
  let tiny = 1e-30;
  var c = 1.0;
  var d = 1.0 - (a + b) * x / (a + 1.0);
  if (abs(d) < tiny) { d = tiny; }
  d = 1.0 / d;
  var h = d;
  for (var m = 1; m <= 200; m = m + 1) {
    let mf = f32(m);
    let m2 = 2.0 * mf;
    var t = mf * (b - mf) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + t * d;
    if (abs(d) < tiny) { d = tiny; }
    d = 1.0 / d;
    c = 1.0 + t / c;
    if (abs(c) < tiny) { c = tiny; }
    h = h * d * c;
    t = -(a + mf) * (a + b + mf) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + t * d;
    if (abs(d) < tiny) { d = tiny; }
    d = 1.0 / d;
    c = 1.0 + t / c;
    if (abs(c) < tiny) { c = tiny; }
    let step = d * c;
    h = h * step;
    if (abs(step - 1.0) < 1e-7) { break; }
  }
  return h;
}

// log I_x(a, b), with xc = 1 - x given separately.
fn stan_log_inc_beta(a: f32, b: f32, x: f32, xc: f32) -> f32 {
  if (!(x > 0.0)) { return -math_inf(); }
  if (!(xc > 0.0)) { return 0.0; }
  let front = a * log(x) + b * log(xc) - math_lbeta(a, b);
  if (x < (a + 1.0) / (a + b + 2.0)) { return front + log(stan_inc_beta_fraction(a, b, x) / a); }
  return math_log1p(-exp(front) * stan_inc_beta_fraction(b, a, xc) / b);
}

// student_t_lcdf / _lccdf: the tail beyond |z| in logs, the other side log1p(-tail); nu is data (no partial).
fn stan_student_t_cdf(y: f32, nu: f32, mu: f32, s: f32, upper: bool) -> StanP {
  let z = (y - mu) / s;
  let x = nu / (nu + z * z);
  let xc = z * z / (nu + z * z);
  let log_tail = -STAN_LOG_2 + stan_log_inc_beta(0.5 * nu, 0.5, x, xc);
  let far = select((z < 0.0), (z > 0.0), upper);
  let v = select(math_log1p(-exp(log_tail)), log_tail, far);
  let lz = math_lgamma(0.5 * (nu + 1.0)) - math_lgamma(0.5 * nu) - 0.5 * log(nu * STAN_PI)
    - 0.5 * (nu + 1.0) * math_log1p(z * z / nu);
  let g = select(1.0, -1.0, upper) * exp(lz - v);
  return stan_p(v, g / s, 0.0, -g / s, -g * z / s);
}

fn stan_student_t_lcdf(y: f32, nu: f32, mu: f32, s: f32) -> StanP { return stan_student_t_cdf(y, nu, mu, s, false); }
fn stan_student_t_lccdf(y: f32, nu: f32, mu: f32, s: f32) -> StanP { return stan_student_t_cdf(y, nu, mu, s, true); }

fn stan_lognormal_lcdf(y: f32, mu: f32, s: f32) -> StanP {
  if (!(y > 0.0)) { return stan_p(-math_inf(), 0.0, 0.0, 0.0, 0.0); }
  let z = (log(y) - mu) / s;
  let g = math_inv_mills(z);
  return stan_p(math_log_Phi(z), g / (s * y), -g / s, -g * z / s, 0.0);
}

fn stan_lognormal_lccdf(y: f32, mu: f32, s: f32) -> StanP {
  if (!(y > 0.0)) { return stan_p(0.0, 0.0, 0.0, 0.0, 0.0); }
  let z = (log(y) - mu) / s;
  let g = -math_inv_mills(-z);
  return stan_p(math_log_Phi(-z), g / (s * y), -g / s, -g * z / s, 0.0);
}

fn stan_exponential_lcdf(y: f32, b: f32) -> StanP {
  if (!(y > 0.0)) { return stan_p(-math_inf(), 0.0, 0.0, 0.0, 0.0); }
  let e = math_expm1(b * y);
  return stan_p(math_log1m_exp(-b * y), b / e, y / e, 0.0, 0.0);
}

fn stan_exponential_lccdf(y: f32, b: f32) -> StanP {
  if (!(y > 0.0)) { return stan_p(0.0, 0.0, 0.0, 0.0, 0.0); }
  return stan_p(-b * y, -b, -y, 0.0, 0.0);
}

// categorical: log theta[y]; categorical_logit: beta[y] - log_sum_exp(beta) (element and sum from the caller).
fn stan_categorical_term(t: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 1u)) { v = log(t); }
  return stan_p(v, 1.0 / t, 0.0, 0.0, 0.0);
}

fn stan_categorical_logit_term(b: f32, lse: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 3u)) { v = b - lse; }
  return stan_p(v, 1.0, -1.0, 0.0, 0.0);
}

fn stan_uniform_lpdf(y: f32, lo: f32, hi: f32, f: u32) -> StanP {
  if (!((y >= lo) & (y <= hi))) { return stan_p(-math_inf(), 0.0, 0.0, 0.0, 0.0); }
  var v = 0.0;
  if (stan_keep(f, 6u)) { v = -log(hi - lo); }
  return stan_p(v, 0.0, 1.0 / (hi - lo), -1.0 / (hi - lo), 0.0);
}

fn stan_bernoulli_lpmf(n: f32, t: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 2u)) { v = select(math_log1p(-t), log(t), n == 1.0); }
  return stan_p(v, 0.0, select(-1.0 / (1.0 - t), 1.0 / t, n == 1.0), 0.0, 0.0);
}

fn stan_bernoulli_logit_lpmf(n: f32, x: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 2u)) { v = select(math_log1m_inv_logit(x), math_log_inv_logit(x), n == 1.0); }
  return stan_p(v, 0.0, n - math_inv_logit(x), 0.0, 0.0);
}

fn stan_binomial_lpmf(n: f32, big_n: f32, t: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 0u)) { v += math_lchoose(big_n, n); }
  if (stan_keep(f, 4u)) { v += stan_xlogy(n, t) + stan_xlogy(big_n - n, 1.0 - t); }
  let d = select(n / t, 0.0, n == 0.0) - select((big_n - n) / (1.0 - t), 0.0, big_n == n);
  return stan_p(v, 0.0, 0.0, d, 0.0);
}

fn stan_binomial_logit_lpmf(n: f32, big_n: f32, x: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 0u)) { v += math_lchoose(big_n, n); }
  if (stan_keep(f, 4u)) { v += n * math_log_inv_logit(x) + (big_n - n) * math_log1m_inv_logit(x); }
  return stan_p(v, 0.0, 0.0, n - big_n * math_inv_logit(x), 0.0);
}

fn stan_poisson_lpmf(n: f32, l: f32, f: u32) -> StanP {
  var v = 0.0;
  if (stan_keep(f, 2u)) { v += stan_xlogy(n, l) - l; }
  if (stan_keep(f, 0u)) { v -= math_lgamma(n + 1.0); }
  return stan_p(v, 0.0, select(n / l, 0.0, n == 0.0) - 1.0, 0.0, 0.0);
}

fn stan_poisson_log_lpmf(n: f32, x: f32, f: u32) -> StanP {
  var v = 0.0;
  let e = math_exp(x);
  if (stan_keep(f, 2u)) { v += n * x - e; }
  if (stan_keep(f, 0u)) { v -= math_lgamma(n + 1.0); }
  return stan_p(v, 0.0, n - e, 0.0, 0.0);
}

fn stan_neg_binomial_2_lpmf(n: f32, mu: f32, phi: f32, f: u32) -> StanP {
  let lmp = log(mu + phi);
  var v = 0.0;
  if (stan_keep(f, 4u)) { v += math_lgamma(n + phi) - math_lgamma(phi) + phi * log(phi); }
  if (stan_keep(f, 0u)) { v -= math_lgamma(n + 1.0); }
  if (stan_keep(f, 2u)) { v += stan_xlogy(n, mu); }
  if (stan_keep(f, 6u)) { v -= (n + phi) * lmp; }
  let dmu = select(n / mu, 0.0, n == 0.0) - (n + phi) / (mu + phi);
  let dphi = math_digamma(n + phi) - math_digamma(phi) + log(phi) + 1.0 - lmp - (n + phi) / (mu + phi);
  return stan_p(v, 0.0, dmu, dphi, 0.0);
}

fn stan_neg_binomial_2_log_lpmf(n: f32, eta: f32, phi: f32, f: u32) -> StanP {
  let lmp = math_log_sum_exp2(eta, log(phi));
  var v = 0.0;
  if (stan_keep(f, 4u)) { v += math_lgamma(n + phi) - math_lgamma(phi) + phi * log(phi); }
  if (stan_keep(f, 0u)) { v -= math_lgamma(n + 1.0); }
  if (stan_keep(f, 2u)) { v += n * eta; }
  if (stan_keep(f, 6u)) { v -= (n + phi) * lmp; }
  let frac = math_exp(eta - lmp);
  let dphi = math_digamma(n + phi) - math_digamma(phi) + log(phi) + 1.0 - lmp - (n + phi) / math_exp(lmp);
  return stan_p(v, 0.0, n - (n + phi) * frac, dphi, 0.0);
}
