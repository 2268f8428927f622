// The _rng families drawn by inverse CDFs and from gamma draws (test/unit/stan-rng.test.ts checks their
// moments; test/gpu/stan-compiled.test.ts the WGSL draw by draw against the interpreter). Apart from rng.stan:
// each gamma-based draw inlines a rejection loop, and SwiftShader compiles these slowly.
data {
  int<lower=1> N;
  vector[N] x;
}
parameters {
  real mu;
  real<lower=0> sigma;
  real spare;
}
model {
  mu ~ normal(0, 1);
  sigma ~ lognormal(0, 0.5);
  spare ~ normal(0, 1);
  x ~ normal(mu, sigma);
}
generated quantities {
  real ca = cauchy_rng(mu, sigma);
  real lo = logistic_rng(mu, sigma);
  real de = double_exponential_rng(mu, sigma);
  real wb = weibull_rng(1.5, sigma);
  real fr = frechet_rng(3, sigma);
  real gu = gumbel_rng(mu, sigma);
  real ra = rayleigh_rng(sigma);
  real pa = pareto_rng(sigma, 3);
  real p2 = pareto_type_2_rng(mu, sigma, 3);
  real em = exp_mod_normal_rng(mu, sigma, 2);
  real ga = gamma_rng(2.5, sigma);
  real ga_small = gamma_rng(0.4, 1);
  real ig = inv_gamma_rng(3, sigma);
  real cs = chi_square_rng(3);
  real ics = inv_chi_square_rng(5);
  real sics = scaled_inv_chi_square_rng(5, sigma);
  real st = student_t_rng(4, mu, sigma);
  real be = beta_rng(2, 3);
  int nb = neg_binomial_rng(3, 0.5);
  int nb2 = neg_binomial_2_rng(5 * sigma, 2);
  int nb2l = neg_binomial_2_log_rng(mu + 3, 3);
  int bb = beta_binomial_rng(10, 2, 3);
}
