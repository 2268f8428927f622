// Twin of the built-in normal-mean (src/models/normal-mean.ts): every constant kept (target +=), as the built-in.
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
