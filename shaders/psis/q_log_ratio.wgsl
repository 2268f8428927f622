// shaders/psis/q_log_ratio.wgsl — the PSIS tail program of a fit (bound as "tail_program"): value i is draw i's
// log importance ratio log p(X, z_i) - log q(z_i), recomputed from the counter-based RNG in every pass.
//
// requires: vi/diagnostic_layout, kernels/q_draw
// Tail program contract (shaders/psis/tail_select.wgsl and tail_moments.wgsl):
//   fn tail_setup()                 family_load() from diag_lambda: a snapshot of the fit's lambda, so every
//                                   pass of one diagnosis sees the same q while the fit goes on
//   fn tail_value(i: u32) -> f32    q_log_ratio(q_draw(i, diag_params.stream, ...), diag_params.centre):
//                                   a centre at the largest ratios keeps the tail near 0 (fewer radix
//                                   passes, f32 resolution where it counts); the host adds it back
//   fn tail_reported(i, out)        model_constrain of the z that tail_value(i) has just drawn
// Bindings: @group(1) the model's data; @group(2) DIAGNOSTIC_TAIL_BINDINGS (src/vi/diagnostics/layout.ts):
//   diag_params: DiagnosticParams, diag_lambda: array<vec4<f32>>.
// Constants: the model's (D, DV, R, RV, MODEL_BATCH = 1, ...), the family's, Q_LOG_G_STANDARD_NORMAL.

fn lambda_block(i: u32) -> vec4<f32> {
  return diag_lambda[i];
}

// The last draw tail_value made (tail_reported follows it for the same i).
var<private> q_tail_z: array<vec4<f32>, DV>;

fn tail_setup() {
  family_load();
}

fn tail_value(i: u32) -> f32 {
  var z: array<vec4<f32>, DV>;
  let d = q_draw(i, diag_params.stream, diag_params.key, false, &z);
  q_tail_z = z;
  return q_log_ratio(d, diag_params.centre);
}

fn tail_reported(i: u32, out: ptr<function, array<vec4<f32>, RV>>) {
  var z = q_tail_z;
  model_constrain(&z, out);
}
