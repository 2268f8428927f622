/**
 * The scalar primitives of the Stan back end, in float64: each returns its value and its partial derivatives
 * with respect to every argument. The interpreter (interpret.ts) uses these; shaders/stan/runtime.wgsl holds the
 * f32 twins under `stan_<name>` with the same terms and the same partials (the GPU test compares them).
 *
 * Densities (`lpdf: true`) take `keep(mask)`: whether a term that depends on the arguments in `mask` (bit k = the
 * k-th argument, the variate being argument 0) is kept. `target += normal_lpdf(...)` keeps every term;
 * `y ~ normal(...)` keeps only the terms that depend on a parameter (Stan's dropping of constants), so
 * keep(mask) = (mask & active) != 0 there. Partials are of the whole density: a dropped term depends on no
 * active argument, so its partials are never used.
 */
import {
  digamma,
  expm1,
  invLogit,
  lbeta,
  lchoose,
  lgamma,
  log1mExp,
  log1mInvLogit,
  log1p,
  log1pExp,
  logInvLogit,
  logit,
  logPhi,
  logSumExp2,
  invMills,
  Phi,
} from '../math/special';

export type Keep = (mask: number) => boolean;

export interface Prim {
  readonly arity: number;
  readonly lpdf?: boolean;
  /** A log CDF or log complementary CDF (`_lcdf`, `_lccdf`): summed over vectorised arguments, no constants dropped. */
  readonly cdf?: boolean;
  /** Arguments that must be data ints (binomial's N, a count variate): never active. */
  readonly intArgs?: readonly number[];
  readonly f64: (a: readonly number[], keep: Keep) => readonly number[];
}

const LOG_2PI = Math.log(2 * Math.PI);
const LOG_PI = Math.log(Math.PI);
const LOG_2 = Math.LN2;

const a0 = (a: readonly number[]) => a[0] as number;
const a1 = (a: readonly number[]) => a[1] as number;
const a2 = (a: readonly number[]) => a[2] as number;
const a3 = (a: readonly number[]) => a[3] as number;

/** log1m(x) = log(1 - x). */
const log1m = (x: number) => log1p(-x);
/** x log y with 0 log 0 = 0 (Stan's multiply_log / lmultiply). */
const xlogy = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(y));

function unary(f: (x: number) => number, d: (x: number, v: number) => number): Prim {
  return {
    arity: 1,
    f64: (a) => {
      const x = a0(a);
      const v = f(x);
      return [v, d(x, v)];
    },
  };
}

/**
 * A location-scale family's log CDF (or CCDF) from f(z) = [value, d value / dz] at z = (y - mu) / s: partials
 * g / s, -g / s, -g z / s.
 */
function cdf3(f: (z: number) => readonly [number, number]): Prim {
  return {
    arity: 3,
    cdf: true,
    f64: (a) => {
      const [y, mu, s] = [a0(a), a1(a), a2(a)];
      const z = (y - mu) / s;
      const [v, g] = f(z);
      return [v, g / s, -g / s, (-g * z) / s];
    },
  };
}

/**
 * The continued fraction of the regularised incomplete beta function I_x(a, b) (modified Lentz), which converges
 * fast for x < (a + 1) / (a + b + 2).
 */
function incBetaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const clamp = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / clamp(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let t = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 / clamp(1 + t * d);
    c = clamp(1 + t / c);
    h *= d * c;
    t = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 / clamp(1 + t * d);
    c = clamp(1 + t / c);
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return h;
}

/** log I_x(a, b), with xc = 1 - x given separately (computed without cancellation by the caller). */
export function logIncBeta(a: number, b: number, x: number, xc: number): number {
  if (!(x > 0)) return -Infinity;
  if (!(xc > 0)) return 0;
  const front = a * Math.log(x) + b * Math.log(xc) - lbeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return front + Math.log(incBetaFraction(a, b, x) / a);
  return log1p((-Math.exp(front) * incBetaFraction(b, a, xc)) / b);
}

/**
 * student_t_lcdf / _lccdf (y | nu, mu, s). The tail beyond |z|, P(T > |z|) = I_x(nu/2, 1/2) / 2 with
 * x = nu / (nu + z^2), is computed in logs (the far tails keep their relative accuracy); the other side is
 * log1p(-tail). d/dz = +-(the standardised density) / P. nu must be data (no partial in nu: lower.ts refuses a
 * parameter nu).
 */
