// shaders/families/meanfield.wgsl — the mean-field Gaussian family q(z) = prod_d N(z_d | mu_d, exp(omega_d)^2).
//
// Family contract (every module bound to "family" supplies it; src/vi/families/types.ts describes it):
//   FAMILY_PV: u32                  vec4 blocks of lambda (and of its gradient)       } constants the engine
//   FAMILY_EV: u32                  vec4 blocks of base noise eps per sample           } emits from the
//   FAMILY_HAS_ENTROPY: bool        family_entropy() is the entropy in closed form     } family's descriptor
//   fn family_load()                reads lambda (through the program's lambda_block) into registers; once per thread
//   fn family_sample(eps, z) -> f32 z = T_lambda(eps) for eps of FAMILY_EV blocks of N(0, 1) draws; zeroes the
//                                   lanes of eps the family does not use; returns log|det dz/deps|
//   fn family_log_q(eps, z, logdet) -> f32     log q(z) at z = T_lambda(eps)
//   fn family_score(eps, z, out)    out = d/dz log q(z) with lambda held fixed (the STL correction)
//   fn family_vjp(eps, gz, w, acc)  acc += the "raw" d/dlambda of gz . T_lambda(eps), plus w times this
//                                   sample's pathwise d/dlambda of -log q(T_lambda(eps)) (the entropy term)
//   fn family_gradient(block, mean_raw) -> vec4<f32>   d/dlambda for a block from the mean of the raw
//                                   accumulator (linear: masks and chain rules applied once, not per sample)
//   fn family_entropy() -> f32      H[q] (only meaningful when FAMILY_HAS_ENTROPY)
//   fn family_valid(block, value) -> bool   a proposed lambda block the family can use: finite, and any
//                                   log-scale small enough that exp cannot overflow f32 (|log sd| <= 40).
//                                   Optimizers refuse a step that would make any block invalid.
// The program defines  fn lambda_block(i: u32) -> vec4<f32>  (it owns the lambda binding).
//
// Here: lambda blocks [0, DV) hold mu, [DV, 2 DV) hold omega = log sigma; FAMILY_EV = DV. Lanes past D are 0
// in lambda, eps, z and every gradient. T(eps) = mu + sigma * eps, so log|det| = sum(omega), whose pathwise
// gradient is 1 in each omega lane: constant, so the entropy term is exact whatever the weights.
// Constants: D, DV (engine); FAMILY_PV = 2 DV, FAMILY_EV = DV, FAMILY_HAS_ENTROPY = true (from
// src/vi/families/meanfield.ts, the one place they are declared).


var<private> family_mu: array<vec4<f32>, DV>;
var<private> family_sigma: array<vec4<f32>, DV>;
var<private> family_log_det: f32;

// 1 in lanes < D, 0 in padding lanes: keeps padding out of the entropy and its gradient.
fn family_lane_mask(block: u32) -> vec4<f32> {
  let lane = vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), lane < vec4<u32>(D));
}

fn family_load() {
  var sum_omega = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    family_mu[b] = lambda_block(b);
    let omega = lambda_block(DV + b) * family_lane_mask(b);
    family_sigma[b] = exp(omega) * family_lane_mask(b);
    sum_omega = sum_omega + dot(omega, vec4<f32>(1.0));
  }
  family_log_det = sum_omega;
}

fn family_sample(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  for (var b = 0u; b < DV; b = b + 1u) {
    (*eps)[b] = (*eps)[b] * family_lane_mask(b);
    (*z)[b] = family_mu[b] + family_sigma[b] * (*eps)[b];
  }
  return family_log_det;
}

fn family_log_q(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, logdet: f32) -> f32 {
  var ss = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    ss = ss + dot((*eps)[b], (*eps)[b]);
  }
  return -0.5 * ss - 0.5 * f32(D) * log(6.283185307179586) - logdet;
}

fn family_score(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, DV>>) {
  for (var b = 0u; b < DV; b = b + 1u) {
    // d/dz log q(z) = -(z - mu) / sigma^2 = -eps / sigma (0 in padding lanes, where eps = 0).
    (*out)[b] = -(*eps)[b] / select(family_sigma[b], vec4<f32>(1.0), family_sigma[b] == vec4<f32>(0.0));
  }
}

fn family_vjp(
  eps: ptr<function, array<vec4<f32>, FAMILY_EV>>,
  gz: ptr<function, array<vec4<f32>, DV>>,
  entropy_weight: f32,
  acc: ptr<function, array<vec4<f32>, FAMILY_PV>>,
) {
  for (var b = 0u; b < DV; b = b + 1u) {
    let g = (*gz)[b];
    (*acc)[b] = (*acc)[b] + g;
    // dz/domega = sigma * eps; d/domega log|det| = 1 (in lanes < D).
    (*acc)[DV + b] = (*acc)[DV + b] + g * (*eps)[b] * family_sigma[b] + entropy_weight * family_lane_mask(b);
  }
}

fn family_gradient(block: u32, mean_raw: vec4<f32>) -> vec4<f32> {
  return mean_raw;
}

fn family_entropy() -> f32 {
  return family_log_det + 0.5 * f32(D) * (1.0 + log(6.283185307179586));
}

fn family_valid(block: u32, value: vec4<f32>) -> bool {
  let limit = select(3.0e38, 40.0, block >= DV);
  return all(abs(value) <= vec4<f32>(limit));
}
