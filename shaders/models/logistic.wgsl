// shaders/models/logistic.wgsl — Bayesian logistic regression:
// beta ~ N(0, prior_sd^2 I), y_i ~ Bernoulli(inv_logit(x_i . beta)).
//
// Model contract (src/models/types.ts), batch form: model_log_joint_batch (MODEL_BATCH samples per call, each
// data load shared by all of them), model_constrain. z = beta (D coefficients, unconstrained, identity
// transform, so no log-Jacobian); R = D, reported beta[1..D] = z.
// Bindings (@group(1), in the order of PreparedModel.buffers, laid out by src/models/logistic.ts):
//   0 storage, read  logistic_cols: array<vec4<f32>>, LOGISTIC_GROUPS groups of four rows, column by column:
//                    logistic_cols[g * D + d] = (s_i x_id for i = 4g .. 4g + 3), with s_i = 2 y_i - 1 (the
//                    outcome folded in as a sign, exact in f32). Rows past N are zeros.
//   1 storage, read  logistic_params: LogisticParams (1 / prior_sd^2; lp_const: the prior's normalising
//                    constant plus ln 2 for each zero row, computed in float64 on the host)
// Constants: D, DV, RV (engine; RV = DV here), MODEL_BATCH (engine), LOGISTIC_GROUPS = ceil(N / 4).
//
// With u_i = (s_i x_i) . beta = s_i eta_i, the Bernoulli log likelihood is log inv_logit(u_i) = -softplus(-u_i)
// and its gradient sigmoid(-u_i) s_i x_i (= (y_i - inv_logit(eta_i)) x_i): no branch on y, one data stream.
// A zero row has u = 0: it adds exactly -ln 2 (given back by lp_const) and nothing to the gradient.
// Why this shape (measured on SwiftShader, the CPU driver, where each storage load costs far more than the
// arithmetic it feeds): four rows per vec4, column by column, so u for four rows is D multiply-adds of vec4s
// with no padding lanes; MODEL_BATCH samples per call reuse each loaded vec4 (16 samples ran 3x faster than
// one); every loop over d and over the batch is unrolled by the composer (@unroll), so beta, u and the
// gradient sums are locals rather than arrays indexed at run time.

struct LogisticParams {
  inv_prior_var: f32,
  lp_const: f32,
  pad0: f32,
  pad1: f32,
}

@group(1) @binding(0) var<storage, read> logistic_cols: array<vec4<f32>>;
@group(1) @binding(1) var<storage, read> logistic_params: LogisticParams;

// Four rows' terms, one per lane: adds their log inv_logit(u) to *loglik and returns sigmoid(-u), the rows'
// gradient weights. e = exp(-|u|) <= 1 cannot overflow; it gives both softplus(-u) = max(-u, 0) + log(1 + e)
// and sigmoid(-u) = (u >= 0 ? e : 1) / (1 + e) without cancellation. One log serves the four rows: each
// 1 + e is in (1, 2], so their product is in (1, 16].
fn logistic_terms(u: vec4<f32>, loglik: ptr<function, vec4<f32>>) -> vec4<f32> {
  let e = exp(-abs(u));
  let one_plus_e = 1.0 + e;
  *loglik = *loglik - max(-u, vec4<f32>(0.0));
  (*loglik).x = (*loglik).x - log(one_plus_e.x * one_plus_e.y * one_plus_e.z * one_plus_e.w);
  return select(vec4<f32>(1.0), e, u >= vec4<f32>(0.0)) / one_plus_e;
}

fn model_log_joint_batch(
  z: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  grad: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  lp: ptr<function, array<f32, MODEL_BATCH>>,
) {
  // @unroll(p < MODEL_BATCH)
  var loglik${p} = vec4<f32>(0.0);
  // @unroll(d < D)
  let beta${p}_${d} = (*z)[p][d / 4u][d % 4u]; var acc${p}_${d} = 0.0;
  // @end
  // @end
  for (var g = 0u; g < LOGISTIC_GROUPS; g = g + 1u) {
    // @unroll(d < D)
    let x$d = logistic_cols[g * D + d];
    // @end
    // @unroll(p < MODEL_BATCH)
    var u$p = vec4<f32>(0.0);
    // @unroll(d < D)
    u${p} = u${p} + x$d * beta${p}_${d};
    // @end
    let w$p = logistic_terms(u$p, &loglik$p);
    // @unroll(d < D)
    acc${p}_${d} = acc${p}_${d} + dot(w${p}, x$d);
    // @end
    // @end
  }
  let inv_prior_var = logistic_params.inv_prior_var;
  // @unroll(p < MODEL_BATCH)
  (*grad)[p] = array<vec4<f32>, DV>();
  var prior_ss$p = 0.0;
  // @unroll(d < D)
  prior_ss$p = prior_ss$p + beta${p}_${d} * beta${p}_${d}; (*grad)[p][d / 4u][d % 4u] = acc${p}_${d} - inv_prior_var * beta${p}_${d};
  // @end
  (*lp)[p] = logistic_params.lp_const - 0.5 * inv_prior_var * prior_ss$p + dot(loglik$p, vec4<f32>(1.0));
  // @end
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  for (var j = 0u; j < RV; j = j + 1u) {
    (*out)[j] = (*z)[j];
  }
}
