// linreg (src/models/linreg.ts): beta ~ normal(0, prior_sd), y ~ normal(X beta, sigma), sigma known.
// target += keeps every normalising constant, so log_prob equals our log joint exactly.
data {
  int<lower=1> N;
  int<lower=1> D;
  matrix[N, D] X;
  vector[N] y;
  real<lower=0> sigma;
  real<lower=0> prior_sd;
}
parameters {
  vector[D] beta;
}
model {
  target += normal_lpdf(beta | 0, prior_sd);
  target += normal_lpdf(y | X * beta, sigma);
}
