// shaders/kernels/elbo_step.wgsl — one fused Monte Carlo pass of the bound and its gradient.
//
// requires: vi/layout, rng/philox, reduce/workgroup, family, objective, model_batch
// Entry point: elbo_step, dispatched as (workgroups, RESTARTS): workgroup_id.y is the restart r, whose lambda
// starts at block r * RESTART_LAMBDA (every family read goes through lambda_block), whose engine state is
// state[r] and whose partials start at r * RESTART_PARTIALS; the restarts share settings (restart 0's slot:
// samples, seed, partial_count are the same for all). Within a restart, thread slot u (global invocation index) takes the MODEL_BATCH consecutive samples
// s = u * MODEL_BATCH + p, p < MODEL_BATCH, and strides over [0, settings.samples) in rounds of
// num_workgroups * WG_SIZE * MODEL_BATCH:
//   eps_s = normals from philox4x32_10(counter = (s, block, rng step, r), key = settings.seed), one call per
//   vec4 block of the family's noise; z_s = T_lambda(eps_s) (family); lp, grad = the model's log joint at
//   the batch's z (model_log_joint_batch: a batch lets a model share each data load between samples); then
//   the objective adds the batch's samples s < settings.samples to the batch's value accumulators and, via
//   the family, to its lambda-gradient accumulators, which go into the thread's compensated sums (SumPair);
//   a workgroup sum; thread 0 writes ACC_V4 SumPair
//   partials for its workgroup: OBJECTIVE_V4 value blocks, then FAMILY_PV gradient blocks.
// With an objective that reduces groups of OBJECTIVE_GROUP consecutive samples (iw, renyi; MODEL_BATCH divides
// it, settings.samples is a multiple of it), a thread slot takes SLOT_SAMPLES = max(MODEL_BATCH,
// OBJECTIVE_GROUP) consecutive samples, one model batch after another, so each group is one thread's.
// Nothing per sample is written to memory. Which samples a step draws depends only on settings.samples and
// the seed, not on MODEL_BATCH or the workgroup count (only the order of the sums does). The rng step is
// the step counter, or 0 for an optimizer on fixed samples (OPTIMIZER_FIXED_SAMPLES: the same eps every
// step, so the objective is deterministic).
// Bindings: group 0 generated from src/vi/layout.ts (STEP_BINDINGS: settings, lambda, state, partials);
// the model's data are group 1.
// Restart 0 draws exactly what a fit without restarts draws (counter word 3 is 0), so it follows the same
// trajectory; restart r > 0 draws its own independent stream.
// Constants: WG_SIZE, D, DV, MODEL_BATCH, REDUCE_V4, OPTIMIZER_FIXED_SAMPLES, RESTART_LAMBDA, RESTART_PARTIALS,
// the family's, the objective's and the model's own.

requires unrestricted_pointer_parameters;

const ACC_V4: u32 = OBJECTIVE_V4 + FAMILY_PV;
const SLOT_SAMPLES: u32 = max(MODEL_BATCH, OBJECTIVE_GROUP);

// The restart this workgroup fits (workgroup_id.y), set before family_load.
var<private> step_restart: u32;

fn lambda_block(i: u32) -> vec4<f32> {
  return lambda[step_restart * RESTART_LAMBDA + i];
}

@compute @workgroup_size(WG_SIZE)
fn elbo_step(ids: ReduceBuiltins, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  step_restart = wg.y;
  family_load();
  let own = state[wg.y].state;
  let shift = own.centre;
  let rng_step = select(own.step, 0u, OPTIMIZER_FIXED_SAMPLES);
  let partial_base = wg.y * RESTART_PARTIALS + wg.x * ACC_V4;
  // Compensated per-thread sums: on a CPU adapter a thread takes hundreds of samples, and L-BFGS on fixed
  // samples compares values at nearby points, so a plain f32 running sum would lose what it needs.
  var value_sum: array<SumPair, OBJECTIVE_V4>;
  var grad_sum: array<SumPair, FAMILY_PV>;
  let slots = groups.x * WG_SIZE;
  for (var slot = wg.x * WG_SIZE + ids.lid; slot * SLOT_SAMPLES < settings.samples; slot = slot + slots) {
    for (var part = 0u; part < SLOT_SAMPLES / MODEL_BATCH; part = part + 1u) {
      let first = slot * SLOT_SAMPLES + part * MODEL_BATCH;
      if (first >= settings.samples) {
        break;
      }
      var eps: array<array<vec4<f32>, FAMILY_EV>, MODEL_BATCH>;
      var z: array<array<vec4<f32>, DV>, MODEL_BATCH>;
      var g: array<array<vec4<f32>, DV>, MODEL_BATCH>;
      var lp: array<f32, MODEL_BATCH>;
      var logdet: array<f32, MODEL_BATCH>;
      // A loop over the batch stays a loop when MODEL_BATCH > 1 (src/gpu/loop-unroll.ts): its unrolled copies
      // keep every sample's eps and z live across the model's call, and a batched model's hot loop then
      // spills; logistic (N = 1000, D = 10) on SwiftShader ran 15-27 % slower unrolled at 2^10-2^16 samples.
      // @unroll-at-most(1)
      for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
        for (var b = 0u; b < FAMILY_EV; b = b + 1u) {
          eps[p][b] = philox_normal4(vec4<u32>(first + p, b, rng_step, wg.y), settings.seed);
        }
        logdet[p] = family_sample(&eps[p], &z[p]);
      }
      model_log_joint_batch(&z, &g, &lp);
      // Zero at every batch (the composer makes that explicit: src/gpu/wgsl.ts, zeroInitialise).
      var value_acc: array<vec4<f32>, OBJECTIVE_V4>;
      var grad_acc: array<vec4<f32>, FAMILY_PV>;
      objective_accumulate(min(MODEL_BATCH, settings.samples - first), &eps, &z, &g, &lp, &logdet, shift, &value_acc, &grad_acc);
      for (var j = 0u; j < OBJECTIVE_V4; j = j + 1u) {
        value_sum[j] = sum_pair_add(value_sum[j], value_acc[j]);
      }
      for (var j = 0u; j < FAMILY_PV; j = j + 1u) {
        grad_sum[j] = sum_pair_add(grad_sum[j], grad_acc[j]);
      }
    }
  }
  for (var j = 0u; j < OBJECTIVE_V4; j = j + 1u) {
    let total = workgroup_sum(value_sum[j], ids);
    if (ids.lid == 0u) {
      partials[partial_base + j] = total;
    }
  }
  for (var j = 0u; j < FAMILY_PV; j = j + 1u) {
    let total = workgroup_sum(grad_sum[j], ids);
    if (ids.lid == 0u) {
      partials[partial_base + OBJECTIVE_V4 + j] = total;
    }
  }
}