function studentTCdf(upper: boolean): Prim {
  return {
    arity: 4,
    cdf: true,
    f64: (a) => {
      const [y, nu, mu, s] = [a0(a), a1(a), a2(a), a3(a)];
      const z = (y - mu) / s;
      const x = nu / (nu + z * z);
      const xc = (z * z) / (nu + z * z);
      const logTail = -LOG_2 + logIncBeta(0.5 * nu, 0.5, x, xc);
      const far = upper ? z > 0 : z < 0;
      const v = far ? logTail : log1p(-Math.exp(logTail));
      const lz =
        lgamma(0.5 * (nu + 1)) -
        lgamma(0.5 * nu) -
        0.5 * Math.log(nu * Math.PI) -
        0.5 * (nu + 1) * log1p((z * z) / nu);
      const g = (upper ? -1 : 1) * Math.exp(lz - v);
      return [v, g / s, 0, -g / s, (-g * z) / s];
    },
  };
}

/** lognormal_lcdf / _lccdf: the normal's of log y (0 and -inf below y = 0). */
function lognormalCdf(upper: boolean): Prim {
  return {
    arity: 3,
    cdf: true,
    f64: (a) => {
      const [y, mu, s] = [a0(a), a1(a), a2(a)];
      if (!(y > 0)) return [upper ? 0 : -Infinity, 0, 0, 0];
      const z = (Math.log(y) - mu) / s;
      const v = upper ? logPhi(-z) : logPhi(z);
      const g = upper ? -invMills(-z) : invMills(z);
      return [v, g / (s * y), -g / s, (-g * z) / s];
    },
  };
}

