// shaders/families/fullrank.wgsl — the full-rank Gaussian family q(z) = N(z | mu, L L^T), L lower-triangular
// with a log-parameterised (positive) diagonal.
//
// Family contract: see shaders/families/meanfield.wgsl (FAMILY_PV, FAMILY_EV, FAMILY_HAS_ENTROPY, family_load,
// family_sample, family_log_q, family_score, family_vjp, family_gradient, family_entropy, family_valid).
// lambda layout: blocks [0, DV) hold mu; then 4 DV rows of L, each DV blocks: row r, block c at
// DV + r DV + c. Row r holds L[r][0..r-1] below the diagonal and log L[r][r] on it; entries above the
// diagonal and rows past D are unused and kept 0 (their gradients are masked to 0 in family_gradient).
// Per sample the raw gradient is the full outer product g eps^T plus, on the diagonal, the entropy term
// w / L[r][r] (d log|det L| / d L[r][r]); the masks and the chain rule through exp on the diagonal are
// linear, so family_gradient applies them once to the mean. log|det L| does not depend on eps, so the
// entropy term is exact whatever the weights.
// family_score needs d/dz log q(z) = -L^-T eps, solved per sample by back substitution (O(D^2)).
// Constants: D, DV (engine); FAMILY_PV = DV + 4 DV^2, FAMILY_EV = DV, FAMILY_HAS_ENTROPY = true (from
// src/vi/families/fullrank.ts).

const FAMILY_ROWS: u32 = 4u * DV;

var<private> family_mu: array<vec4<f32>, DV>;
// L with exp applied on the diagonal and zeros above it and past D.
var<private> family_l: array<vec4<f32>, FAMILY_ROWS * DV>;
// 1 / L[r][r] in row-block order (0 past D), for the entropy term of family_vjp.
var<private> family_inv_diag: array<vec4<f32>, DV>;
var<private> family_log_det: f32;

fn family_lanes(block: u32) -> vec4<u32> {
  return vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
}

// L's stored entries for row r, block c: below-diagonal lanes as they are, the diagonal lane exponentiated.
fn family_effective_row_block(r: u32, c: u32, stored: vec4<f32>) -> vec4<f32> {
  let lanes = family_lanes(c);
  let below = select(vec4<f32>(0.0), stored, lanes < vec4<u32>(r));
  let diagonal = select(vec4<f32>(0.0), exp(stored), lanes == vec4<u32>(r));
  return select(vec4<f32>(0.0), below + diagonal, vec4<bool>(r < D));
}

fn family_load() {
  for (var b = 0u; b < DV; b = b + 1u) {
    family_mu[b] = lambda_block(b);
  }
  for (var r = 0u; r < FAMILY_ROWS; r = r + 1u) {
    for (var c = 0u; c < DV; c = c + 1u) {
      family_l[r * DV + c] = family_effective_row_block(r, c, lambda_block(DV + r * DV + c));
    }
  }
  var log_det = 0.0;
  for (var r = 0u; r < D; r = r + 1u) {
    let stored = lambda_block(DV + r * DV + r / 4u)[r % 4u];
    log_det = log_det + stored;
    family_inv_diag[r / 4u][r % 4u] = exp(-stored);
  }
  family_log_det = log_det;
}

