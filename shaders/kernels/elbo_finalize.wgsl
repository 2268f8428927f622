// shaders/kernels/elbo_finalize.wgsl — end of an optimizer step: reduce the partials, form the ELBO and its
// gradient, apply Adam to lambda in place (or skip a non-finite step), write the step's metrics.
//
// requires: kernels/elbo_settings, reduce/partials, family
// Entry point: elbo_finalize, ONE workgroup.
//   totals[j] = fixed-order compensated sum of the partials (bitwise reproducible);
//   ELBO = shift + mean(lp - shift) + H[q]; MCSE = sd(lp) / sqrt(samples);
//   gradient = family_finalize_grad(block, totals / samples); optional clipping of its norm to settings.clip;
//   a step whose ELBO or gradient is not finite leaves lambda and Adam's moments untouched and is counted.
// Bindings (group 0):
//   0 uniform Settings      1 storage, read_write lambda     2 storage, read_write state: EngineState
//   3 storage, read partials: array<SumPair>                 4 storage, read_write adam: array<vec4<f32>>, 2 FAMILY_PV (m, then v)
//   5 storage, read_write metrics: array<vec4<f32>>, 2 per ring entry
// Constants: WG_SIZE, D, DV, REDUCE_V4, FAMILY_STL.

@group(0) @binding(0) var<uniform> settings: Settings;
@group(0) @binding(1) var<storage, read_write> lambda: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> state: EngineState;
@group(0) @binding(3) var<storage, read> partials: array<SumPair>;
@group(0) @binding(4) var<storage, read_write> adam: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> metrics: array<vec4<f32>>;

var<workgroup> finalize_totals: array<vec4<f32>, ACC_V4>;

fn lambda_block(i: u32) -> vec4<f32> {
  return lambda[i];
}

fn reduce_partial_at(p: u32, slot: u32) -> SumPair {
  return partials[p * ACC_V4 + slot];
}

fn is_finite(x: f32) -> bool {
  // NaN fails every comparison; Inf exceeds the largest f32.
  return abs(x) <= 3.4028234e38;
}

@compute @workgroup_size(WG_SIZE)
fn elbo_finalize(ids: ReduceBuiltins) {
  for (var j = 0u; j < ACC_V4; j = j + 1u) {
    let total = sum_partials_slot(j, settings.partial_count, ids);
    if (ids.lid == 0u) {
      finalize_totals[j] = sum_pair_value(total);
    }
  }
  workgroupBarrier();

  let n = f32(settings.samples);
  let stats = workgroupUniformLoad(&finalize_totals[0]);
  let centred_mean = stats.x / n;
  let variance = max(stats.y / n - centred_mean * centred_mean, 0.0);
  let shift = state.lp_shift;
  let mean_lp = shift + centred_mean;
  let entropy = family_entropy();
  let elbo = mean_lp + entropy;
  let mcse = sqrt(variance / max(n - 1.0, 1.0));

  var norm_sq = vec4<f32>(0.0);
  for (var b = ids.lid; b < FAMILY_PV; b = b + WG_SIZE) {
    let g = family_finalize_grad(b, finalize_totals[1u + b] / n);
    norm_sq = norm_sq + g * g;
  }
  let grad_norm = sqrt(sum_pair_value(workgroup_sum(sum_pair(norm_sq), ids)).x + 0.0);
  let grad_norm_total = grad_norm;
  let finite = is_finite(elbo) && is_finite(grad_norm_total);
  let scale = select(1.0, settings.clip / grad_norm_total, settings.clip > 0.0 && grad_norm_total > settings.clip);
  let t = f32(state.adam_t + 1u);
  let bias1 = 1.0 - pow(settings.beta1, t);
  let bias2 = 1.0 - pow(settings.beta2, t);
  if (finite) {
    for (var b = ids.lid; b < FAMILY_PV; b = b + WG_SIZE) {
      let g = family_finalize_grad(b, finalize_totals[1u + b] / n) * scale;
      let m = settings.beta1 * adam[b] + (1.0 - settings.beta1) * g;
      let v = settings.beta2 * adam[FAMILY_PV + b] + (1.0 - settings.beta2) * g * g;
      adam[b] = m;
      adam[FAMILY_PV + b] = v;
      // Ascent: the ELBO is maximised.
      lambda[b] = lambda[b] + settings.lr * (m / bias1) / (sqrt(v / bias2) + settings.epsilon);
    }
  }
  // Everyone has read state above; only now may it change.
  workgroupBarrier();
  if (ids.lid == 0u) {
    let step = state.step;
    let slot = 2u * (step % settings.metrics_ring);
    let skipped = state.skipped + select(1u, 0u, finite);
    metrics[slot] = vec4<f32>(f32(step), elbo, mcse, grad_norm_total);
    metrics[slot + 1u] = vec4<f32>(f32(skipped), select(0.0, 1.0, finite), mean_lp, entropy);
    state.step = step + 1u;
    state.skipped = skipped;
    if (finite) {
      state.adam_t = state.adam_t + 1u;
      state.lp_shift = mean_lp;
    }
  }
}
