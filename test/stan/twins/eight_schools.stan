// Twin of the built-in eight-schools (posteriordb eight_schools_noncentered with every constant kept, the
// half-Cauchy's log 2 too, as the built-in has them).
data {
  int<lower=0> J;
  array[J] real y;
  array[J] real<lower=0> sigma;
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
  target += cauchy_lpdf(tau | 0, 5) + log2();
}
