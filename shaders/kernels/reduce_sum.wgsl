// shaders/kernels/reduce_sum.wgsl — sums of K columns of a row-major f32 matrix, in two passes.
//
// requires: reduce/workgroup, reduce/partials
// Entry points (run reduce_rows, then reduce_partials with ONE workgroup):
//   reduce_rows:     grid-stride over rows; each thread accumulates its rows serially (compensated), the
//                    workgroup sums them (reduce/workgroup), thread 0 writes REDUCE_V4 SumPair partials.
//   reduce_partials: sums the partials of every workgroup in a fixed order into `totals` (REDUCE_V4 vec4s).
// Bindings (group 0):
//   0 uniform ReduceParams { rows, partial_count }  (partial_count = workgroups dispatched by reduce_rows)
//   1 storage, read        values: array<f32>, rows * REDUCE_K, row-major
//   2 storage, read_write  partials: array<SumPair>, partial_count * REDUCE_V4
//   3 storage, read_write  totals: array<vec4<f32>>, REDUCE_V4 (column k is totals[k / 4][k % 4])
// Constants: WG_SIZE: u32, REDUCE_K: u32 (columns), REDUCE_V4: u32 (= ceil(REDUCE_K / 4)).

struct ReduceParams {
  rows: u32,
  partial_count: u32,
}

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<SumPair>;
@group(0) @binding(3) var<storage, read_write> totals: array<vec4<f32>>;

@compute @workgroup_size(WG_SIZE)
fn reduce_rows(ids: ReduceBuiltins, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  var acc: array<SumPair, REDUCE_V4>;
  let stride = groups.x * WG_SIZE;
  for (var row = wg.x * WG_SIZE + ids.lid; row < params.rows; row = row + stride) {
    for (var j = 0u; j < REDUCE_V4; j = j + 1u) {
      var x = vec4<f32>(0.0);
      for (var c = 0u; c < 4u && 4u * j + c < REDUCE_K; c = c + 1u) {
        x[c] = values[row * REDUCE_K + 4u * j + c];
      }
      acc[j] = sum_pair_add(acc[j], x);
    }
  }
  workgroup_sum_slots(&acc, ids);
  if (ids.lid == 0u) {
    for (var j = 0u; j < REDUCE_V4; j = j + 1u) {
      partials[wg.x * REDUCE_V4 + j] = acc[j];
    }
  }
}

fn reduce_partial_at(p: u32, slot: u32) -> SumPair {
  return partials[p * REDUCE_V4 + slot];
}

@compute @workgroup_size(WG_SIZE)
fn reduce_partials(ids: ReduceBuiltins) {
  for (var j = 0u; j < REDUCE_V4; j = j + 1u) {
    let total = sum_partials_slot(j, params.partial_count, ids);
    if (ids.lid == 0u) {
      totals[j] = sum_pair_value(total);
    }
  }
}
