// shaders/kernels/elbo_interfaces.wgsl — the values the ELBO kernels' seams hand each other.
//
// ObjectiveValue (objective_value -> the finalize pass):
//   value       the step's estimate of the bound being maximised (the ELBO for the KL objective)
//   relative    value minus the shift, computed without passing through the shift (so an f32 value far
//               from 0 keeps its small differences: the host adds the shift back in float64)
//   mcse        its Monte Carlo standard error
//   centre      the shift for the next step's centred sums (the mean per-sample value)
//   grad_scale  multiplies the summed raw lambda-gradient (1 / samples for a plain mean)
// OptimizerReport (optimizer_update -> the finalize pass):
//   applied     lambda was changed by this step
//   step_size   the step size the optimizer used (Adam: its learning rate), written to the metrics
// Bindings: none. Constants: none.

struct ObjectiveValue {
  value: f32,
  relative: f32,
  mcse: f32,
  centre: f32,
  grad_scale: f32,
}

struct OptimizerReport {
  applied: bool,
  step_size: f32,
}
