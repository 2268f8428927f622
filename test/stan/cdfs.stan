// Log CDFs and CCDFs of parameters (test/gpu/stan-compiled.test.ts: compiled WGSL against the interpreter;
// test/unit/stan-functions.test.ts: gradients against finite differences), vectorised over y.
data { int N; vector[N] y; }
parameters { real mu; real<lower=0> s; real<lower=0> t; }
model {
  mu ~ normal(0, 1);
  s ~ lognormal(0, 0.5);
  t ~ exponential(1);
  target += normal_lcdf(y | mu, s) + normal_lccdf(y[1] | mu, s);
  target += logistic_lcdf(y[2] | mu, s) + logistic_lccdf(y | mu, s);
  target += cauchy_lcdf(y | mu, s) + cauchy_lccdf(y[3] | mu, s);
  target += double_exponential_lcdf(y | mu, s) + double_exponential_lccdf(y | mu, s);
  target += lognormal_lcdf(t | mu, s) + lognormal_lccdf(t + 0.5 | mu, s);
  target += exponential_lcdf(t | s) + exponential_lccdf(y[2] + 2 | s);
  target += student_t_lccdf(y | 3, mu, s) + student_t_lcdf(y[2] | 4.5, mu, s);
}
