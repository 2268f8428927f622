// shaders/kernels/draw_reported.wgsl — draws from q mapped to the model's reported (constrained) values.
//
// requires: vi/layout, rng/philox, family, model
// Entry point: draw_reported, grid-stride over draws i in [0, arrayLength(draws) / RV):
//   eps from philox4x32_10(counter = (i, block, 0xFFFFFFFF, 1), key) — a stream no optimizer step uses —
//   z = T_lambda(eps), model_constrain(z) -> draws[i * RV .. i * RV + RV).
// Bindings: group 0 generated from src/vi/layout.ts (DRAW_BINDINGS: draw_params, lambda, draws); the
// model's data are group 1.
// Constants: WG_SIZE, D, DV, R, RV, the family's and the model's own.

fn lambda_block(i: u32) -> vec4<f32> {
  return lambda[i];
}

@compute @workgroup_size(WG_SIZE)
fn draw_reported(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  family_load();
  let count = arrayLength(&draws) / RV;
  for (var i = gid.x; i < count; i = i + groups.x * WG_SIZE) {
    var eps: array<vec4<f32>, FAMILY_EV>;
    var z: array<vec4<f32>, DV>;
    var reported: array<vec4<f32>, RV>;
    for (var b = 0u; b < FAMILY_EV; b = b + 1u) {
      eps[b] = philox_normal4(vec4<u32>(i, b, 0xFFFFFFFFu, 1u), draw_params.key);
    }
    family_sample(&eps, &z);
    model_constrain(&z, &reported);
    for (var j = 0u; j < RV; j = j + 1u) {
      draws[i * RV + j] = reported[j];
    }
  }
}
