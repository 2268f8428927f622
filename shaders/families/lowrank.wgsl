// shaders/families/lowrank.wgsl — the low-rank plus diagonal Gaussian q(z) = N(z | mu, diag(sigma^2) + B B^T),
// B of D x LR_K, for D in the hundreds (NumPyro's AutoLowRankMultivariateNormal).
//
// Family contract: see shaders/families/meanfield.wgsl (FAMILY_PV, FAMILY_EV, FAMILY_HAS_ENTROPY, family_load,
// family_sample, family_log_q, family_score, family_vjp, family_gradient, family_entropy, family_valid).
// lambda layout: blocks [0, DV) mu; [DV, 2 DV) omega = log sigma (meanfield's convention); then LR_K columns of
// B, column k in blocks [(2 + k) DV, (3 + k) DV). Lanes past D are 0 everywhere (masked in family_gradient).
// Noise: eps blocks [0, DV) are eps1 (D normals), [DV, DV + LR_KV) are eps2 (LR_K normals);
// z = mu + sigma * eps1 + B eps2. T maps D + K normals to D values, so it has no Jacobian: family_sample
// returns 1/2 log det Sigma instead (family_log_q ignores its logdet argument) and Stan's log_g__ is log q
// (stanLogG 'log-q').
// With C = I_K + B^T diag(sigma^-2) B = L_C L_C^T (a K x K Cholesky, formed once per thread in family_load):
//   log det Sigma = 2 sum(omega) + 2 sum log diag(L_C)               (matrix determinant lemma)
//   r^T Sigma^-1 r = r^T u - v^T C^-1 v, u = r / sigma^2, v = B^T u   (Woodbury), O(D K + K^2) per sample.
// The entropy term of family_vjp is w times grad H[q] itself (Sigma^-1 B = diag(sigma^-2) B C^-1 for B,
// sigma_i^2 (Sigma^-1)_ii = 1 - sum_k B_ik (Sigma^-1 B)_ik for omega), precomputed in family_load. Because T is
// not invertible, this is the expectation of the per-sample pathwise term rather than the term itself: the KL
// "entropy" estimator stays unbiased (and is exactly the gradient of mean log p + H on fixed samples, which
// L-BFGS needs), but objectives that weight samples unequally (iw, renyi) must not use it (FamilyDescriptor
// entropyTerm = 'expected'; they use their score-based estimator instead).
// Constants: D, DV (engine); LR_K, LR_KV = ceil(LR_K / 4), FAMILY_PV = (2 + LR_K) DV, FAMILY_EV = DV + LR_KV,
// FAMILY_HAS_ENTROPY = true (from src/vi/families/lowrank.ts).

var<private> family_mu: array<vec4<f32>, DV>;
var<private> family_sigma: array<vec4<f32>, DV>;
// 1 / sigma^2 in lanes < D, 0 past D.
var<private> family_inv_var: array<vec4<f32>, DV>;
var<private> family_b: array<vec4<f32>, LR_K * DV>;
// L_C, row-major K x K (lower triangle used).
var<private> family_lc: array<f32, LR_K * LR_K>;
// grad H: Sigma^-1 B (columns like B) and the omega part.
var<private> family_h_b: array<vec4<f32>, LR_K * DV>;
var<private> family_h_omega: array<vec4<f32>, DV>;
var<private> family_half_log_det: f32;

fn family_lane_mask(block: u32) -> vec4<f32> {
  let lane = vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), lane < vec4<u32>(D));
}

// Solves C y = v in place (forward then back substitution with L_C).
fn family_solve(v: ptr<function, array<f32, LR_K>>) {
  for (var i = 0u; i < LR_K; i = i + 1u) {
    var s = (*v)[i];
    for (var j = 0u; j < i; j = j + 1u) {
      s = s - family_lc[i * LR_K + j] * (*v)[j];
    }
    (*v)[i] = s / family_lc[i * LR_K + i];
  }
  for (var k = 0u; k < LR_K; k = k + 1u) {
    let i = LR_K - 1u - k;
    var s = (*v)[i];
    for (var j = i + 1u; j < LR_K; j = j + 1u) {
      s = s - family_lc[j * LR_K + i] * (*v)[j];
    }
    (*v)[i] = s / family_lc[i * LR_K + i];
  }
}

