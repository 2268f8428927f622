// Multi-indexes, ranges, matrix literals, rep_matrix, sd, variance and a GLM in one model (the unit test
// compares it with the same model written with loops; the GPU test compares its WGSL with the interpreter).
data {
  int N;
  int K;
  array[N] int g;
  vector[N] x;
  matrix[N, 2] X;
  array[N] int y;
}
parameters {
  vector[K] a;
  real<lower=0> s;
  vector[2] b;
  real c;
}
model {
  x ~ normal(a[g], s);
  target += normal_lpdf(x[2:4] | c, sd(x) * s);
  matrix[2, 2] M = [[1, c], [b[1], 2]];
  target += sum(M * b) + sum(rep_matrix(b, 2)) + variance(a);
  y ~ bernoulli_logit_glm(X, c, b);
}
