// shaders/kernels/draw_reported.wgsl — draws from q mapped to the model's reported (constrained) values.
//
// requires: rng/philox, family, model
// Entry point: draw_reported, grid-stride over draws i in [0, arrayLength(draws) / RV):
//   eps from philox4x32_10(counter = (i, block, 0xFFFFFFFF, 1), key) — a stream no optimizer step uses —
//   z = T_lambda(eps), model_constrain(z) -> draws[i * RV .. i * RV + RV).
// Bindings (group 0; the model's data are group 1):
//   0 uniform DrawParams { key: vec2<u32> }   1 storage, read lambda   2 storage, read_write draws: array<vec4<f32>>
// Constants: WG_SIZE, D, DV, R, RV, FAMILY_STL, the model's own.

struct DrawParams {
  key: vec2<u32>,
}

@group(0) @binding(0) var<uniform> draw_params: DrawParams;
@group(0) @binding(1) var<storage, read> lambda: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> draws: array<vec4<f32>>;

fn lambda_block(i: u32) -> vec4<f32> {
  return lambda[i];
}

const ACC_V4: u32 = 1u + FAMILY_PV;

@compute @workgroup_size(WG_SIZE)
fn draw_reported(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  family_load();
  let count = arrayLength(&draws) / RV;
  for (var i = gid.x; i < count; i = i + groups.x * WG_SIZE) {
    var eps: array<vec4<f32>, DV>;
    var z: array<vec4<f32>, DV>;
    var reported: array<vec4<f32>, RV>;
    for (var b = 0u; b < DV; b = b + 1u) {
      let lane = vec4<u32>(4u * b) + vec4<u32>(0u, 1u, 2u, 3u);
      let mask = select(vec4<f32>(0.0), vec4<f32>(1.0), lane < vec4<u32>(D));
      eps[b] = philox_normal4(vec4<u32>(i, b, 0xFFFFFFFFu, 1u), draw_params.key) * mask;
    }
    family_sample(&eps, &z);
    model_constrain(&z, &reported);
    for (var j = 0u; j < RV; j = j + 1u) {
      draws[i * RV + j] = reported[j];
    }
  }
}
