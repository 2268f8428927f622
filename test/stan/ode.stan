// ODE solvers compiled to WGSL (test/gpu/stan-compiled.test.ts): Lotka–Volterra through integrate_ode_rk45 and a
// decay through the variadic ode_rk45_tol, parameters scaled so that z in [-1, 1] keeps them near the data's.
functions {
  array[] real dz_dt(real t, array[] real z, array[] real theta, array[] real x_r, array[] int x_i) {
    real u = z[1];
    real v = z[2];
    return {(theta[1] - theta[2] * v) * u, (-theta[3] + theta[4] * u) * v};
  }
  vector decay(real t, vector y, real k) {
    return -k * y;
  }
}
data {
  int<lower=0> N;
  array[N] real ts;
  array[N, 2] real<lower=0> y;
}
transformed data {
  array[0] real x_r;
  array[0] int x_i;
}
parameters {
  real<offset=0.55, multiplier=0.05> alpha;
  real<offset=0.028, multiplier=0.002> beta;
  real<offset=0.8, multiplier=0.05> gamma;
  real<offset=0.024, multiplier=0.002> delta;
  real<offset=33, multiplier=2> u0;
  real<offset=6, multiplier=0.5> v0;
  real<lower=0> k;
}
transformed parameters {
  array[N, 2] real z = integrate_ode_rk45(dz_dt, {u0, v0}, 0, ts, {alpha, beta, gamma, delta}, x_r, x_i, 1e-5,
                                          1e-3, 500);
  array[N] vector[1] d = ode_rk45_tol(decay, [1.0]', 0, ts, 1e-5, 1e-6, 500, k);
}
model {
  alpha ~ normal(1, 0.5);
  gamma ~ normal(1, 0.5);
  beta ~ normal(0.05, 0.05);
  delta ~ normal(0.05, 0.05);
  k ~ lognormal(-2, 1);
  for (j in 1 : 2) y[ : , j] ~ lognormal(log(z[ : , j]), 0.25);
  for (n in 1 : N) target += -square(d[n][1] - exp(-0.1 * ts[n]));
}
