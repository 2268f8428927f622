// shaders/kernels/elbo_step.wgsl — one fused Monte Carlo pass of the ELBO and its gradient.
//
// requires: kernels/elbo_settings, rng/philox, reduce/workgroup, family, model_batch
// Entry point: elbo_step. Each thread takes MODEL_BATCH samples at a time, s = first + p * WG_SIZE for
// p < MODEL_BATCH, and strides over [0, settings.samples) in rounds of num_workgroups * WG_SIZE * MODEL_BATCH:
//   eps_s = normals from philox4x32_10(counter = (s, block, step, 0), key = settings.seed), one call per vec4
//   block of the latent, lanes past D zeroed; z_s = T_lambda(eps_s) (family); lp, grad = the model's log
//   joint at the batch's z (model_log_joint_batch: a batch lets a model share each data load between
//   samples); then, for the samples s < settings.samples, accumulate (lp - shift, (lp - shift)^2) and the
//   family's d/dlambda terms per thread, then a workgroup sum; thread 0 writes ACC_V4 SumPair partials for
//   its workgroup. Nothing per sample is written to memory. Which samples a step draws depends only on
//   settings.samples and the seed, not on MODEL_BATCH or the workgroup count (only the order of the sums does).
//   `shift` is the previous step's mean log joint: it keeps the f32 sums of squares (for the Monte Carlo
//   standard error) free of cancellation.
// Bindings (group 0; the model's data are group 1):
//   0 uniform  Settings (see kernels/elbo_settings)     1 storage, read  lambda: array<vec4<f32>>, FAMILY_PV
//   2 storage, read  state: EngineState                 3 storage, read_write  partials: array<SumPair>
// Constants: WG_SIZE, D, DV, MODEL_BATCH, REDUCE_V4, FAMILY_STL, the model's own (ACC_V4 = 1 + FAMILY_PV).

requires unrestricted_pointer_parameters;

@group(0) @binding(0) var<uniform> settings: Settings;
@group(0) @binding(1) var<storage, read> lambda: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> state: EngineState;
@group(0) @binding(3) var<storage, read_write> partials: array<SumPair>;

fn lambda_block(i: u32) -> vec4<f32> {
  return lambda[i];
}

fn latent_lane_mask(block: u32) -> vec4<f32> {
  let lane = vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), lane < vec4<u32>(D));
}

// eps and z for sample s of this step.
fn draw_latent(s: u32, step: u32, eps: ptr<function, array<vec4<f32>, DV>>, z: ptr<function, array<vec4<f32>, DV>>) {
  for (var b = 0u; b < DV; b = b + 1u) {
    (*eps)[b] = philox_normal4(vec4<u32>(s, b, step, 0u), settings.seed) * latent_lane_mask(b);
  }
  family_sample(eps, z);
}

// Adds sample s's terms to the thread's sums, unless s is past settings.samples (a batch's last samples
// may be: drawn and evaluated, never counted). centred = lp - shift.
fn accumulate_sample(
  s: u32,
  centred: f32,
  eps: ptr<function, array<vec4<f32>, DV>>,
  z: ptr<function, array<vec4<f32>, DV>>,
  g: ptr<function, array<vec4<f32>, DV>>,
  acc: ptr<function, array<vec4<f32>, ACC_V4>>,
) {
  if (s < settings.samples) {
    (*acc)[0] = (*acc)[0] + vec4<f32>(centred, centred * centred, 0.0, 0.0);
    family_accumulate(eps, z, g, acc);
  }
}

@compute @workgroup_size(WG_SIZE)
fn elbo_step(ids: ReduceBuiltins, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  family_load();
  let shift = state.lp_shift;
  let step = state.step;
  var acc: array<vec4<f32>, ACC_V4>;
  let round = groups.x * WG_SIZE * MODEL_BATCH;
  for (var first = wg.x * WG_SIZE * MODEL_BATCH + ids.lid; first < settings.samples; first = first + round) {
    var eps: array<array<vec4<f32>, DV>, MODEL_BATCH>;
    var z: array<array<vec4<f32>, DV>, MODEL_BATCH>;
    var g: array<array<vec4<f32>, DV>, MODEL_BATCH>;
    var lp: array<f32, MODEL_BATCH>;
    for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
      draw_latent(first + p * WG_SIZE, step, &eps[p], &z[p]);
    }
    model_log_joint_batch(&z, &g, &lp);
    for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
      accumulate_sample(first + p * WG_SIZE, lp[p] - shift, &eps[p], &z[p], &g[p], &acc);
    }
  }
  for (var j = 0u; j < ACC_V4; j = j + 1u) {
    let total = workgroup_sum(sum_pair(acc[j]), ids);
    if (ids.lid == 0u) {
      partials[wg.x * ACC_V4 + j] = total;
    }
  }
}
