// shaders/kernels/draw_densities.wgsl — draws from q with their log densities: the Stan CSV's rows (log_p__,
// log_g__, the constrained values), and the diagnostic's log ratios read back for checks.
//
// requires: vi/diagnostic_layout, kernels/q_draw
// Entry point: draw_densities, grid-stride over draws i in [0, diag_params.count):
//   d = q_draw(i, diag_params.stream, diag_params.key, diag_params.zero_noise == 1, z) (shaders/kernels/q_draw.wgsl:
//   stream 1 gives draw_reported's draws, 2 the PSIS diagnostic's); model_constrain(z) -> draws[i * RV ..
//   i * RV + RV); densities[i] = (log_p, log_g, log_q, q_log_ratio(d, diag_params.centre)).
// Bindings: group 0 generated from src/vi/diagnostics/layout.ts (DENSITY_BINDINGS: diag_params, diag_lambda,
// draws, densities); the model's data are group 1.
// Constants: WG_SIZE, D, DV, R, RV, MODEL_BATCH = 1, Q_LOG_G_STANDARD_NORMAL, the family's and the model's own.

fn lambda_block(i: u32) -> vec4<f32> {
  return diag_lambda[i];
}

@compute @workgroup_size(WG_SIZE)
fn draw_densities(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  family_load();
  for (var i = gid.x; i < diag_params.count; i = i + groups.x * WG_SIZE) {
    var z: array<vec4<f32>, DV>;
    let d = q_draw(i, diag_params.stream, diag_params.key, diag_params.zero_noise == 1u, &z);
    var reported: array<vec4<f32>, RV>;
    model_constrain(&z, &reported);
    for (var j = 0u; j < RV; j = j + 1u) {
      draws[i * RV + j] = reported[j];
    }
    densities[i] = vec4<f32>(d.log_p, d.log_g, d.log_q, q_log_ratio(d, diag_params.centre));
  }
}
