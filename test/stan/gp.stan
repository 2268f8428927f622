// Gaussian-process kernels and eigendecompositions: a latent GP (gp_exp_quad_cov + diag_matrix jitter, its
// Cholesky factor in the transformed parameters, f = L f_tilde, as posteriordb's gp_pois_regr), a kernel of
// vectors in the model, the two-set form, eigenvalues_sym / eigenvectors_sym of data (on the host), weibull;
// test/gpu/stan-compiled.test.ts runs its compiled WGSL against the interpreter.
data {
  int<lower=1> N;
  array[N] real x;
  array[N] int k;
  array[3] vector[2] v;
  array[2] real x2;
  matrix[3, 3] S;
}
transformed data {
  vector[3] lam = eigenvalues_sym(S);
  matrix[3, 3] Q = eigenvectors_sym(S);
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  vector[N] f_tilde;
}
transformed parameters {
  vector[N] f;
  {
    matrix[N, N] cov = gp_exp_quad_cov(x, alpha, rho) + diag_matrix(rep_vector(0.01, N));
    matrix[N, N] L_cov = cholesky_decompose(cov);
    f = L_cov * f_tilde;
  }
}
model {
  matrix[3, 3] K2 = add_diag(gp_exp_quad_cov(v, alpha, rho), 0.1);
  rho ~ weibull(3, 2);
  target += weibull_lpdf(alpha | rho, 1.5) + weibull_lpdf(1.2 | 2, alpha);
  alpha ~ normal(0, 2);
  f_tilde ~ normal(0, 1);
  k ~ poisson_log(f);
  // Q' K2 Q's diagonal weighted by S's eigenvalues (Q and lam from the host).
  target += -0.5 * dot_product(lam, diagonal(Q' * K2 * Q));
  target += -0.1 * sum(eigenvalues_sym(S)) * alpha;
}
generated quantities {
  matrix[N, 2] cross = gp_exp_quad_cov(x, x2, alpha, rho);
  vector[3] lam_s = lam;
  real q11 = Q[1, 1] * Q[1, 1];
}
