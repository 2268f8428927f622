// Every _rng family this back end draws from, in generated quantities (test/unit/stan-rng.test.ts and
// test/gpu/stan-compiled.test.ts). The third parameter only gives each test point its own stream.
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
  real y = normal_rng(mu, sigma);
  array[N] real x_rep = normal_rng(mu + x, sigma);
  real ln = lognormal_rng(mu, sigma);
  real un = uniform_rng(-1, 3);
  real ex = exponential_rng(sigma);
  real sn = std_normal_rng();
  int b = bernoulli_rng(inv_logit(mu));
  int bl = bernoulli_logit_rng(mu);
  int k = binomial_rng(20, inv_logit(mu));
  int p_small = poisson_rng(3 * sigma);
  int p_large = poisson_log_rng(3 + mu);
  int c = categorical_rng(softmax([mu, 0, -mu]'));
  array[N] int y_rep = bernoulli_logit_rng(x * mu);
}
