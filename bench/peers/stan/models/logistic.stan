// logistic (src/models/logistic.ts): beta ~ normal(0, prior_sd), y ~ bernoulli_logit(X beta).
// target += keeps every normalising constant, so log_prob equals our log joint exactly.
data {
  int<lower=1> N;
  int<lower=1> D;
  matrix[N, D] X;
  int<lower=0, upper=1> y[N];
  real<lower=0> prior_sd;
}
parameters {
  vector[D] beta;
}
model {
  target += normal_lpdf(beta | 0, prior_sd);
  target += bernoulli_logit_lpmf(y | X * beta);
}
