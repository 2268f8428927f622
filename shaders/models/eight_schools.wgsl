// shaders/models/eight_schools.wgsl — posteriordb eight_schools-eight_schools_noncentered: J schools' treatment
// effects, non-centred: theta = mu + tau * theta_trans.
//
//   theta_trans ~ normal(0, 1);  y ~ normal(theta, sigma);  mu ~ normal(0, 5);  tau ~ cauchy(0, 5), tau > 0.
//
// Model contract (src/models/types.ts): model_log_joint, model_constrain.
// Unconstrained z (D = J + 2), in Stan's declaration order: z[0 .. J-1] = theta_trans[1..J], z[J] = mu,
// z[J+1] = log(tau). tau = exp(z[J+1]) with log-Jacobian z[J+1], as Stan does it.
// Reported (R = J + 2), posteriordb's reference order: theta[1..J], mu, tau.
// log p is the true log density: every normalising constant is included, the Cauchy's truncation to tau > 0
// too (log 2, which Stan's `~` drops); the constants are summed in float64 on the host into lp_const.
// Bindings: @group(1) @binding(0) storage, read  EightSchoolsData: lp_const, then DV blocks of 4 schools
// (y, 1 / sigma), aligned with z's vec4 blocks; lanes k >= J hold y = 0, 1 / sigma = 0.
// Constants: EIGHT_SCHOOLS_J (model); D, DV, R, RV (engine). Assumes D = R = J + 2, so RV = DV (checked at
// compile time: a host that lays out J differently fails to compile rather than reading the wrong lanes).

const_assert D == EIGHT_SCHOOLS_J + 2u;
const_assert R == D;

const EIGHT_SCHOOLS_LOG5: f32 = 1.6094379124341003;

struct EightSchoolsBlock {
  y: vec4<f32>,
  inv_sigma: vec4<f32>,
}

struct EightSchoolsData {
  lp_const: f32,
  blocks: array<EightSchoolsBlock, DV>,
}

@group(1) @binding(0) var<storage, read> eight_schools: EightSchoolsData;

// 1 for the lanes of block b that hold theta_trans, 0 for mu, log tau and padding.
fn eight_schools_mask(b: u32) -> vec4<f32> {
  let k = vec4<u32>(4u * b) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), k < vec4<u32>(EIGHT_SCHOOLS_J));
}

fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let mu = (*z)[EIGHT_SCHOOLS_J / 4u][EIGHT_SCHOOLS_J % 4u];
  let u = (*z)[(EIGHT_SCHOOLS_J + 1u) / 4u][(EIGHT_SCHOOLS_J + 1u) % 4u];
  let tau = exp(u);

  // -log(1 + s) with s = (tau / 5)^2 and d/du of it, -2 s / (1 + s), written in 1 / s once s > 1 so that
  // neither overflows for large tau (there is no log1p in WGSL; for s <= 1 log(1 + s) is accurate enough
  // in absolute terms).
  let w = 2.0 * (u - EIGHT_SCHOOLS_LOG5);
  var log1p_s: f32;
  var s_frac: f32;
  if (w > 0.0) {
    let inv_s = exp(-w);
    log1p_s = w + log(1.0 + inv_s);
    s_frac = 1.0 / (1.0 + inv_s);
  } else {
    let s = exp(w);
    log1p_s = log(1.0 + s);
    s_frac = s / (1.0 + s);
  }

  var lp = eight_schools.lp_const - 0.02 * mu * mu - log1p_s + u;
  var g_mu = -0.04 * mu;
  var g_u = 1.0 - 2.0 * s_frac;
  for (var b = 0u; b < DV; b = b + 1u) {
    let t = eight_schools_mask(b) * (*z)[b];
    let block = eight_schools.blocks[b];
    // Standardised residual of y; 0 on lanes past J, where inv_sigma is 0.
    let e = (block.y - mu - tau * t) * block.inv_sigma;
    let r = e * block.inv_sigma;
    lp = lp - 0.5 * (dot(t, t) + dot(e, e));
    g_mu = g_mu + dot(r, vec4<f32>(1.0));
    g_u = g_u + tau * dot(r, t);
    (*grad)[b] = tau * r - t;
  }
  (*grad)[EIGHT_SCHOOLS_J / 4u][EIGHT_SCHOOLS_J % 4u] = g_mu;
  (*grad)[(EIGHT_SCHOOLS_J + 1u) / 4u][(EIGHT_SCHOOLS_J + 1u) % 4u] = g_u;
  return lp;
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  let mu = (*z)[EIGHT_SCHOOLS_J / 4u][EIGHT_SCHOOLS_J % 4u];
  let tau = exp((*z)[(EIGHT_SCHOOLS_J + 1u) / 4u][(EIGHT_SCHOOLS_J + 1u) % 4u]);
  for (var b = 0u; b < RV; b = b + 1u) {
    let m = eight_schools_mask(b);
    (*out)[b] = m * (mu + tau * (*z)[b]);
  }
  (*out)[EIGHT_SCHOOLS_J / 4u][EIGHT_SCHOOLS_J % 4u] = mu;
  (*out)[(EIGHT_SCHOOLS_J + 1u) / 4u][(EIGHT_SCHOOLS_J + 1u) % 4u] = tau;
}
