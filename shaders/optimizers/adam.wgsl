// shaders/optimizers/adam.wgsl — Adam (Kingma & Ba 2015) on lambda, in the finalize pass, ascending the bound.
//
// Optimizer contract (every module bound to "optimizer" supplies it; src/vi/optimizers/types.ts describes it):
//   fn optimizer_update(ids: ReduceBuiltins, value: f32, finite: bool) -> OptimizerReport
//       Called once per step by every thread of the finalize workgroup, in uniform control flow, after the
//       step's gradient is known. Reads it block by block through the program's
//       finalize_gradient(b: u32) -> vec4<f32> (b < FAMILY_PV; the ascent direction, already clipped),
//       updates `lambda` in place unless `finite` is false (a bad step must not poison lambda), and keeps
//       its own state in `optimizer_state`. `finite` may be non-uniform to WGSL's analysis: never put a
//       barrier under a branch on it.
// Here: optimizer_state[0] = (t, 0, 0, 0) with t the steps applied (the bias-correction exponent);
// [1, 1 + FAMILY_PV) the first moment m; [1 + FAMILY_PV, 1 + 2 FAMILY_PV) the second moment v.
// Settings fields (generated from src/vi/optimizers/adam.ts): lr, beta1, beta2, epsilon.
// Bindings used: settings, lambda (read_write), optimizer_state (read_write).
// requires: kernels/elbo_interfaces
// Constants: WG_SIZE, FAMILY_PV.

fn optimizer_update(ids: ReduceBuiltins, value: f32, finite: bool) -> OptimizerReport {
  let t = optimizer_state[0].x + 1.0;
  let bias1 = 1.0 - pow(settings.beta1, t);
  let bias2 = 1.0 - pow(settings.beta2, t);
  if (finite) {
    for (var b = ids.lid; b < FAMILY_PV; b = b + WG_SIZE) {
      let g = finalize_gradient(b);
      let m = settings.beta1 * optimizer_state[1u + b] + (1.0 - settings.beta1) * g;
      let v = settings.beta2 * optimizer_state[1u + FAMILY_PV + b] + (1.0 - settings.beta2) * g * g;
      optimizer_state[1u + b] = m;
      optimizer_state[1u + FAMILY_PV + b] = v;
      lambda[b] = lambda[b] + settings.lr * (m / bias1) / (sqrt(v / bias2) + settings.epsilon);
    }
  }
  // Every thread has read t above; only now may it change.
  storageBarrier();
  if (ids.lid == 0u && finite) {
    optimizer_state[0].x = t;
  }
  return OptimizerReport(finite, settings.lr);
}
