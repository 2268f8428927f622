// eight-schools (src/models/eight-schools.ts): posteriordb's eight_schools_noncentered, pre-2.26 syntax.
// Unconstrained space as ours: theta_trans[1..J], mu, log(tau). target += keeps the normalising constants;
// cauchy_lpdf on tau > 0 lacks the half-Cauchy's factor 2, so log_prob is our log joint minus log 2.
data {
  int<lower=0> J;
  real y[J];
  real<lower=0> sigma[J];
}
parameters {
  vector[J] theta_trans;
  real mu;
  real<lower=0> tau;
}
transformed parameters {
  vector[J] theta = theta_trans * tau + mu;
}
model {
  target += normal_lpdf(theta_trans | 0, 1);
  target += normal_lpdf(y | theta, sigma);
  target += normal_lpdf(mu | 0, 5);
  target += cauchy_lpdf(tau | 0, 5);
}
