// User-defined functions of every kind the back end inlines (test/unit/stan-functions.test.ts writes the same
// program inline; test/gpu/stan-compiled.test.ts runs the compiled WGSL against the interpreter).
functions {
  real sq_plus(real x, real c) { return square(x) + c; }
  vector scaled(vector v, real s) {
    vector[rows(v)] out;
    for (i in 1:rows(v)) out[i] = v[i] * s;
    return out;
  }
  real first_above(vector v, real t) {
    for (i in 1:rows(v)) {
      if (v[i] > t) return v[i];
    }
    return t;
  }
  real my_normal_lpdf(vector y, real mu, real sigma) {
    return normal_lupdf(y | mu, sigma);
  }
  void prior_lp(vector a, real s) {
    a ~ normal(0, s);
  }
  int count_pos(vector v) {
    int n = 0;
    for (i in 1:rows(v)) if (v[i] > 0) n += 1;
    return n;
  }
  real halve(real x) { return x / 2; }
}
data { int N; vector[N] x; }
transformed data {
  vector[N] x2 = scaled(x, 2.0);
  int npos = count_pos(x);
  int k = 1;
  while (k <= N && x[k] < 100) k += 1;
}
parameters { vector[3] a; real<lower=0> s; }
transformed parameters {
  real q = sq_plus(a[1], 1);
  vector[3] b = scaled(a, s);
}
model {
  prior_lp(a, 2);
  x2 ~ my_normal(a[2], s);
  target += my_normal_lpdf(x | a[3], s);
  target += first_above(a, 0.5) * npos + first_above(b, sq_plus(0, 0.25));
  target += q + halve(3) + k * a[1];
  s ~ lognormal(0, 1);
}
