// shaders/kernels/model_eval.wgsl — evaluate a model's log joint, gradient and reported values at given points
// (for checking a model against a float64 reference, and for the host to look at single points).
//
// requires: model
// Entry point: model_eval, one thread per point (grid-stride).
// Bindings (group 0; the model's data are group 1):
//   0 storage, read        eval_points: array<vec4<f32>>, count * DV   (unconstrained z, lanes past D are 0)
//   1 storage, read_write  eval_out: array<vec4<f32>>, count * (1 + DV): (lp, 0, 0, 0), then grad
//   2 storage, read_write  eval_reported: array<vec4<f32>>, count * RV
// Constants: WG_SIZE, DV, RV.

@group(0) @binding(0) var<storage, read> eval_points: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> eval_out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> eval_reported: array<vec4<f32>>;

@compute @workgroup_size(WG_SIZE)
fn model_eval(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let count = arrayLength(&eval_points) / DV;
  for (var i = gid.x; i < count; i = i + groups.x * WG_SIZE) {
    var z: array<vec4<f32>, DV>;
    var grad: array<vec4<f32>, DV>;
    var reported: array<vec4<f32>, RV>;
    for (var j = 0u; j < DV; j = j + 1u) {
      z[j] = eval_points[i * DV + j];
    }
    let lp = model_log_joint(&z, &grad);
    model_constrain(&z, &reported);
    eval_out[i * (1u + DV)] = vec4<f32>(lp, 0.0, 0.0, 0.0);
    for (var j = 0u; j < DV; j = j + 1u) {
      eval_out[i * (1u + DV) + 1u + j] = grad[j];
    }
    for (var j = 0u; j < RV; j = j + 1u) {
      eval_reported[i * RV + j] = reported[j];
    }
  }
}
