// shaders/kernels/elbo_finalize.wgsl — end of an optimizer step: reduce the partials, form the bound and its
// gradient, hand them to the optimizer (which updates lambda in place, or leaves it alone for a non-finite
// step), write the step's metrics.
//
// requires: vi/layout, reduce/partials, family, objective, optimizer
// Entry point: elbo_finalize, ONE workgroup.
//   totals[j] = fixed-order compensated sum of the partials (bitwise reproducible);
//   (value, mcse, centre, grad_scale) = objective_value(samples, centre);
//   gradient of block b = family_gradient(b, totals[OBJECTIVE_V4 + b] * grad_scale), its norm clipped to
//   settings.clip when that is > 0; a step whose value or gradient is not finite, or that the objective calls
//   unusable, is counted and skipped
//   (the optimizer sees finite = false and must leave lambda untouched).
// Bindings: group 0 generated from src/vi/layout.ts (FINALIZE_BINDINGS: settings, lambda, state, partials,
// optimizer_state, metrics).
// Constants: WG_SIZE, D, DV, REDUCE_V4, the family's, the objective's and the optimizer's.

const ACC_V4: u32 = OBJECTIVE_V4 + FAMILY_PV;

var<workgroup> finalize_totals: array<vec4<f32>, ACC_V4>;
// Set identically by every thread before finalize_gradient is called.
var<private> finalize_grad_scale: f32;
var<private> finalize_clip_scale: f32;

fn lambda_block(i: u32) -> vec4<f32> {
  return lambda[i];
}

fn reduce_partial_at(p: u32, slot: u32) -> SumPair {
  return partials[p * ACC_V4 + slot];
}

// The ascent gradient of lambda block b, scaled and clipped.
fn finalize_gradient(b: u32) -> vec4<f32> {
  return family_gradient(b, finalize_totals[OBJECTIVE_V4 + b] * finalize_grad_scale) * finalize_clip_scale;
}

@compute @workgroup_size(WG_SIZE)
fn elbo_finalize(ids: ReduceBuiltins) {
  family_load();
  for (var j = 0u; j < ACC_V4; j = j + 1u) {
    let total = sum_partials_slot(j, settings.partial_count, ids);
    if (ids.lid == 0u) {
      finalize_totals[j] = sum_pair_value(total);
    }
  }
  workgroupBarrier();

  let step = state.step;
  var value_totals: array<vec4<f32>, OBJECTIVE_V4>;
  for (var j = 0u; j < OBJECTIVE_V4; j = j + 1u) {
    value_totals[j] = workgroupUniformLoad(&finalize_totals[j]);
  }
  let result = objective_value(value_totals, settings.samples, state.centre);
  finalize_grad_scale = result.grad_scale;
  finalize_clip_scale = 1.0;
  var norm_sq = vec4<f32>(0.0);
  for (var b = ids.lid; b < FAMILY_PV; b = b + WG_SIZE) {
    let g = finalize_gradient(b);
    norm_sq = norm_sq + g * g;
  }
  let grad_norm = sqrt(dot(sum_pair_value(workgroup_sum(sum_pair(norm_sq), ids)), vec4<f32>(1.0)));
  let finite = result.usable && elbo_is_finite(result.value) && elbo_is_finite(grad_norm);
  finalize_clip_scale = select(1.0, settings.clip / grad_norm, settings.clip > 0.0 && grad_norm > settings.clip);
  let report = optimizer_update(ids, result.value, finite);

  // Every thread has read state above; only now may it change.
  storageBarrier();
  if (ids.lid == 0u) {
    let skipped = state.skipped + select(1u, 0u, finite);
    var entry: StepMetrics;
    entry.step = step;
    entry.skipped = skipped;
    entry.applied = select(0u, 1u, report.applied);
    entry.value = result.value;
    entry.relative_value = result.relative;
    entry.closed_value = result.closed;
    entry.shift = state.centre;
    entry.mcse = result.mcse;
    entry.grad_norm = grad_norm;
    entry.step_size = report.step_size;
    entry.dropped = u32(result.dropped);
    metrics[step % settings.metrics_ring] = entry;
    state.step = step + 1u;
    state.skipped = skipped;
    // An optimizer on fixed samples keeps the shift the host set (fit-host.ts), so that values at nearby
    // points differ in `relative` at full f32 precision; the others follow the mean.
    if (finite && !OPTIMIZER_FIXED_SAMPLES) {
      state.centre = result.centre;
    }
  }
}
