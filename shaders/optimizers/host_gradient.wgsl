// shaders/optimizers/host_gradient.wgsl — the GPU half of an optimizer the host runs (L-BFGS, src/vi/fit-host.ts):
// it hands the step's gradient back and leaves lambda alone; the host reads it, chooses the next lambda and
// writes it before the next evaluation.
//
// Optimizer contract: see shaders/optimizers/adam.wgsl (optimizer_update, called once per step by every
// thread of the finalize workgroup, gradient through the program's finalize_gradient(b)).
// Here: optimizer_state[b] = finalize_gradient(b) for b < FAMILY_PV (the ascent direction of the bound), read
// back by the host after each submit (hostViewOffset 0). lambda is never written. No settings fields.
// requires: kernels/elbo_interfaces
// Constants: WG_SIZE, FAMILY_PV.

fn optimizer_update(ids: ReduceBuiltins, value: f32, finite: bool) -> OptimizerReport {
  for (var b = ids.lid; b < FAMILY_PV; b = b + WG_SIZE) {
    optimizer_state[b] = finalize_gradient(b);
  }
  return OptimizerReport(finite, 0.0);
}
