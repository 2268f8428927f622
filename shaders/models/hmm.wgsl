// shaders/models/hmm.wgsl — posteriordb's hmm_example: a 2-state hidden Markov model with unit-sd Gaussian
// emissions, y_t ~ N(mu[s_t], 1), transition rows theta1, theta2 (simplex[2]), mu positive_ordered[2],
// mu[1] ~ N(3, 1), mu[2] ~ N(10, 1); log p(y) by the forward algorithm with no initial distribution on s_1
// (model.stan starts from gamma[1, k] = normal_lpdf(y[1] | mu[k], 1)).
//
// Model contract (src/models/types.ts): model_log_joint, model_constrain. D = 4, R = 6.
//   z = (z0, z1, z2, z3), Stan's transforms: theta1 = (inv_logit(z0), inv_logit(-z0)) (stick-breaking for
//   K = 2, log|J| = log theta1[1] + log theta1[2]), theta2 likewise from z1; mu[1] = exp(z2),
//   mu[2] = exp(z2) + exp(z3) (log|J| = z2 + z3).
//   Reported: theta1[1], theta1[2], theta2[1], theta2[2], mu[1], mu[2].
// Bindings: @group(1) @binding(0) storage, read  hmm_y: array<f32>, the HMM_N observations.
// Constants: DV, RV (engine); HMM_N: u32 (observations, >= 1), HMM_LP_CONST: f32 (-(N + 2) log(2 pi) / 2,
// the normalising constants of the N emissions and the two priors, computed in float64 on the host).
//
// Why a scaled forward pass with forward-mode derivatives: the backward pass of forward-backward needs
// every alpha_t, i.e. a function-scope array indexed in the loop, which SwiftShader runs about 10x slower.
// Carrying d(alpha_t)/d(z0, z1, mu1, mu2) as one vec4 per state instead costs a few vec4 FMAs per step.
// Each step subtracts the larger emission log density before exponentiating and renormalises alpha, so
// nothing under- or overflows while the transition probabilities are representable in f32 (|z0|, |z1|
// below about 80).

@group(1) @binding(0) var<storage, read> hmm_y: array<f32>;

// inv_logit(x) and inv_logit(-x), each without cancellation in 1 - p.
fn hmm_inv_logit_pair(x: f32) -> vec2<f32> {
  let t = exp(-abs(x));
  let big = 1.0 / (1.0 + t);
  let small = t * big;
  return select(vec2<f32>(small, big), vec2<f32>(big, small), x >= 0.0);
}

// log(inv_logit(x)) + log(inv_logit(-x)) = -(softplus(x) + softplus(-x)) = -(|x| + 2 log(1 + exp(-|x|))).
fn hmm_log_jacobian_simplex(x: f32) -> f32 {
  return -(abs(x) + 2.0 * log(1.0 + exp(-abs(x))));
}

fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let v = (*z)[0];
  let p1 = hmm_inv_logit_pair(v.x);  // theta1 = (P[1,1], P[1,2])
  let p2 = hmm_inv_logit_pair(v.y);  // theta2 = (P[2,1], P[2,2])
  // d P[j,1] / dz_j = -d P[j,2] / dz_j = p (1 - p); lanes are (z0, z1, mu1, mu2).
  let dp = vec4<f32>(p1.x * p1.y, p2.x * p2.y, 0.0, 0.0);
  let e2 = exp(v.z);
  let e3 = exp(v.w);
  let mu = vec2<f32>(e2, e2 + e3);

  // t = 1: gamma[1, k] = log N(y_1 | mu_k, 1); alpha is gamma normalised to sum 1.
  var y = hmm_y[0];
  var dev = vec2<f32>(y) - mu;
  var le = -0.5 * dev * dev;
  var m = max(le.x, le.y);
  var u = exp(le - m);
  var du1 = vec4<f32>(0.0, 0.0, u.x * dev.x, 0.0);
  var du2 = vec4<f32>(0.0, 0.0, 0.0, u.y * dev.y);
  var c = u.x + u.y;
  var inv_c = 1.0 / c;
  var dc = du1 + du2;
  var alpha = u * inv_c;
  var da1 = (du1 - alpha.x * dc) * inv_c;
  var da2 = (du2 - alpha.y * dc) * inv_c;
  var lp = m + log(c);
  var glp = dc * inv_c;

  for (var t = 1u; t < HMM_N; t = t + 1u) {
    y = hmm_y[t];
    dev = vec2<f32>(y) - mu;
    le = -0.5 * dev * dev;
    m = max(le.x, le.y);
    u = exp(le - m);
    let pred = vec2<f32>(alpha.x * p1.x + alpha.y * p2.x, alpha.x * p1.y + alpha.y * p2.y);
    let dp_alpha = dp * vec4<f32>(alpha.x, alpha.y, 0.0, 0.0);
    let dpred1 = da1 * p1.x + da2 * p2.x + dp_alpha;
    let dpred2 = da1 * p1.y + da2 * p2.y - dp_alpha;
    let un = u * pred;
    du1 = u.x * (dpred1 + vec4<f32>(0.0, 0.0, pred.x * dev.x, 0.0));
    du2 = u.y * (dpred2 + vec4<f32>(0.0, 0.0, 0.0, pred.y * dev.y));
    c = un.x + un.y;
    inv_c = 1.0 / c;
    dc = du1 + du2;
    alpha = un * inv_c;
    da1 = (du1 - alpha.x * dc) * inv_c;
    da2 = (du2 - alpha.y * dc) * inv_c;
    lp = lp + (m + log(c));
    glp = glp + dc * inv_c;
  }

  let prior_dev = mu - vec2<f32>(3.0, 10.0);
  lp = lp + HMM_LP_CONST - 0.5 * dot(prior_dev, prior_dev)
    + hmm_log_jacobian_simplex(v.x) + hmm_log_jacobian_simplex(v.y) + v.z + v.w;
  let g_mu = glp.zw - prior_dev;
  // The simplex Jacobian adds d/dz [log p + log(1 - p)] = (1 - p) - p.
  (*grad)[0] = vec4<f32>(
    glp.x + p1.y - p1.x,
    glp.y + p2.y - p2.x,
    (g_mu.x + g_mu.y) * e2 + 1.0,
    g_mu.y * e3 + 1.0,
  );
  return lp;
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  let v = (*z)[0];
  let e2 = exp(v.z);
  (*out)[0] = vec4<f32>(hmm_inv_logit_pair(v.x), hmm_inv_logit_pair(v.y));
  (*out)[1] = vec4<f32>(e2, e2 + exp(v.w), 0.0, 0.0);
}
