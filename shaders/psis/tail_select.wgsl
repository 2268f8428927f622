// shaders/psis/tail_select.wgsl — the largest of S values that a program recomputes on demand, found by an
// exact radix select without storing the S values; plus the max and compensated sums of exp(v - max).
//
// requires: reduce/workgroup, reduce/partials, psis/tail_keys, tail_program
// The program (module "tail_program") defines:
//   fn tail_setup()                 called once per thread before its grid-stride loop (e.g. load lambda)
//   fn tail_value(i: u32) -> f32    value i of S, for i in [0, S); the same i must give the same bits in every
//                                   pass (it is recomputed once per pass). NaN and +inf count as invalid and
//                                   -inf as weight 0: both are ranked as -inf, -0 as +0.
//   its own bindings at @group(1) and up.
// Entry points (host driver: src/gpu/tail-select.ts, planner: src/gpu/radix-select.ts):
//   tail_select, mode 0 (histogram): for every i whose compound key (order key of the value, i) matches the
//       prefix, count its digit (key or i >> digit_shift & digit_mask) in a workgroup histogram, merged into
//       `histogram` (clear it first). With first_pass = 1 it also folds the largest finite order key into
//       state.max_key and counts invalid and -inf values (clear state first).
//   tail_select, mode 1 (compact): every i with (key, i) >= (edge_value, edge_index) is appended to
//       `candidates` as (sanitised f32 bits, i) (state.candidates counts them, writes stop at `capacity`);
//       every other finite value adds (e, e^2), e = exp(v - max), max from state.max_key, to a compensated
//       per-thread sum; each workgroup writes its sum to partials[workgroup].
//   tail_sum_partials (ONE workgroup): totals[0] = the fixed-order sum of partials[0 .. partial_count).
// Bindings (group 0):
//   0 uniform TailParams   1 storage rw TailState   2 storage rw histogram: array<atomic<u32>, TAIL_BINS>
//   3 storage rw candidates: array<vec2<u32>>   4 storage rw partials: array<SumPair>
//   5 storage rw totals: array<SumPair> (1; .hi.x + .lo.x = sum of e, .hi.y + .lo.y = sum of e^2)
// Constants: WG_SIZE: u32 (power of two), REDUCE_V4: u32 = 1, TAIL_BINS: u32 (2048), and the program's.

struct TailParams {
  count: u32,
  mode: u32,
  first_pass: u32,
  capacity: u32,
  prefix_value: u32,
  prefix_value_mask: u32,
  prefix_index: u32,
  prefix_index_mask: u32,
  digit_source: u32,
  digit_shift: u32,
  digit_mask: u32,
  partial_count: u32,
  edge_value: u32,
  edge_index: u32,
  pad0: u32,
  pad1: u32,
}

struct TailState {
  max_key: atomic<u32>,
  invalid: atomic<u32>,
  neg_inf: atomic<u32>,
  candidates: atomic<u32>,
}

@group(0) @binding(0) var<uniform> tail_params: TailParams;
@group(0) @binding(1) var<storage, read_write> tail_state: TailState;
@group(0) @binding(2) var<storage, read_write> tail_histogram: array<atomic<u32>, TAIL_BINS>;
@group(0) @binding(3) var<storage, read_write> tail_candidates: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> tail_partials: array<SumPair>;
@group(0) @binding(5) var<storage, read_write> tail_totals: array<SumPair>;

// Workgroup memory is zero-initialised at dispatch (WGSL guarantees it).
var<workgroup> tail_local_histogram: array<atomic<u32>, TAIL_BINS>;
var<workgroup> tail_local_max: atomic<u32>;
var<workgroup> tail_local_invalid: atomic<u32>;
var<workgroup> tail_local_neg_inf: atomic<u32>;

@compute @workgroup_size(WG_SIZE)
fn tail_select(ids: ReduceBuiltins, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  tail_setup();
  let compact = tail_params.mode == 1u;
  let stride = groups.x * WG_SIZE;
  // Only read in compact mode, after a first pass has set it.
  let max_value = tail_key_value(atomicLoad(&tail_state.max_key));
  var thread_max = 0u;
  var invalid = 0u;
  var neg_inf = 0u;
  var sums = sum_pair(vec4<f32>(0.0));
  // Values cluster in few bins, and atomics on one address serialise (badly on CPU adapters): each thread
  // adds runs of equal bins at once.
  var run_bin = 0u;
  var run_count = 0u;
  for (var i = wg.x * WG_SIZE + ids.lid; i < tail_params.count; i = i + stride) {
    let raw = bitcast<u32>(tail_value(i));
    let bad = tail_bits_invalid(raw);
    let bits = tail_sanitized_bits(raw);
    let key = tail_order_key(bits);
    if (compact) {
      let at_or_above = key > tail_params.edge_value || (key == tail_params.edge_value && i >= tail_params.edge_index);
      if (at_or_above) {
        let slot = atomicAdd(&tail_state.candidates, 1u);
        if (slot < tail_params.capacity) {
          tail_candidates[slot] = vec2<u32>(bits, i);
        }
      } else if (bits != TAIL_NEG_INF_BITS) {
        let e = exp(bitcast<f32>(bits) - max_value);
        sums = sum_pair_add(sums, vec4<f32>(e, e * e, 0.0, 0.0));
      }
    } else {
      let in_prefix = (key & tail_params.prefix_value_mask) == tail_params.prefix_value &&
        (i & tail_params.prefix_index_mask) == tail_params.prefix_index;
      if (in_prefix) {
        let part = select(key, i, tail_params.digit_source == 1u);
        let bin = (part >> tail_params.digit_shift) & tail_params.digit_mask;
        if (bin != run_bin && run_count != 0u) {
          atomicAdd(&tail_local_histogram[run_bin], run_count);
          run_count = 0u;
        }
        run_bin = bin;
        run_count = run_count + 1u;
      }
      if (bad) {
        invalid = invalid + 1u;
      } else if (bits == TAIL_NEG_INF_BITS) {
        neg_inf = neg_inf + 1u;
      } else {
        thread_max = max(thread_max, key);
      }
    }
  }
  if (compact) {
    let total = workgroup_sum(sums, ids);
    if (ids.lid == 0u) {
      tail_partials[wg.x] = total;
    }
  } else {
    if (run_count != 0u) {
      atomicAdd(&tail_local_histogram[run_bin], run_count);
    }
    atomicMax(&tail_local_max, thread_max);
    atomicAdd(&tail_local_invalid, invalid);
    atomicAdd(&tail_local_neg_inf, neg_inf);
    workgroupBarrier();
    // Most bins are empty (values cluster): only non-zero ones touch global memory.
    for (var b = ids.lid; b < TAIL_BINS; b = b + WG_SIZE) {
      let c = atomicLoad(&tail_local_histogram[b]);
      if (c != 0u) {
        atomicAdd(&tail_histogram[b], c);
      }
    }
    if (ids.lid == 0u && tail_params.first_pass == 1u) {
      atomicMax(&tail_state.max_key, atomicLoad(&tail_local_max));
      atomicAdd(&tail_state.invalid, atomicLoad(&tail_local_invalid));
      atomicAdd(&tail_state.neg_inf, atomicLoad(&tail_local_neg_inf));
    }
  }
}

fn reduce_partial_at(p: u32, slot: u32) -> SumPair {
  return tail_partials[p];
}

@compute @workgroup_size(WG_SIZE)
fn tail_sum_partials(ids: ReduceBuiltins) {
  let total = sum_partials_slot(0u, tail_params.partial_count, ids);
  if (ids.lid == 0u) {
    tail_totals[0] = total;
  }
}
