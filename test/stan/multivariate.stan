// multi_normal and multi_normal_cholesky: a data covariance (its Cholesky factor computed on the host), a data
// factor, a parameter covariance (factored in the model), arrays of vectors; test/gpu/stan-compiled.test.ts runs
// its compiled WGSL against the interpreter.
data {
  int N;
  array[N] vector[3] y;
  cov_matrix[3] S;
  matrix[3, 3] L;
}
parameters {
  vector[3] mu;
  vector<lower=0>[2] s;
  real<lower=-1, upper=1> r;
}
transformed parameters {
  matrix[2, 2] Sigma = [[square(s[1]), s[1] * s[2] * r], [s[1] * s[2] * r, square(s[2])]];
}
model {
  y ~ multi_normal(mu, S);
  target += multi_normal_cholesky_lpdf(y | mu, L);
  mu[1:2] ~ multi_normal(rep_vector(0, 2), Sigma);
  target += multi_normal_lpdf(y[1, 2:3] | mu[2:3], Sigma);
  s ~ lognormal(0, 1);
}
