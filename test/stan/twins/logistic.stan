// Twin of the built-in logistic (src/models/logistic.ts).
data {
  int<lower=1> N;
  int<lower=1> D;
  matrix[N, D] X;
  array[N] int<lower=0, upper=1> y;
  real<lower=0> prior_sd;
}
parameters {
  vector[D] beta;
}
model {
  target += normal_lpdf(beta | 0, prior_sd);
  target += bernoulli_logit_lpmf(y | X * beta);
}
