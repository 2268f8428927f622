// shaders/models/hmm.wgsl — posteriordb's hmm_example: a 2-state hidden Markov model with unit-sd Gaussian
// emissions, y_t ~ N(mu[s_t], 1), transition rows theta1, theta2 (simplex[2]), mu positive_ordered[2],
// mu[1] ~ N(3, 1), mu[2] ~ N(10, 1); log p(y) by the forward algorithm with no initial distribution on s_1
// (model.stan starts from gamma[1, k] = normal_lpdf(y[1] | mu[k], 1)).
//
// Model contract (src/models/types.ts), batch form: model_log_joint_batch (MODEL_BATCH samples per call, each
// observation loaded once for all of them), model_constrain. D = 4, R = 6.
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
// below about 80). Per step one exp (one of the two emission weights is exactly 1) and no log (the
// normalisers are multiplied into a mantissa and a binary exponent): with the earlier two exps and a log per
// step the model took 10-15 % more CPU per sample on SwiftShader (7.3-8.8 against 6.3-7.2 us at 2^14).

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

// One sample's forward pass in flight: its transition rows and means (fixed for the pass), and the scaled
// forward variables with their tangents (lanes of every vec4: z0, z1, mu1, mu2).
struct HmmChain {
  p1: vec2<f32>,   // theta1 = (P[1,1], P[1,2])
  p2: vec2<f32>,   // theta2 = (P[2,1], P[2,2])
  dp: vec4<f32>,   // d P[j,1] / dz_j = -d P[j,2] / dz_j = p (1 - p)
  mu: vec2<f32>,
  alpha: vec2<f32>,
  da1: vec4<f32>,
  da2: vec4<f32>,
  lp: f32,         // log p(y_1..t) so far is lp + log(scale) + scale_exp ln 2
  scale: f32,      // in [0.5, 1) (1 before the first step)
  scale_exp: i32,
  glp: vec4<f32>,  // the tangents of log p(y_1..t)
}

// t = 1: gamma[1, k] = log N(y_1 | mu_k, 1); alpha is gamma normalised to sum 1.
fn hmm_start(v: vec4<f32>, y: f32) -> HmmChain {
  var chain: HmmChain;
  chain.p1 = hmm_inv_logit_pair(v.x);
  chain.p2 = hmm_inv_logit_pair(v.y);
  chain.dp = vec4<f32>(chain.p1.x * chain.p1.y, chain.p2.x * chain.p2.y, 0.0, 0.0);
  let e2 = exp(v.z);
  chain.mu = vec2<f32>(e2, e2 + exp(v.w));
  let dev = vec2<f32>(y) - chain.mu;
  let le = -0.5 * dev * dev;
  let u = hmm_emission_weights(le);
  let du1 = vec4<f32>(0.0, 0.0, u.x * dev.x, 0.0);
  let du2 = vec4<f32>(0.0, 0.0, 0.0, u.y * dev.y);
  let c = u.x + u.y;
  let inv_c = 1.0 / c;
  let dc = du1 + du2;
  chain.alpha = u * inv_c;
  chain.da1 = (du1 - chain.alpha.x * dc) * inv_c;
  chain.da2 = (du2 - chain.alpha.y * dc) * inv_c;
  chain.lp = max(le.x, le.y) + log(c);
  chain.scale = 1.0;
  chain.glp = dc * inv_c;
  return chain;
}

// The emission weights u = exp(le - max(le)) of the two states: one of them is exactly 1, so one exp serves.
fn hmm_emission_weights(le: vec2<f32>) -> vec2<f32> {
  let d = le.x - le.y;
  let e = exp(-abs(d));
  return select(vec2<f32>(e, 1.0), vec2<f32>(1.0, e), d >= 0.0);
}

