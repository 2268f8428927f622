// hmm_marginal (Stan's built-in forward algorithm, src/stan/hmm.ts) on the built-in hmm's data and priors: the same
// density as test/stan/twins/hmm.stan's loop form. posteriordb's hmm_example starts from gamma[1, k] =
// normal_lpdf(y[1] | mu[k], 1), i.e. no initial distribution; hmm_marginal's rho must be a simplex, so rho is
// uniform and log(K) restores the constant.
data {
  int<lower=0> N;
  int<lower=0> K;
  array[N] real y;
}
parameters {
  simplex[K] theta1;
  simplex[K] theta2;
  positive_ordered[K] mu;
}
model {
  matrix[K, K] Gamma;
  matrix[K, N] log_omega;
  Gamma[1] = theta1';
  Gamma[2] = theta2';
  for (n in 1 : N) {
    for (k in 1 : K) {
      log_omega[k, n] = normal_lpdf(y[n] | mu[k], 1);
    }
  }
  target += normal_lpdf(mu[1] | 3, 1);
  target += normal_lpdf(mu[2] | 10, 1);
  target += hmm_marginal(log_omega, Gamma, rep_vector(1.0 / K, K)) + log(K);
}
