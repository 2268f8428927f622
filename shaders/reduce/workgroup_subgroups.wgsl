// shaders/reduce/workgroup_subgroups.wgsl — compensated workgroup sums with subgroup shuffles (needs the
// `subgroups` device feature and the `subgroup_id` WGSL language feature).
//
// requires: reduce/compensated
// Contract (same API as reduce/workgroup_tree.wgsl; the composer binds one to "reduce/workgroup"):
//   struct ReduceBuiltins { lid, lane, lanes (subgroup_size), subgroup (subgroup_id), subgroups (num_subgroups) }
//   fn workgroup_sum(value: SumPair, ids: ReduceBuiltins) -> SumPair
//   fn workgroup_sum_slots(values: ptr<function, array<SumPair, REDUCE_V4>>, ids: ReduceBuiltins)
// Call from every thread in uniform control flow. Within a subgroup, a butterfly of subgroupShuffleXor
// merges pairs (the merge is commutative bit for bit, so every lane ends with the same total); every thread
// then merges the per-subgroup totals in subgroup order. Results are bitwise reproducible on an adapter,
// with two barriers per call instead of 2 + log2(WG_SIZE). subgroupAdd is not used because it cannot carry
// the compensation term.
// Constants: WG_SIZE: u32, REDUCE_V4: u32 (>= 1).

enable subgroups;
requires subgroup_id;
// The butterfly's bound is subgroup_size, uniform by definition; reaching it through the ReduceBuiltins
// parameter hides that from the uniformity analysis, so its subgroup diagnostic is turned off.
diagnostic(off, subgroup_uniformity);

struct ReduceBuiltins {
  @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) lanes: u32,
  @builtin(subgroup_id) subgroup: u32,
  @builtin(num_subgroups) subgroups: u32,
}

// One slot per subgroup; a workgroup never has more subgroups than threads.
var<workgroup> reduce_subgroup_totals: array<SumPair, WG_SIZE>;

fn workgroup_sum(value: SumPair, ids: ReduceBuiltins) -> SumPair {
  var mine = value;
  for (var mask = 1u; mask < ids.lanes; mask = mask * 2u) {
    let other = SumPair(subgroupShuffleXor(mine.hi, mask), subgroupShuffleXor(mine.lo, mask));
    mine = sum_pair_merge(mine, other);
  }
  if (ids.lane == 0u) {
    reduce_subgroup_totals[ids.subgroup] = mine;
  }
  workgroupBarrier();
  var total = reduce_subgroup_totals[0];
  for (var s = 1u; s < ids.subgroups; s = s + 1u) {
    total = sum_pair_merge(total, reduce_subgroup_totals[s]);
  }
  workgroupBarrier();
  return total;
}

fn workgroup_sum_slots(values: ptr<function, array<SumPair, REDUCE_V4>>, ids: ReduceBuiltins) {
  for (var j = 0u; j < REDUCE_V4; j = j + 1u) {
    (*values)[j] = workgroup_sum((*values)[j], ids);
  }
}