// One step t > 1 of the scaled forward pass with observation y. log p(y_1..t) = sum of (m + log c) over the
// steps; the c's are multiplied into a mantissa and a binary exponent (frexp, exact) rather than logged
// one by one, so the pass takes one log in all instead of one per step.
fn hmm_advance(chain: ptr<function, HmmChain>, y: f32) {
  let p1 = (*chain).p1;
  let p2 = (*chain).p2;
  let alpha = (*chain).alpha;
  let dev = vec2<f32>(y) - (*chain).mu;
  let le = -0.5 * dev * dev;
  let u = hmm_emission_weights(le);
  let pred = vec2<f32>(alpha.x * p1.x + alpha.y * p2.x, alpha.x * p1.y + alpha.y * p2.y);
  let dp_alpha = (*chain).dp * vec4<f32>(alpha.x, alpha.y, 0.0, 0.0);
  let dpred1 = (*chain).da1 * p1.x + (*chain).da2 * p2.x + dp_alpha;
  let dpred2 = (*chain).da1 * p1.y + (*chain).da2 * p2.y - dp_alpha;
  let un = u * pred;
  let du1 = u.x * (dpred1 + vec4<f32>(0.0, 0.0, pred.x * dev.x, 0.0));
  let du2 = u.y * (dpred2 + vec4<f32>(0.0, 0.0, 0.0, pred.y * dev.y));
  let c = un.x + un.y;
  let inv_c = 1.0 / c;
  let dc = du1 + du2;
  let next = un * inv_c;
  (*chain).alpha = next;
  (*chain).da1 = (du1 - next.x * dc) * inv_c;
  (*chain).da2 = (du2 - next.y * dc) * inv_c;
  (*chain).lp = (*chain).lp + max(le.x, le.y);
  let scaled = frexp((*chain).scale * c);
  (*chain).scale = scaled.fract;
  (*chain).scale_exp = (*chain).scale_exp + scaled.exp;
  (*chain).glp = (*chain).glp + dc * inv_c;
}

// The priors, the log-Jacobians and the chain rule back to z; returns the log joint.
fn hmm_finish(v: vec4<f32>, chain: HmmChain, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let prior_dev = chain.mu - vec2<f32>(3.0, 10.0);
  let lp = chain.lp + log(chain.scale) + f32(chain.scale_exp) * 0.6931471805599453 + HMM_LP_CONST - 0.5 * dot(prior_dev, prior_dev)
    + hmm_log_jacobian_simplex(v.x) + hmm_log_jacobian_simplex(v.y) + v.z + v.w;
  let g_mu = chain.glp.zw - prior_dev;
  let e2 = chain.mu.x;
  let e3 = exp(v.w);  // not mu2 - mu1, which cancels
  // The simplex Jacobian adds d/dz [log p + log(1 - p)] = (1 - p) - p.
  (*grad)[0] = vec4<f32>(
    chain.glp.x + chain.p1.y - chain.p1.x,
    chain.glp.y + chain.p2.y - chain.p2.x,
    (g_mu.x + g_mu.y) * e2 + 1.0,
    g_mu.y * e3 + 1.0,
  );
  return lp;
}

// MODEL_BATCH samples advance through the observations together: each y_t is loaded once for all of them,
// and their forward passes, each a chain of dependent exps, divisions and logs, interleave.
fn model_log_joint_batch(
  z: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  grad: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  lp: ptr<function, array<f32, MODEL_BATCH>>,
) {
  var chains: array<HmmChain, MODEL_BATCH>;
  let y0 = hmm_y[0];
  for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
    chains[p] = hmm_start((*z)[p][0], y0);
  }
  for (var t = 1u; t < HMM_N; t = t + 1u) {
    let y = hmm_y[t];
    for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
      hmm_advance(&chains[p], y);
    }
  }
  for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
    (*lp)[p] = hmm_finish((*z)[p][0], chains[p], &(*grad)[p]);
  }
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  let v = (*z)[0];
  let e2 = exp(v.z);
  (*out)[0] = vec4<f32>(hmm_inv_logit_pair(v.x), hmm_inv_logit_pair(v.y));
  (*out)[1] = vec4<f32>(e2, e2 + exp(v.w), 0.0, 0.0);
}
