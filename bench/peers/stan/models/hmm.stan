// hmm (src/models/hmm.ts): posteriordb's hmm_example (2 states, unit-sd Gaussian emissions), pre-2.26 syntax,
// without its generated quantities (the Viterbi path, which we do not report). Unconstrained space as ours:
// stick-breaking logits of theta1 and theta2, then log mu[1], log(mu[2] - mu[1]). log_prob equals our log joint.
data {
  int<lower=0> N;
  int<lower=0> K;
  real y[N];
}
parameters {
  simplex[K] theta1;
  simplex[K] theta2;
  positive_ordered[K] mu;
}
model {
  vector[K] log_theta[K];
  real gamma[N, K];
  real acc[K];
  log_theta[1] = log(theta1);
  log_theta[2] = log(theta2);
  target += normal_lpdf(mu[1] | 3, 1);
  target += normal_lpdf(mu[2] | 10, 1);
  // The forward algorithm in log space, starting (as model.stan does) with no initial state distribution.
  for (k in 1:K)
    gamma[1, k] = normal_lpdf(y[1] | mu[k], 1);
  for (t in 2:N) {
    for (k in 1:K) {
      for (j in 1:K)
        acc[j] = gamma[t - 1, j] + log_theta[j, k] + normal_lpdf(y[t] | mu[k], 1);
      gamma[t, k] = log_sum_exp(acc);
    }
  }
  target += log_sum_exp(gamma[N]);
}
