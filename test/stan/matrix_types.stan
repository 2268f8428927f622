// The constrained matrix parameters (Stan's transforms and log-Jacobians: cholesky_factor_corr, corr_matrix,
// cov_matrix, cholesky_factor_cov, an array of them) and multi_normal_cholesky / multi_normal with them;
// test/gpu/stan-compiled.test.ts runs its compiled WGSL against the interpreter.
data {
  array[2] vector[2] y;
}
parameters {
  array[2] cholesky_factor_corr[2] Lc;
  corr_matrix[3] Omega;
  cov_matrix[2] S;
  cholesky_factor_cov[2] Lv;
  cholesky_factor_cov[3, 2] Lr;
  vector[2] mu;
}
model {
  for (k in 1:2) to_vector(Lc[k]) ~ normal(0, 2);
  to_vector(Omega) ~ normal(0, 2);
  to_vector(Lr) ~ normal(0, 2);
  mu ~ normal(0, 3);
  y ~ multi_normal_cholesky(mu, Lv);
  target += multi_normal_lpdf(y | mu, S);
  mu ~ multi_normal(rep_vector(0, 2), Omega[1:2, 1:2]);
}