fn family_sample(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  for (var b = 0u; b < DV; b = b + 1u) {
    let lane = family_lanes(b);
    (*eps)[b] = select(vec4<f32>(0.0), (*eps)[b], lane < vec4<u32>(D));
  }
  for (var rb = 0u; rb < DV; rb = rb + 1u) {
    var row_sums = vec4<f32>(0.0);
    for (var c = 0u; c < DV; c = c + 1u) {
      let e = (*eps)[c];
      row_sums = row_sums + vec4<f32>(
        dot(family_l[(4u * rb) * DV + c], e),
        dot(family_l[(4u * rb + 1u) * DV + c], e),
        dot(family_l[(4u * rb + 2u) * DV + c], e),
        dot(family_l[(4u * rb + 3u) * DV + c], e),
      );
    }
    (*z)[rb] = family_mu[rb] + row_sums;
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

fn family_l_entry(r: u32, c: u32) -> f32 {
  return family_l[r * DV + c / 4u][c % 4u];
}

// d/dz log q(z) = -L^-T eps: solve L^T u = eps by back substitution, then negate.
fn family_score(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, DV>>) {
  var u: array<vec4<f32>, DV>;
  for (var k = 0u; k < D; k = k + 1u) {
    let r = D - 1u - k;
    var s = (*eps)[r / 4u][r % 4u];
    for (var j = r + 1u; j < D; j = j + 1u) {
      s = s - family_l_entry(j, r) * u[j / 4u][j % 4u];
    }
    u[r / 4u][r % 4u] = s / family_l_entry(r, r);
  }
  for (var b = 0u; b < DV; b = b + 1u) {
    (*out)[b] = -u[b];
  }
}

fn family_vjp(
  eps: ptr<function, array<vec4<f32>, FAMILY_EV>>,
  gz: ptr<function, array<vec4<f32>, DV>>,
  entropy_weight: f32,
  acc: ptr<function, array<vec4<f32>, FAMILY_PV>>,
) {
  for (var rb = 0u; rb < DV; rb = rb + 1u) {
    let g4 = (*gz)[rb];
    (*acc)[rb] = (*acc)[rb] + g4;
    for (var c = 0u; c < DV; c = c + 1u) {
      let e = (*eps)[c];
      let base = DV + (4u * rb) * DV + c;
      (*acc)[base] = (*acc)[base] + g4.x * e;
      (*acc)[base + DV] = (*acc)[base + DV] + g4.y * e;
      (*acc)[base + 2u * DV] = (*acc)[base + 2u * DV] + g4.z * e;
      (*acc)[base + 3u * DV] = (*acc)[base + 3u * DV] + g4.w * e;
    }
    // The diagonal entries of rows 4 rb .. 4 rb + 3 sit in column block rb, lanes 0 .. 3.
    let inv = family_inv_diag[rb] * entropy_weight;
    let diag = DV + (4u * rb) * DV + rb;
    (*acc)[diag] = (*acc)[diag] + vec4<f32>(inv.x, 0.0, 0.0, 0.0);
    (*acc)[diag + DV] = (*acc)[diag + DV] + vec4<f32>(0.0, inv.y, 0.0, 0.0);
    (*acc)[diag + 2u * DV] = (*acc)[diag + 2u * DV] + vec4<f32>(0.0, 0.0, inv.z, 0.0);
    (*acc)[diag + 3u * DV] = (*acc)[diag + 3u * DV] + vec4<f32>(0.0, 0.0, 0.0, inv.w);
  }
}

fn family_gradient(block: u32, mean_raw: vec4<f32>) -> vec4<f32> {
  if (block < DV) {
    return mean_raw;
  }
  let r = (block - DV) / DV;
  let c = (block - DV) % DV;
  let lanes = family_lanes(c);
  let stored = lambda_block(block);
  let below = select(vec4<f32>(0.0), mean_raw, lanes < vec4<u32>(r));
  // Chain rule through L[r][r] = exp(stored).
  let diagonal = select(vec4<f32>(0.0), mean_raw * exp(stored), lanes == vec4<u32>(r));
  return select(vec4<f32>(0.0), below + diagonal, vec4<bool>(r < D));
}

fn family_entropy() -> f32 {
  return family_log_det + 0.5 * f32(D) * (1.0 + log(6.283185307179586));
}

// The diagonal (stored as logs) must stay within +-40; L's other entries and mu only finite.
fn family_valid(block: u32, value: vec4<f32>) -> bool {
  var limit = vec4<f32>(3.0e38);
  if (block >= DV) {
    let r = (block - DV) / DV;
    let lanes = family_lanes((block - DV) % DV);
    limit = select(limit, vec4<f32>(40.0), lanes == vec4<u32>(r));
  }
  return all(abs(value) <= limit);
}
