// Twin of the built-in linreg (src/models/linreg.ts).
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
