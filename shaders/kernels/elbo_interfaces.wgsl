// shaders/kernels/elbo_interfaces.wgsl — the values the ELBO kernels' seams hand each other.
//
// ObjectiveValue (objective_value -> the finalize pass):
//   value       the step's estimate of the bound being maximised (the ELBO for the KL objective)
//   relative    the Monte Carlo part of value minus the shift, computed without passing through the shift
//   closed      the closed-form part of value (the entropy, where the family has one): value is
//               shift + relative + closed, and the host adds them in float64 (with its own float64 entropy
//               where it has one), so nearby points keep differences far below the f32 rounding of value
//   mcse        its Monte Carlo standard error
//   centre      the shift for the next step's centred sums (the mean per-sample value)
//   grad_scale  multiplies the summed raw lambda-gradient (1 / samples for a plain mean)
//   dropped     samples the estimate left out (their log density or its gradient was not finite; KL only)
//   usable      false when too few samples were kept for the estimate to mean anything: the step is skipped
// OptimizerReport (optimizer_update -> the finalize pass):
//   applied     lambda was changed by this step
//   step_size   the step size the optimizer used (Adam: its learning rate), written to the metrics
// fn elbo_is_finite(x: f32) -> bool, fn elbo_all_finite(x: vec4<f32>) -> bool: the finiteness test the
// finalize pass (is the step usable?) and the KL objective (is the sample kept?) share.
// Bindings: none. Constants: none.

struct ObjectiveValue {
  value: f32,
  relative: f32,
  closed: f32,
  mcse: f32,
  centre: f32,
  grad_scale: f32,
  dropped: f32,
  usable: bool,
}

fn elbo_is_finite(x: f32) -> bool {
  // NaN fails every comparison; Inf exceeds the largest f32.
  return abs(x) <= 3.4028234e38;
}

fn elbo_all_finite(x: vec4<f32>) -> bool {
  return all(abs(x) <= vec4<f32>(3.4028234e38));
}

struct OptimizerReport {
  applied: bool,
  step_size: f32,
}
