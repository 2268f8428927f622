// test/families/isotropic.wgsl — an isotropic Gaussian family q(z) = N(mu, sigma^2 I), registered by a test
// from this folder alone to show that a family plugs in without touching the engine.
//
// Family contract: see shaders/families/meanfield.wgsl.
// lambda layout: blocks [0, DV) hold mu; block DV holds (log sigma, 0, 0, 0). FAMILY_PV = DV + 1,
// FAMILY_EV = DV, FAMILY_HAS_ENTROPY = true (from test/families/isotropic.ts).
// Constants: D, DV (engine).

var<private> iso_mu: array<vec4<f32>, DV>;
var<private> iso_log_sigma: f32;

fn iso_mask(block: u32) -> vec4<f32> {
  let lane = vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), lane < vec4<u32>(D));
}

fn family_load() {
  for (var b = 0u; b < DV; b = b + 1u) {
    iso_mu[b] = lambda_block(b);
  }
  iso_log_sigma = lambda_block(DV).x;
}

fn family_sample(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let sigma = exp(iso_log_sigma);
  for (var b = 0u; b < DV; b = b + 1u) {
    (*eps)[b] = (*eps)[b] * iso_mask(b);
    (*z)[b] = iso_mu[b] + sigma * (*eps)[b];
  }
  return f32(D) * iso_log_sigma;
}

fn family_log_q(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, logdet: f32) -> f32 {
  var ss = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    ss = ss + dot((*eps)[b], (*eps)[b]);
  }
  return -0.5 * ss - 0.5 * f32(D) * log(6.283185307179586) - logdet;
}

fn family_score(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, DV>>) {
  let inv_sigma = exp(-iso_log_sigma);
  for (var b = 0u; b < DV; b = b + 1u) {
    (*out)[b] = -(*eps)[b] * inv_sigma;
  }
}

fn family_vjp(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, gz: ptr<function, array<vec4<f32>, DV>>, entropy_weight: f32, acc: ptr<function, array<vec4<f32>, FAMILY_PV>>) {
  let sigma = exp(iso_log_sigma);
  var along = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    (*acc)[b] = (*acc)[b] + (*gz)[b];
    along = along + dot((*gz)[b], (*eps)[b]);
  }
  // dz/dlog sigma = sigma * eps; d/dlog sigma of log|det| = D.
  (*acc)[DV] = (*acc)[DV] + vec4<f32>(along * sigma + entropy_weight * f32(D), 0.0, 0.0, 0.0);
}

fn family_gradient(block: u32, mean_raw: vec4<f32>) -> vec4<f32> {
  return mean_raw;
}

fn family_entropy() -> f32 {
  return f32(D) * (iso_log_sigma + 0.5 * (1.0 + log(6.283185307179586)));
}

fn family_valid(block: u32, value: vec4<f32>) -> bool {
  return all(abs(value) <= vec4<f32>(select(3.0e38, 40.0, block == DV)));
}
