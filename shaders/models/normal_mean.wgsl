// shaders/models/normal_mean.wgsl — the tutorial's model: z ~ N(mu0, tau0^2), y_i ~ N(z, sigma^2), sigma known.
//
// Model contract (src/models/types.ts): model_log_joint, model_constrain. D = 1, R = 1 (z, unconstrained).
// Bindings: @group(1) @binding(0) storage, read  NormalMeanData (sufficient statistics, computed in float64
// on the host: ybar = mean(y), ss = sum((y - ybar)^2), so sum((y - z)^2) = ss + n (ybar - z)^2 without the
// cancellation of the raw sums; lp_const holds the normalising constants).
// Constants: DV, RV (engine).

struct NormalMeanData {
  ybar: f32,
  ss: f32,
  n: f32,
  sigma: f32,
  mu0: f32,
  tau0: f32,
  lp_const: f32,
  pad: f32,
}

@group(1) @binding(0) var<storage, read> normal_mean: NormalMeanData;

fn model_log_joint(z: ptr<function, array<vec4<f32>, DV>>, grad: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  let x = (*z)[0].x;
  let prior_dev = (x - normal_mean.mu0) / normal_mean.tau0;
  let mean_dev = normal_mean.ybar - x;
  let inv_var = 1.0 / (normal_mean.sigma * normal_mean.sigma);
  (*grad)[0] = vec4<f32>(-prior_dev / normal_mean.tau0 + normal_mean.n * mean_dev * inv_var, 0.0, 0.0, 0.0);
  return normal_mean.lp_const - 0.5 * prior_dev * prior_dev
    - 0.5 * (normal_mean.ss + normal_mean.n * mean_dev * mean_dev) * inv_var;
}

fn model_constrain(z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, RV>>) {
  (*out)[0] = vec4<f32>((*z)[0].x, 0.0, 0.0, 0.0);
}
