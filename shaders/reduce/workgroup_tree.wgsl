// shaders/reduce/workgroup_tree.wgsl — compensated workgroup sums through a shared-memory tree (every adapter).
//
// requires: reduce/compensated
// Contract (same API as reduce/workgroup_subgroups.wgsl; the composer binds one to "reduce/workgroup"):
//   struct ReduceBuiltins { lid: u32 (local_invocation_index) }
//       Take it as an entry-point parameter; the kernel reads its own local index as `ids.lid`.
//   fn workgroup_sum(value: SumPair, ids: ReduceBuiltins) -> SumPair
//       The sum of `value` over every thread of the workgroup, returned to every thread.
//   fn workgroup_sum_slots(values: ptr<function, array<SumPair, REDUCE_V4>>, ids: ReduceBuiltins)
//       Reduces 4 * REDUCE_V4 values per thread at once (REDUCE_V4 vec4 slots), in place.
// Call from every thread of the workgroup in uniform control flow (they contain barriers).
// Order: a fixed binary tree over local indices, so results are bitwise reproducible.
// Constants: WG_SIZE: u32 (a power of two), REDUCE_V4: u32 (>= 1).

struct ReduceBuiltins {
  @builtin(local_invocation_index) lid: u32,
}

var<workgroup> reduce_tree_scratch: array<SumPair, WG_SIZE>;

fn workgroup_sum(value: SumPair, ids: ReduceBuiltins) -> SumPair {
  reduce_tree_scratch[ids.lid] = value;
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride = stride / 2u) {
    if (ids.lid < stride) {
      reduce_tree_scratch[ids.lid] = sum_pair_merge(reduce_tree_scratch[ids.lid], reduce_tree_scratch[ids.lid + stride]);
    }
    workgroupBarrier();
  }
  let total = reduce_tree_scratch[0];
  // The scratch is reused by the next call: nobody may overwrite slot 0 before everyone has read it.
  workgroupBarrier();
  return total;
}

fn workgroup_sum_slots(values: ptr<function, array<SumPair, REDUCE_V4>>, ids: ReduceBuiltins) {
  for (var j = 0u; j < REDUCE_V4; j = j + 1u) {
    (*values)[j] = workgroup_sum((*values)[j], ids);
  }
}
