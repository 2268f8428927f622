// shaders/kernels/model_eval.wgsl — evaluate a model's log joint, gradient and reported values at given points
// (for checking a model against a float64 reference, and for the host to look at single points).
//
// requires: model, model_batch
// Entry point: model_eval, MODEL_BATCH points per thread (points first + p for p < MODEL_BATCH, grid-stride),
// through the model's batch entry point (points past the end are evaluated at z = 0 and not written).
// Bindings (group 0; the model's data are group 1):
//   0 storage, read        eval_points: array<vec4<f32>>, count * DV   (unconstrained z, lanes past D are 0)
//   1 storage, read_write  eval_out: array<vec4<f32>>, count * (1 + DV): (lp, 0, 0, 0), then grad
//   2 storage, read_write  eval_reported: array<vec4<f32>>, count * RV
// Constants: WG_SIZE, DV, RV, MODEL_BATCH.

requires unrestricted_pointer_parameters;

@group(0) @binding(0) var<storage, read> eval_points: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> eval_out: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> eval_reported: array<vec4<f32>>;

@compute @workgroup_size(WG_SIZE)
fn model_eval(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let count = arrayLength(&eval_points) / DV;
  let round = groups.x * WG_SIZE * MODEL_BATCH;
  for (var first = gid.x * MODEL_BATCH; first < count; first = first + round) {
    var z: array<array<vec4<f32>, DV>, MODEL_BATCH>;
    var grad: array<array<vec4<f32>, DV>, MODEL_BATCH>;
    var lp: array<f32, MODEL_BATCH>;
    for (var p = 0u; p < MODEL_BATCH && first + p < count; p = p + 1u) {
      for (var j = 0u; j < DV; j = j + 1u) {
        z[p][j] = eval_points[(first + p) * DV + j];
      }
    }
    model_log_joint_batch(&z, &grad, &lp);
    for (var p = 0u; p < MODEL_BATCH && first + p < count; p = p + 1u) {
      let i = first + p;
      var reported: array<vec4<f32>, RV>;
      model_constrain(&z[p], &reported);
      eval_out[i * (1u + DV)] = vec4<f32>(lp[p], 0.0, 0.0, 0.0);
      for (var j = 0u; j < DV; j = j + 1u) {
        eval_out[i * (1u + DV) + 1u + j] = grad[p][j];
      }
      for (var j = 0u; j < RV; j = j + 1u) {
        eval_reported[i * RV + j] = reported[j];
      }
    }
  }
}