export const PRIMS: Readonly<Record<string, Prim>> = {
  add: { arity: 2, f64: (a) => [a0(a) + a1(a), 1, 1] },
  sub: { arity: 2, f64: (a) => [a0(a) - a1(a), 1, -1] },
  mul: { arity: 2, f64: (a) => [a0(a) * a1(a), a1(a), a0(a)] },
  div: { arity: 2, f64: (a) => [a0(a) / a1(a), 1 / a1(a), -a0(a) / (a1(a) * a1(a))] },
  neg: unary(
    (x) => -x,
    () => -1,
  ),
  pow: {
    arity: 2,
    f64: (a) => {
      const [x, y] = [a0(a), a1(a)];
      const v = Math.pow(x, y);
      return [v, y === 0 ? 0 : y * Math.pow(x, y - 1), x > 0 ? v * Math.log(x) : 0];
    },
  },
  exp: unary(Math.exp, (_, v) => v),
  log: unary(Math.log, (x) => 1 / x),
  log1p: unary(log1p, (x) => 1 / (1 + x)),
  expm1: unary(expm1, (x) => Math.exp(x)),
  log1m: unary(log1m, (x) => -1 / (1 - x)),
  log1p_exp: unary(log1pExp, (x) => invLogit(x)),
  log1m_exp: unary(
    (x) => log1p(-Math.exp(x)),
    (x) => -1 / expm1(-x),
  ),
  inv_logit: unary(invLogit, (_, v) => v * (1 - v)),
  logit: unary(logit, (x) => 1 / (x * (1 - x))),
  log_inv_logit: unary(logInvLogit, (x) => invLogit(-x)),
  log1m_inv_logit: unary(log1mInvLogit, (x) => -invLogit(x)),
  lgamma: unary(lgamma, (x) => digamma(x)),
  square: unary(
    (x) => x * x,
    (x) => 2 * x,
  ),
  sqrt: unary(Math.sqrt, (_, v) => 0.5 / v),
  fabs: unary(Math.abs, (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
  inv: unary(
    (x) => 1 / x,
    (x) => -1 / (x * x),
  ),
  inv_sqrt: unary(
    (x) => 1 / Math.sqrt(x),
    (x) => -0.5 / (x * Math.sqrt(x)),
  ),
  inv_square: unary(
    (x) => 1 / (x * x),
    (x) => -2 / (x * x * x),
  ),
  Phi: unary(Phi, (x) => Math.exp(-0.5 * x * x - 0.5 * LOG_2PI)),
  tanh: unary(Math.tanh, (_, v) => 1 - v * v),
  sin: unary(Math.sin, Math.cos),
  cos: unary(Math.cos, (x) => -Math.sin(x)),
  fmin: { arity: 2, f64: (a) => (a0(a) <= a1(a) ? [a0(a), 1, 0] : [a1(a), 0, 1]) },
  fmax: { arity: 2, f64: (a) => (a0(a) >= a1(a) ? [a0(a), 1, 0] : [a1(a), 0, 1]) },
  /**
   * An ODE solver's relative tolerance as the back end can reach it: unchanged in float64; the f32 twin raises it
   * to at least ODE_F32_MIN_RTOL (src/stan/ode.ts says why). With ode_max_steps, the primitives whose twins differ
   * on purpose.
   */
  ode_rtol: { arity: 1, f64: (a) => [a0(a), 0] },
  /** An ODE solver's max_num_steps: unchanged in float64; at most ODE_F32_MAX_STEPS in the f32 twin. */
  ode_max_steps: { arity: 1, f64: (a) => [a0(a), 0] },
  // A Cholesky pivot p and f32's jitter tol (src/stan/lower.ts choleskyStmts): float64 keeps Stan's p; the f32
  // twin returns p + tol, so rounding alone does not reject a positive semi-definite matrix.
  cholesky_pivot: { arity: 2, f64: (a) => [a0(a), 1, 0] },
  log_sum_exp2: {
    arity: 2,
    f64: (a) => {
      const v = logSumExp2(a0(a), a1(a));
      return [v, Math.exp(a0(a) - v), Math.exp(a1(a) - v)];
    },
  },
  /** log(theta e^a + (1 - theta) e^b). */
  log_mix: {
    arity: 3,
    f64: (a) => {
      const [t, x, y] = [a0(a), a1(a), a2(a)];
      const v = logSumExp2(Math.log(t) + x, log1m(t) + y);
      const px = Math.exp(Math.log(t) + x - v);
      const py = Math.exp(log1m(t) + y - v);
      return [v, Math.exp(x - v) - Math.exp(y - v), px, py];
    },
  },

  // ---- densities: argument 0 is the variate
  normal_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, mu, s] = [a0(a), a1(a), a2(a)];
      const z = (y - mu) / s;
      let v = 0;
      if (keep(0b111)) v -= 0.5 * z * z;
      if (keep(0b100)) v -= Math.log(s);
      if (keep(0)) v -= 0.5 * LOG_2PI;
      return [v, -z / s, z / s, (z * z - 1) / s];
    },
  },
  std_normal_lpdf: {
    arity: 1,
    lpdf: true,
    f64: (a, keep) => {
      const y = a0(a);
      return [(keep(1) ? -0.5 * y * y : 0) - (keep(0) ? 0.5 * LOG_2PI : 0), -y];
    },
  },
  cauchy_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, mu, s] = [a0(a), a1(a), a2(a)];
      const z = (y - mu) / s;
      let v = 0;
      if (keep(0b111)) v -= log1p(z * z);
      if (keep(0b100)) v -= Math.log(s);
      if (keep(0)) v -= LOG_PI;
      const dy = (-2 * z) / (s * (1 + z * z));
      return [v, dy, -dy, -1 / s + (2 * z * z) / (s * (1 + z * z))];
    },
  },
  student_t_lpdf: {
    arity: 4,
    lpdf: true,
    f64: (a, keep) => {
      const [y, nu, mu, s] = [a0(a), a1(a), a2(a), a3(a)];
      const z = (y - mu) / s;
      const q = (z * z) / nu;
      let v = 0;
      if (keep(0b1111)) v -= 0.5 * (nu + 1) * log1p(q);
      if (keep(0b0010)) v += lgamma(0.5 * (nu + 1)) - lgamma(0.5 * nu) - 0.5 * Math.log(nu);
      if (keep(0b1000)) v -= Math.log(s);
      if (keep(0)) v -= 0.5 * LOG_PI;
      const dy = (-(nu + 1) * z) / (s * (nu + z * z));
      const dnu =
        0.5 * (digamma(0.5 * (nu + 1)) - digamma(0.5 * nu) - 1 / nu - log1p(q)) +
        (0.5 * (nu + 1) * z * z) / (nu * (nu + z * z));
      return [v, dy, dnu, -dy, -1 / s + ((nu + 1) * z * z) / (s * (nu + z * z))];
    },
  },
  double_exponential_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, mu, s] = [a0(a), a1(a), a2(a)];
      const r = y - mu;
      let v = 0;
      if (keep(0b111)) v -= Math.abs(r) / s;
      if (keep(0b100)) v -= Math.log(s);
      if (keep(0)) v -= LOG_2;
      const sg = r > 0 ? 1 : r < 0 ? -1 : 0;
      return [v, -sg / s, sg / s, -1 / s + Math.abs(r) / (s * s)];
    },
  },
  logistic_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, mu, s] = [a0(a), a1(a), a2(a)];
      const z = (y - mu) / s;
      let v = 0;
      if (keep(0b111)) v += -z - 2 * log1pExp(-z);
      if (keep(0b100)) v -= Math.log(s);
      const g = 2 * invLogit(-z) - 1;
      return [v, g / s, -g / s, -1 / s - (g * z) / s];
    },
  },
  lognormal_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, mu, s] = [a0(a), a1(a), a2(a)];
      const ly = Math.log(y);
      const z = (ly - mu) / s;
      let v = 0;
      if (keep(0b111)) v -= 0.5 * z * z;
      if (keep(0b100)) v -= Math.log(s);
      if (keep(0b001)) v -= ly;
      if (keep(0)) v -= 0.5 * LOG_2PI;
      return [v, -1 / y - z / (s * y), z / s, (z * z - 1) / s];
    },
  },
  exponential_lpdf: {
    arity: 2,
    lpdf: true,
    f64: (a, keep) => {
      const [y, b] = [a0(a), a1(a)];
      let v = 0;
      if (keep(0b11)) v -= b * y;
      if (keep(0b10)) v += Math.log(b);
      return [v, -b, 1 / b - y];
    },
  },
  gamma_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, al, b] = [a0(a), a1(a), a2(a)];
      let v = 0;
      if (keep(0b010)) v -= lgamma(al);
      if (keep(0b110)) v += al * Math.log(b);
      if (keep(0b011)) v += (al - 1) * Math.log(y);
      if (keep(0b101)) v -= b * y;
      return [v, (al - 1) / y - b, -digamma(al) + Math.log(b) + Math.log(y), al / b - y];
    },
  },
  // log alpha + (alpha - 1) log y - alpha log sigma - (y / sigma)^alpha.
  weibull_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, al, s] = [a0(a), a1(a), a2(a)];
      const ly = Math.log(y / s);
      const r = Math.exp(al * ly);
      let v = 0;
      if (keep(0b010)) v += Math.log(al);
      if (keep(0b011)) v += (al - 1) * Math.log(y);
      if (keep(0b110)) v -= al * Math.log(s);
      if (keep(0b111)) v -= r;
      return [v, (al - 1) / y - (al * r) / y, 1 / al + ly - r * ly, (al * (r - 1)) / s];
    },
  },
  inv_gamma_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, al, b] = [a0(a), a1(a), a2(a)];
      let v = 0;
      if (keep(0b010)) v -= lgamma(al);
      if (keep(0b110)) v += al * Math.log(b);
      if (keep(0b011)) v -= (al + 1) * Math.log(y);
      if (keep(0b101)) v -= b / y;
      return [v, -(al + 1) / y + b / (y * y), -digamma(al) + Math.log(b) - Math.log(y), al / b - 1 / y];
    },
  },
  beta_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, al, b] = [a0(a), a1(a), a2(a)];
      let v = 0;
      if (keep(0b110)) v -= lbeta(al, b);
      if (keep(0b011)) v += (al - 1) * Math.log(y);
      if (keep(0b101)) v += (b - 1) * log1m(y);
      const dab = digamma(al + b);
      return [
        v,
        (al - 1) / y - (b - 1) / (1 - y),
        dab - digamma(al) + Math.log(y),
        dab - digamma(b) + log1m(y),
      ];
    },
  },
  // dirichlet_lpdf(theta | alpha) = dirichlet_norm(sum alpha) + sum_k dirichlet_term(theta_k, alpha_k), so each
  // term is dropped under `~` exactly when its arguments are data (lower.ts builds the sums).
  /** lgamma(sum of alpha): the Dirichlet's normalising term. */
  dirichlet_norm: {
    arity: 1,
    lpdf: true,
    f64: (a, keep) => [keep(0b1) ? lgamma(a0(a)) : 0, digamma(a0(a))],
  },
  /** -lgamma(alpha_k) + (alpha_k - 1) log theta_k. */
  dirichlet_term: {
    arity: 2,
    lpdf: true,
    f64: (a, keep) => {
      const [t, al] = [a0(a), a1(a)];
      let v = 0;
      if (keep(0b10)) v -= lgamma(al);
      if (keep(0b11)) v += (al - 1) * Math.log(t);
      return [v, (al - 1) / t, -digamma(al) + Math.log(t)];
    },
  },
  // ---- log CDFs and log CCDFs: value and partials (y, then the parameters), every term kept.
  normal_lcdf: cdf3((z) => [logPhi(z), invMills(z)]),
  normal_lccdf: cdf3((z) => [logPhi(-z), -invMills(-z)]),
  logistic_lcdf: cdf3((z) => [logInvLogit(z), invLogit(-z)]),
  logistic_lccdf: cdf3((z) => [log1mInvLogit(z), -invLogit(z)]),
  // Cauchy: P = 1/2 + atan(z)/pi written as atan2(1, -z)/pi (and Q as atan2(1, z)/pi), which keeps the tails.
  cauchy_lcdf: cdf3((z) => {
    const p = Math.atan2(1, -z) / Math.PI;
    return [Math.log(p), 1 / (Math.PI * (1 + z * z) * p)];
  }),
  cauchy_lccdf: cdf3((z) => {
    const q = Math.atan2(1, z) / Math.PI;
    return [Math.log(q), -1 / (Math.PI * (1 + z * z) * q)];
  }),
  double_exponential_lcdf: cdf3((z) =>
    z < 0 ? [z - LOG_2, 1] : [log1p(-0.5 * Math.exp(-z)), 1 / (2 * Math.exp(z) - 1)],
  ),
  double_exponential_lccdf: cdf3((z) =>
    z > 0 ? [-z - LOG_2, -1] : [log1p(-0.5 * Math.exp(z)), -1 / (2 * Math.exp(-z) - 1)],
  ),
  student_t_lcdf: studentTCdf(false),
  student_t_lccdf: studentTCdf(true),
  lognormal_lcdf: lognormalCdf(false),
  lognormal_lccdf: lognormalCdf(true),
  exponential_lcdf: {
    arity: 2,
    cdf: true,
    f64: (a) => {
      const [y, b] = [a0(a), a1(a)];
      if (!(y > 0)) return [-Infinity, 0, 0];
      const e = expm1(b * y);
      return [log1mExp(-b * y), b / e, y / e];
    },
  },
  exponential_lccdf: {
    arity: 2,
    cdf: true,
    f64: (a) => {
      const [y, b] = [a0(a), a1(a)];
      if (!(y > 0)) return [0, 0, 0];
      return [-b * y, -b, -y];
    },
  },
  // categorical(y | theta) = log theta[y]; categorical_logit(y | beta) = beta[y] - log_sum_exp(beta) (lower.ts
  // picks the element and builds the log-sum-exp), each dropped under `~` when its arguments are data.
  categorical_term: {
    arity: 1,
    lpdf: true,
    f64: (a, keep) => [keep(0b1) ? Math.log(a0(a)) : 0, 1 / a0(a)],
  },
  categorical_logit_term: {
    arity: 2,
    lpdf: true,
    f64: (a, keep) => [keep(0b11) ? a0(a) - a1(a) : 0, 1, -1],
  },
  uniform_lpdf: {
    arity: 3,
    lpdf: true,
    f64: (a, keep) => {
      const [y, lo, hi] = [a0(a), a1(a), a2(a)];
      if (!(y >= lo && y <= hi)) return [-Infinity, 0, 0, 0];
      const v = keep(0b110) ? -Math.log(hi - lo) : 0;
      return [v, 0, 1 / (hi - lo), -1 / (hi - lo)];
    },
  },
  bernoulli_lpmf: {
    arity: 2,
    lpdf: true,
    intArgs: [0],
    f64: (a, keep) => {
      const [n, t] = [a0(a), a1(a)];
      const v = keep(0b10) ? (n === 1 ? Math.log(t) : log1m(t)) : 0;
      return [v, 0, n === 1 ? 1 / t : -1 / (1 - t)];
    },
  },
  bernoulli_logit_lpmf: {
    arity: 2,
    lpdf: true,
    intArgs: [0],
    f64: (a, keep) => {
      const [n, x] = [a0(a), a1(a)];
      const v = keep(0b10) ? (n === 1 ? logInvLogit(x) : log1mInvLogit(x)) : 0;
      return [v, 0, n - invLogit(x)];
    },
  },
  binomial_lpmf: {
    arity: 3,
    lpdf: true,
    intArgs: [0, 1],
    f64: (a, keep) => {
      const [n, N, t] = [a0(a), a1(a), a2(a)];
      let v = 0;
      if (keep(0)) v += lchoose(N, n);
      if (keep(0b100)) v += xlogy(n, t) + xlogy(N - n, 1 - t);
      return [v, 0, 0, (n === 0 ? 0 : n / t) - (N - n === 0 ? 0 : (N - n) / (1 - t))];
    },
  },
  binomial_logit_lpmf: {
    arity: 3,
    lpdf: true,
    intArgs: [0, 1],
    f64: (a, keep) => {
      const [n, N, x] = [a0(a), a1(a), a2(a)];
      let v = 0;
      if (keep(0)) v += lchoose(N, n);
      if (keep(0b100)) v += n * logInvLogit(x) + (N - n) * log1mInvLogit(x);
      return [v, 0, 0, n - N * invLogit(x)];
    },
  },
  poisson_lpmf: {
    arity: 2,
    lpdf: true,
    intArgs: [0],
    f64: (a, keep) => {
      const [n, l] = [a0(a), a1(a)];
      let v = 0;
      if (keep(0b10)) v += xlogy(n, l) - l;
      if (keep(0)) v -= lgamma(n + 1);
      return [v, 0, (n === 0 ? 0 : n / l) - 1];
    },
  },
  poisson_log_lpmf: {
    arity: 2,
    lpdf: true,
    intArgs: [0],
    f64: (a, keep) => {
      const [n, x] = [a0(a), a1(a)];
      let v = 0;
      if (keep(0b10)) v += n * x - Math.exp(x);
      if (keep(0)) v -= lgamma(n + 1);
      return [v, 0, n - Math.exp(x)];
    },
  },
  neg_binomial_2_lpmf: {
    arity: 3,
    lpdf: true,
    intArgs: [0],
    f64: (a, keep) => {
      const [n, mu, phi] = [a0(a), a1(a), a2(a)];
      const lmp = Math.log(mu + phi);
      let v = 0;
      if (keep(0b100)) v += lgamma(n + phi) - lgamma(phi) + phi * Math.log(phi);
      if (keep(0)) v -= lgamma(n + 1);
      if (keep(0b010)) v += xlogy(n, mu);
      if (keep(0b110)) v -= (n + phi) * lmp;
      const dmu = (n === 0 ? 0 : n / mu) - (n + phi) / (mu + phi);
      const dphi = digamma(n + phi) - digamma(phi) + Math.log(phi) + 1 - lmp - (n + phi) / (mu + phi);
      return [v, 0, dmu, dphi];
    },
  },
  neg_binomial_2_log_lpmf: {
    arity: 3,
    lpdf: true,
    intArgs: [0],
    f64: (a, keep) => {
      const [n, eta, phi] = [a0(a), a1(a), a2(a)];
      const lmp = logSumExp2(eta, Math.log(phi));
      let v = 0;
      if (keep(0b100)) v += lgamma(n + phi) - lgamma(phi) + phi * Math.log(phi);
      if (keep(0)) v -= lgamma(n + 1);
      if (keep(0b010)) v += n * eta;
      if (keep(0b110)) v -= (n + phi) * lmp;
      const frac = Math.exp(eta - lmp); // mu / (mu + phi)
      const dphi = digamma(n + phi) - digamma(phi) + Math.log(phi) + 1 - lmp - (n + phi) / Math.exp(lmp);
      return [v, 0, n - (n + phi) * frac, dphi];
    },
  },
};

/** Aliases Stan accepts for the same function. */
export const PRIM_ALIASES: Readonly<Record<string, string>> = {
  abs: 'fabs',
  fabs: 'fabs',
  log_sum_exp: 'log_sum_exp2',
  normal_lupdf: 'normal_lpdf',
  multiply_log: 'lmultiply',
};

/** keep(mask) for a density: every term (target +=), or those over active arguments only (`~`). */
export function keepFunction(propto: boolean, activeMask: number): Keep {
  return propto ? (mask) => (mask & activeMask) !== 0 : () => true;
}
