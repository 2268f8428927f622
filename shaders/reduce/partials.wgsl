// shaders/reduce/partials.wgsl — the second pass of a two-pass sum: per-workgroup partial sums to one total.
//
// requires: reduce/workgroup
// Contract:
//   fn sum_partials_slot(slot: u32, count: u32, ids: ReduceBuiltins) -> SumPair
//       The compensated sum over p in [0, count) of reduce_partial_at(p, slot), returned to every thread.
//       Thread t merges partials t, t + WG_SIZE, t + 2 WG_SIZE, ... in that order, then the workgroup sum
//       (fixed order), so the total is bitwise reproducible for a given count and WG_SIZE.
//   The program must define  fn reduce_partial_at(p: u32, slot: u32) -> SumPair  (it owns the binding).
// Run it with a single workgroup; call from every thread in uniform control flow.
// Constants: WG_SIZE: u32.

fn sum_partials_slot(slot: u32, count: u32, ids: ReduceBuiltins) -> SumPair {
  var acc = sum_pair(vec4<f32>(0.0));
  for (var p = ids.lid; p < count; p = p + WG_SIZE) {
    acc = sum_pair_merge(acc, reduce_partial_at(p, slot));
  }
  return workgroup_sum(acc, ids);
}
