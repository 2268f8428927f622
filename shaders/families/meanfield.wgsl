// shaders/families/meanfield.wgsl — the mean-field Gaussian family q(z) = prod_d N(z_d | mu_d, exp(omega_d)^2).
//
// Contract (same API as families/fullrank.wgsl; the composer binds one to "family"):
//   const FAMILY_PV: u32                    vec4 blocks of lambda (and of its gradient): mu then omega
//   fn family_load()                        reads lambda (through the program's lambda_block) into registers;
//                                           call once per thread before sampling
//   fn family_sample(eps, z)                z = mu + sigma * eps
//   fn family_accumulate(eps, z, g, acc)    adds this sample's d/dlambda of log p(z(lambda)) to acc[1 + block]
//                                           (STL: first subtracts d/dz log q(z), with lambda held fixed)
//   fn family_entropy() -> f32              H[q] in closed form
//   fn family_finalize_grad(block, mean_raw) -> vec4<f32>
//                                           the ELBO gradient for a block from the mean of the accumulated
//                                           values: adds the closed-form entropy gradient unless STL
// lambda layout: blocks [0, DV) hold mu, [DV, 2 DV) hold omega = log sigma. Lanes past D are 0 in lambda and in
// every gradient (eps is 0 there, so z is too).
// The program must define  fn lambda_block(i: u32) -> vec4<f32>  (it owns the lambda binding).
// Constants: D, DV (engine), FAMILY_STL: bool.

const FAMILY_PV: u32 = 2u * DV;

var<private> family_mu: array<vec4<f32>, DV>;
var<private> family_sigma: array<vec4<f32>, DV>;

// 1 in lanes < D, 0 in padding lanes: keeps padding out of the entropy and its gradient.
fn family_lane_mask(block: u32) -> vec4<f32> {
  let lane = vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), lane < vec4<u32>(D));
}

fn family_load() {
  for (var b = 0u; b < DV; b = b + 1u) {
    family_mu[b] = lambda_block(b);
    family_sigma[b] = exp(lambda_block(DV + b)) * family_lane_mask(b);
  }
}

fn family_sample(eps: ptr<function, array<vec4<f32>, DV>>, z: ptr<function, array<vec4<f32>, DV>>) {
  for (var b = 0u; b < DV; b = b + 1u) {
    (*z)[b] = family_mu[b] + family_sigma[b] * (*eps)[b];
  }
}

fn family_accumulate(
  eps: ptr<function, array<vec4<f32>, DV>>,
  z: ptr<function, array<vec4<f32>, DV>>,
  g: ptr<function, array<vec4<f32>, DV>>,
  acc: ptr<function, array<vec4<f32>, ACC_V4>>,
) {
  for (var b = 0u; b < DV; b = b + 1u) {
    var grad = (*g)[b];
    if (FAMILY_STL) {
      // d/dz log q(z) = -(z - mu) / sigma^2 = -eps / sigma (0 in padding lanes, where eps = 0).
      grad = grad + (*eps)[b] / select(family_sigma[b], vec4<f32>(1.0), family_sigma[b] == vec4<f32>(0.0));
    }
    (*acc)[1u + b] = (*acc)[1u + b] + grad;
    (*acc)[1u + DV + b] = (*acc)[1u + DV + b] + grad * (*eps)[b] * family_sigma[b];
  }
}

fn family_entropy() -> f32 {
  var sum_omega = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    sum_omega = sum_omega + dot(lambda_block(DV + b), family_lane_mask(b));
  }
  return sum_omega + 0.5 * f32(D) * (1.0 + log(6.283185307179586));
}

fn family_finalize_grad(block: u32, mean_raw: vec4<f32>) -> vec4<f32> {
  if (block >= DV && !FAMILY_STL) {
    return mean_raw + family_lane_mask(block - DV); // dH/domega = 1
  }
  return mean_raw;
}
