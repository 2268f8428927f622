// shaders/families/fullrank.wgsl — the full-rank Gaussian family q(z) = N(z | mu, L L^T), L lower-triangular
// with a log-parameterised (positive) diagonal.
//
// Contract: the same API as families/meanfield.wgsl (FAMILY_PV, family_load, family_sample,
// family_accumulate, family_entropy, family_finalize_grad); see there.
// lambda layout: blocks [0, DV) hold mu; then 4 DV rows of L, each DV blocks: row r, block c at
// DV + r DV + c. Row r holds L[r][0..r-1] below the diagonal and log L[r][r] on it; entries above the
// diagonal and rows past D are unused and kept 0 (their gradients are masked to 0 in family_finalize_grad).
// Per sample the raw gradient is the full outer product g eps^T; the masks and the chain rule through exp
// on the diagonal are linear, so they are applied once to the mean in family_finalize_grad.
// STL needs d/dz log q(z) = -L^-T eps, solved per sample by back substitution (O(D^2)).
// The program must define  fn lambda_block(i: u32) -> vec4<f32>.
// Constants: D, DV (engine), FAMILY_STL: bool.

const FAMILY_ROWS: u32 = 4u * DV;
const FAMILY_PV: u32 = DV + FAMILY_ROWS * DV;

var<private> family_mu: array<vec4<f32>, DV>;
// L with exp applied on the diagonal and zeros above it and past D.
var<private> family_l: array<vec4<f32>, FAMILY_ROWS * DV>;

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
}

fn family_sample(eps: ptr<function, array<vec4<f32>, DV>>, z: ptr<function, array<vec4<f32>, DV>>) {
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
}

fn family_l_entry(r: u32, c: u32) -> f32 {
  return family_l[r * DV + c / 4u][c % 4u];
}

// -d/dz log q(z) = L^-T eps: solve L^T u = eps by back substitution.
fn family_score_correction(eps: ptr<function, array<vec4<f32>, DV>>) -> array<vec4<f32>, DV> {
  var u: array<vec4<f32>, DV>;
  for (var k = 0u; k < D; k = k + 1u) {
    let r = D - 1u - k;
    var s = (*eps)[r / 4u][r % 4u];
    for (var j = r + 1u; j < D; j = j + 1u) {
      s = s - family_l_entry(j, r) * u[j / 4u][j % 4u];
    }
    u[r / 4u][r % 4u] = s / family_l_entry(r, r);
  }
  return u;
}

fn family_accumulate(
  eps: ptr<function, array<vec4<f32>, DV>>,
  z: ptr<function, array<vec4<f32>, DV>>,
  g: ptr<function, array<vec4<f32>, DV>>,
  acc: ptr<function, array<vec4<f32>, ACC_V4>>,
) {
  var grad = *g;
  if (FAMILY_STL) {
    let correction = family_score_correction(eps);
    for (var b = 0u; b < DV; b = b + 1u) {
      grad[b] = grad[b] + correction[b];
    }
  }
  for (var rb = 0u; rb < DV; rb = rb + 1u) {
    (*acc)[1u + rb] = (*acc)[1u + rb] + grad[rb];
    let g4 = grad[rb];
    for (var c = 0u; c < DV; c = c + 1u) {
      let e = (*eps)[c];
      let base = 1u + DV + (4u * rb) * DV + c;
      (*acc)[base] = (*acc)[base] + g4.x * e;
      (*acc)[base + DV] = (*acc)[base + DV] + g4.y * e;
      (*acc)[base + 2u * DV] = (*acc)[base + 2u * DV] + g4.z * e;
      (*acc)[base + 3u * DV] = (*acc)[base + 3u * DV] + g4.w * e;
    }
  }
}

fn family_entropy() -> f32 {
  var sum_log_diag = 0.0;
  for (var r = 0u; r < D; r = r + 1u) {
    sum_log_diag = sum_log_diag + lambda_block(DV + r * DV + r / 4u)[r % 4u];
  }
  return sum_log_diag + 0.5 * f32(D) * (1.0 + log(6.283185307179586));
}

fn family_finalize_grad(block: u32, mean_raw: vec4<f32>) -> vec4<f32> {
  if (block < DV) {
    return mean_raw;
  }
  let r = (block - DV) / DV;
  let c = (block - DV) % DV;
  let lanes = family_lanes(c);
  let stored = lambda_block(block);
  let below = select(vec4<f32>(0.0), mean_raw, lanes < vec4<u32>(r));
  // Chain rule through L[r][r] = exp(stored); plus dH/dlog L[r][r] = 1 unless STL.
  let entropy = select(1.0, 0.0, FAMILY_STL);
  let diagonal = select(vec4<f32>(0.0), mean_raw * exp(stored) + entropy, lanes == vec4<u32>(r));
  return select(vec4<f32>(0.0), below + diagonal, vec4<bool>(r < D));
}
