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
// sums are vec4s across rows). The loops over the DV blocks of beta are unrolled by the composer (@unroll):
// beta, the gradient accumulators and each block of eight rows live in vec4 locals, not in function-scope
// arrays, which SwiftShader keeps in memory (2.7x slower in a side-by-side test). Eight rows at a time ran
// 1.4-1.6x faster than one (N = 1000, D = 10), and four partial sums make the f32 sum more accurate. A zero padding row has u = 0: it adds
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
  // @unroll(j < DV)
  let beta$j = (*z)[j]; var acc$j = vec4<f32>(0.0);
  // @end
  var loglik = vec4<f32>(0.0);
  for (var i = 0u; i < LOGISTIC_N; i = i + 8u) {
    let r = i * DV;
    // @unroll(j < DV)
    let x0_$j = logistic_rows[r + j]; let x1_$j = logistic_rows[r + DV + j]; let x2_$j = logistic_rows[r + 2u * DV + j]; let x3_$j = logistic_rows[r + 3u * DV + j];
    let x4_$j = logistic_rows[r + 4u * DV + j]; let x5_$j = logistic_rows[r + 5u * DV + j]; let x6_$j = logistic_rows[r + 6u * DV + j]; let x7_$j = logistic_rows[r + 7u * DV + j];
    // @end
    var u_lo = vec4<f32>(0.0);
    var u_hi = vec4<f32>(0.0);
    // @unroll(j < DV)
    u_lo = u_lo + vec4<f32>(dot(x0_$j, beta$j), dot(x1_$j, beta$j), dot(x2_$j, beta$j), dot(x3_$j, beta$j));
    u_hi = u_hi + vec4<f32>(dot(x4_$j, beta$j), dot(x5_$j, beta$j), dot(x6_$j, beta$j), dot(x7_$j, beta$j));
    // @end
    let w_lo = logistic_terms(u_lo, &loglik);
    let w_hi = logistic_terms(u_hi, &loglik);
    // @unroll(j < DV)
    acc$j = acc$j + w_lo.x * x0_$j + w_lo.y * x1_$j + w_lo.z * x2_$j + w_lo.w * x3_$j + w_hi.x * x4_$j + w_hi.y * x5_$j + w_hi.z * x6_$j + w_hi.w * x7_$j;
    // @end
  }
  let inv_prior_var = logistic_params.inv_prior_var;
  var prior_ss = 0.0;
  // @unroll(j < DV)
  prior_ss = prior_ss + dot(beta$j, beta$j); (*grad)[j] = acc$j - inv_prior_var * beta$j;
  // @end
  return logistic_params.lp_const - 0.5 * inv_prior_var * prior_ss + dot(loglik, vec4<f32>(1.0));
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  for (var j = 0u; j < RV; j = j + 1u) {
    (*out)[j] = (*z)[j];
  }
}