fn family_load() {
  var sum_omega = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    let mask = family_lane_mask(b);
    family_mu[b] = lambda_block(b);
    let omega = lambda_block(DV + b) * mask;
    family_sigma[b] = exp(omega) * mask;
    family_inv_var[b] = exp(-2.0 * omega) * mask;
    sum_omega = sum_omega + dot(omega, vec4<f32>(1.0));
  }
  for (var k = 0u; k < LR_K; k = k + 1u) {
    for (var b = 0u; b < DV; b = b + 1u) {
      family_b[k * DV + b] = lambda_block((2u + k) * DV + b) * family_lane_mask(b);
    }
  }
  // C = I + B^T diag(sigma^-2) B, then its Cholesky factor in place (lower triangle).
  for (var j = 0u; j < LR_K; j = j + 1u) {
    for (var k = 0u; k <= j; k = k + 1u) {
      var s = select(0.0, 1.0, j == k);
      for (var b = 0u; b < DV; b = b + 1u) {
        s = s + dot(family_b[j * DV + b] * family_inv_var[b], family_b[k * DV + b]);
      }
      family_lc[j * LR_K + k] = s;
    }
  }
  var log_det_c = 0.0;
  for (var j = 0u; j < LR_K; j = j + 1u) {
    for (var k = 0u; k <= j; k = k + 1u) {
      var s = family_lc[j * LR_K + k];
      for (var m = 0u; m < k; m = m + 1u) {
        s = s - family_lc[j * LR_K + m] * family_lc[k * LR_K + m];
      }
      if (j == k) {
        // C >= I, so s >= 1 up to rounding.
        let root = sqrt(max(s, 1.0e-30));
        family_lc[j * LR_K + j] = root;
        log_det_c = log_det_c + 2.0 * log(root);
      } else {
        family_lc[j * LR_K + k] = s / family_lc[k * LR_K + k];
      }
    }
  }
  family_half_log_det = sum_omega + 0.5 * log_det_c;
  // Sigma^-1 B = diag(sigma^-2) B C^-1: column m is the solve of C against row m of I, applied to B.
  for (var b = 0u; b < DV; b = b + 1u) {
    family_h_omega[b] = family_lane_mask(b);
  }
  for (var m = 0u; m < LR_K; m = m + 1u) {
    // Set every entry: a declaration in a loop body was seen to keep the previous iteration's values
    // (SwiftShader), where WGSL says it is zero-initialised each time.
    var e: array<f32, LR_K>;
    for (var j = 0u; j < LR_K; j = j + 1u) {
      e[j] = select(0.0, 1.0, j == m);
    }
    family_solve(&e);
    for (var b = 0u; b < DV; b = b + 1u) {
      var col = vec4<f32>(0.0);
      for (var j = 0u; j < LR_K; j = j + 1u) {
        col = col + family_b[j * DV + b] * e[j];
      }
      col = col * family_inv_var[b];
      family_h_b[m * DV + b] = col;
      family_h_omega[b] = family_h_omega[b] - family_b[m * DV + b] * col;
    }
  }
}

fn family_sample(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  for (var b = 0u; b < DV; b = b + 1u) {
    (*eps)[b] = (*eps)[b] * family_lane_mask(b);
  }
  for (var c = 0u; c < LR_KV; c = c + 1u) {
    let lane = vec4<u32>(4u * c) + vec4<u32>(0u, 1u, 2u, 3u);
    (*eps)[DV + c] = select(vec4<f32>(0.0), (*eps)[DV + c], lane < vec4<u32>(LR_K));
  }
  for (var b = 0u; b < DV; b = b + 1u) {
    var acc = family_mu[b] + family_sigma[b] * (*eps)[b];
    for (var k = 0u; k < LR_K; k = k + 1u) {
      acc = acc + family_b[k * DV + b] * (*eps)[DV + k / 4u][k % 4u];
    }
    (*z)[b] = acc;
  }
  return family_half_log_det;
}

// For r = z - mu: u = r / sigma^2 into `u`, y = C^-1 B^T u into `y`; returns r^T Sigma^-1 r.
fn family_woodbury(z: ptr<function, array<vec4<f32>, DV>>, u: ptr<function, array<vec4<f32>, DV>>, y: ptr<function, array<f32, LR_K>>) -> f32 {
  var ru = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    let r = ((*z)[b] - family_mu[b]) * family_lane_mask(b);
    (*u)[b] = r * family_inv_var[b];
    ru = ru + dot(r, (*u)[b]);
  }
  for (var k = 0u; k < LR_K; k = k + 1u) {
    var s = 0.0;
    for (var b = 0u; b < DV; b = b + 1u) {
      s = s + dot(family_b[k * DV + b], (*u)[b]);
    }
    (*y)[k] = s;
  }
  var vy = 0.0;
  var v = *y;
  family_solve(y);
  for (var k = 0u; k < LR_K; k = k + 1u) {
    vy = vy + v[k] * (*y)[k];
  }
  return ru - vy;
}

fn family_log_q(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, logdet: f32) -> f32 {
  var u: array<vec4<f32>, DV>;
  var y: array<f32, LR_K>;
  let quad = family_woodbury(z, &u, &y);
  return -0.5 * quad - family_half_log_det - 0.5 * f32(D) * log(6.283185307179586);
}

// d/dz log q = -Sigma^-1 r = -(u - diag(sigma^-2) B y).
fn family_score(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, DV>>) {
  var u: array<vec4<f32>, DV>;
  var y: array<f32, LR_K>;
  family_woodbury(z, &u, &y);
  for (var b = 0u; b < DV; b = b + 1u) {
    var by = vec4<f32>(0.0);
    for (var k = 0u; k < LR_K; k = k + 1u) {
      by = by + family_b[k * DV + b] * y[k];
    }
    (*out)[b] = -(u[b] - by * family_inv_var[b]);
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
    // dz/domega = sigma * eps1.
    (*acc)[DV + b] = (*acc)[DV + b] + g * (*eps)[b] * family_sigma[b] + entropy_weight * family_h_omega[b];
    for (var k = 0u; k < LR_K; k = k + 1u) {
      // dz/dB[., k] = eps2[k].
      let i = (2u + k) * DV + b;
      (*acc)[i] = (*acc)[i] + g * (*eps)[DV + k / 4u][k % 4u] + entropy_weight * family_h_b[k * DV + b];
    }
  }
}

fn family_gradient(block: u32, mean_raw: vec4<f32>) -> vec4<f32> {
  return mean_raw * family_lane_mask(block % DV);
}

fn family_entropy() -> f32 {
  return family_half_log_det + 0.5 * f32(D) * (1.0 + log(6.283185307179586));
}

fn family_valid(block: u32, value: vec4<f32>) -> bool {
  let limit = select(3.0e38, 40.0, block >= DV && block < 2u * DV);
  return all(abs(value) <= vec4<f32>(limit));
}
