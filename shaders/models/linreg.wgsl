// shaders/models/linreg.wgsl — Bayesian linear regression with known noise:
// beta ~ N(0, prior_sd^2 I), y_i ~ N(x_i . beta, sigma^2).
//
// Model contract (src/models/types.ts): model_log_joint, model_constrain. z = beta (D coefficients,
// unconstrained, identity transform, so no log-Jacobian); R = D, reported beta[1..D] = z.
// Bindings (@group(1), in the order of PreparedModel.buffers, laid out by src/models/linreg.ts):
//   0 storage, read  linreg_x: array<vec4<f32>>, LINREG_N * DV: row i of X in linreg_x[i * DV .. i * DV + DV),
//                    zeros in the lanes past D (so whole-vec4 dot products need no masking)
//   1 storage, read  linreg_y: array<f32>, LINREG_N
//   2 storage, read  linreg_params: LinregParams (1 / sigma^2, 1 / prior_sd^2 and the normalising
//                    constants, computed in float64 on the host)
// Constants: D, DV, RV (engine; RV = DV here), LINREG_N (number of rows, so the data loop has a compile-time
// bound). Assumes lanes past D in z are 0, as the contract promises.
//
// The likelihood is evaluated row by row (residuals, not sufficient statistics) on purpose: it is the shape
// every regression-like model has, and its cost is the honest cost of the data.

struct LinregParams {
  inv_sigma2: f32,
  inv_prior_var: f32,
  lp_const: f32,
  pad: f32,
}

@group(1) @binding(0) var<storage, read> linreg_x: array<vec4<f32>>;
@group(1) @binding(1) var<storage, read> linreg_y: array<f32>;
@group(1) @binding(2) var<storage, read> linreg_params: LinregParams;

fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  // X' r and the residual sum of squares; 1 / sigma^2 is applied once at the end, not per row.
  var xtr: array<vec4<f32>, DV>;
  var rss = 0.0;
  for (var i = 0u; i < LINREG_N; i = i + 1u) {
    let row = i * DV;
    var fit = 0.0;
    for (var j = 0u; j < DV; j = j + 1u) {
      fit = fit + dot(linreg_x[row + j], (*z)[j]);
    }
    let r = linreg_y[i] - fit;
    rss = rss + r * r;
    for (var j = 0u; j < DV; j = j + 1u) {
      xtr[j] = xtr[j] + r * linreg_x[row + j];
    }
  }
  let inv_sigma2 = linreg_params.inv_sigma2;
  let inv_prior_var = linreg_params.inv_prior_var;
  var prior_ss = 0.0;
  for (var j = 0u; j < DV; j = j + 1u) {
    let beta = (*z)[j];
    prior_ss = prior_ss + dot(beta, beta);
    (*grad)[j] = inv_sigma2 * xtr[j] - inv_prior_var * beta;
  }
  return linreg_params.lp_const - 0.5 * (inv_sigma2 * rss + inv_prior_var * prior_ss);
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  for (var j = 0u; j < RV; j = j + 1u) {
    (*out)[j] = (*z)[j];
  }
}
