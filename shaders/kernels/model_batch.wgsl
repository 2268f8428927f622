// shaders/kernels/model_batch.wgsl — the batch entry point for a model that evaluates one sample at a time.
//
// requires: model
// Kernels call the batch entry point; a model whose WGSL defines only model_log_joint gets this module in
// its place (the composer's alias "model_batch"), a model that defines model_log_joint_batch itself does not.
//   fn model_log_joint_batch(z, grad, lp)  for p < MODEL_BATCH: lp[p] = model_log_joint(&z[p], &grad[p])
// Constants: DV, MODEL_BATCH (the engine's; 1 for such models). Needs unrestricted_pointer_parameters
// (pointers to array elements as arguments), which WebGPU implementations have had since 2024.

requires unrestricted_pointer_parameters;

fn model_log_joint_batch(
  z: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  grad: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  lp: ptr<function, array<f32, MODEL_BATCH>>,
) {
  // @unroll(p < MODEL_BATCH)
  (*lp)[p] = model_log_joint(&(*z)[p], &(*grad)[p]);
  // @end
}
