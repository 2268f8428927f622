// dirichlet (and categorical) with a parameter alpha (every term kept) and with data (constants dropped under ~), on simplex
// parameters, and generated quantities (reported after the parameters): test/gpu/stan-compiled.test.ts runs
// its compiled WGSL against the interpreter.
data { vector[3] beta; }
transformed data { array[3] int ys = {2, 3, 3}; }
parameters {
  vector<lower=0>[3] alpha;
  array[2] simplex[3] theta;
  simplex[3] phi;
}
model {
  alpha ~ gamma(2, 1);
  for (m in 1:2) theta[m] ~ dirichlet(alpha);
  phi ~ dirichlet(beta);
  target += dirichlet_lpdf(phi | alpha + 0.5);
  ys ~ categorical(phi);
  target += categorical_logit_lpmf(1 | alpha) + categorical_lpmf(2 | theta[1]);
}
generated quantities {
  real total = sum(theta[1]) + sum(phi);
  vector[3] alpha2 = 2 * alpha;
  int big = 0;
  for (k in 1:3) if (alpha[k] > 1) big += 1;
}
