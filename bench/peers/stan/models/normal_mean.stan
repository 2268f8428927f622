// normal-mean (src/models/normal-mean.ts): z ~ normal(mu0, tau0), y ~ normal(z, sigma), sigma known.
// target += keeps every normalising constant, so log_prob equals our log joint exactly.
data {
  int<lower=1> N;
  vector[N] y;
  real<lower=0> sigma;
  real mu0;
  real<lower=0> tau0;
}
parameters {
  real z;
}
model {
  target += normal_lpdf(z | mu0, tau0);
  target += normal_lpdf(y | z, sigma);
}
