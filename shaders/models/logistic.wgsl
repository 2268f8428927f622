// shaders/models/logistic.wgsl — Bayesian logistic regression:
// beta ~ N(0, prior_sd^2 I), y_i ~ Bernoulli(inv_logit(x_i . beta)).
//
// Model contract (src/models/types.ts): model_log_joint, model_constrain. z = beta (D coefficients,
// unconstrained, identity transform, so no log-Jacobian); R = D, reported beta[1..D] = z.
// Bindings (@group(1), in the order of PreparedModel.buffers, laid out by src/models/logistic.ts):
//   0 storage, read  logistic_rows: array<vec4<f32>>, 8 * ceil(LOGISTIC_N / 8) rows of DV vec4s: row i in
//                    logistic_rows[i * DV .. i * DV + DV) holds s_i x_i with s_i = 2 y_i - 1 (the outcome
//                    folded in as a sign, exact in f32), zeros in the lanes past D. The rows past LOGISTIC_N
//                    are all zeros.
//   1 storage, read  logistic_params: LogisticParams (1 / prior_sd^2; lp_const: the prior's normalising
//                    constant plus ln 2 for each zero row, computed in float64 on the host)
// Constants: D, DV, RV (engine; RV = DV here), LOGISTIC_N (number of data rows: the data loop has a
// compile-time bound). Assumes lanes past D in z are 0, as the contract promises.
//
// With u_i = (s_i x_i) . beta = s_i eta_i, the Bernoulli log likelihood is log inv_logit(u_i) = -softplus(-u_i)
// and its gradient sigmoid(-u_i) s_i x_i (= (y_i - inv_logit(eta_i)) x_i): no branch on y, one data stream.
// The loop takes eight rows at a time, four to a vec4 (u, softplus, sigmoid and the log-likelihood partial
// sums are vec4s across rows). On SwiftShader this ran 1.4-1.6x faster than one row at a time (N = 1000,
// D = 10; four rows at a time was about 10% slower than eight, sixteen no faster), most likely because the
// accumulator acc[j], a dynamically indexed function-scope array, is updated once per eight rows instead of
// every row. Four partial sums also make the f32 sum more accurate. A zero padding row has u = 0: it adds
// exactly -ln 2 (given back by lp_const) and nothing to the gradient.

struct LogisticParams {
  inv_prior_var: f32,
  lp_const: f32,
  pad0: f32,
  pad1: f32,
}

@group(1) @binding(0) var<storage, read> logistic_rows: array<vec4<f32>>;
@group(1) @binding(1) var<storage, read> logistic_params: LogisticParams;

// Four rows' terms, one per lane: adds log inv_logit(u) to *loglik and returns sigmoid(-u), the rows' gradient
// weights. e = exp(-|u|) <= 1 cannot overflow; it gives both softplus(-u) = max(-u, 0) + log(1 + e) and
// sigmoid(-u) = (u >= 0 ? e : 1) / (1 + e) without cancellation.
fn logistic_terms(u: vec4<f32>, loglik: ptr<function, vec4<f32>>) -> vec4<f32> {
  let e = exp(-abs(u));
  let one_plus_e = 1.0 + e;
  *loglik = *loglik - (max(-u, vec4<f32>(0.0)) + log(one_plus_e));
  return select(vec4<f32>(1.0), e, u >= vec4<f32>(0.0)) / one_plus_e;
}

fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  var acc: array<vec4<f32>, DV>;
  var loglik = vec4<f32>(0.0);
  for (var i = 0u; i < LOGISTIC_N; i = i + 8u) {
    let r0 = i * DV;
    var u_lo = vec4<f32>(0.0);
    var u_hi = vec4<f32>(0.0);
    for (var j = 0u; j < DV; j = j + 1u) {
      let beta = (*z)[j];
      let r = r0 + j;
      u_lo = u_lo + vec4<f32>(
        dot(logistic_rows[r], beta),
        dot(logistic_rows[r + DV], beta),
        dot(logistic_rows[r + 2u * DV], beta),
        dot(logistic_rows[r + 3u * DV], beta),
      );
      u_hi = u_hi + vec4<f32>(
        dot(logistic_rows[r + 4u * DV], beta),
        dot(logistic_rows[r + 5u * DV], beta),
        dot(logistic_rows[r + 6u * DV], beta),
        dot(logistic_rows[r + 7u * DV], beta),
      );
    }
    let w_lo = logistic_terms(u_lo, &loglik);
    let w_hi = logistic_terms(u_hi, &loglik);
    for (var j = 0u; j < DV; j = j + 1u) {
      let r = r0 + j;
      acc[j] = acc[j]
        + w_lo.x * logistic_rows[r] + w_lo.y * logistic_rows[r + DV]
        + w_lo.z * logistic_rows[r + 2u * DV] + w_lo.w * logistic_rows[r + 3u * DV]
        + w_hi.x * logistic_rows[r + 4u * DV] + w_hi.y * logistic_rows[r + 5u * DV]
        + w_hi.z * logistic_rows[r + 6u * DV] + w_hi.w * logistic_rows[r + 7u * DV];
    }
  }
  let inv_prior_var = logistic_params.inv_prior_var;
  var prior_ss = 0.0;
  for (var j = 0u; j < DV; j = j + 1u) {
    let beta = (*z)[j];
    prior_ss = prior_ss + dot(beta, beta);
    (*grad)[j] = acc[j] - inv_prior_var * beta;
  }
  return logistic_params.lp_const - 0.5 * inv_prior_var * prior_ss + dot(loglik, vec4<f32>(1.0));
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  for (var j = 0u; j < RV; j = j + 1u) {
    (*out)[j] = (*z)[j];
  }
}
