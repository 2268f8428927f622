// lkj_corr_cholesky and lkj_corr (data and parameter eta), multi_normal_cholesky with a parameter factor
// diag_pre_multiply(tau, L_Omega) (as posteriordb's sat-hier_2pl), quad_form_diag, diag_post_multiply,
// multiply_lower_tri_self_transpose and cholesky_decompose; test/gpu/stan-compiled.test.ts runs its compiled
// WGSL against the interpreter.
data {
  array[4] vector[3] xi;
  real<lower=0> eta;
}
parameters {
  vector[3] mu;
  vector<lower=0>[3] tau;
  cholesky_factor_corr[3] L_Omega;
  corr_matrix[3] Omega;
  real<lower=0> nu;
}
transformed parameters {
  cov_matrix[3] Sigma = quad_form_diag(Omega, tau);
}
model {
  matrix[3, 3] L_Sigma = diag_pre_multiply(tau, L_Omega);
  for (i in 1:4) target += multi_normal_cholesky_lpdf(xi[i] | mu, L_Sigma);
  L_Omega ~ lkj_corr_cholesky(eta);
  Omega ~ lkj_corr(nu);
  target += lkj_corr_cholesky_lpdf(L_Omega | nu) + lkj_corr_lpdf(Omega | eta);
  xi ~ multi_normal_cholesky(mu, cholesky_decompose(Sigma));
  to_vector(diag_post_multiply(L_Omega, tau)) ~ normal(0, 3);
  tau ~ lognormal(0, 1);
  nu ~ gamma(2, 1);
}
generated quantities {
  corr_matrix[3] Omega2 = multiply_lower_tri_self_transpose(L_Omega);
}
