// shaders/psis/tail_moments.wgsl — PSIS-weighted sums of reported values over S draws recomputed on demand.
//
// requires: reduce/workgroup, reduce/partials, psis/tail_keys, tail_program
// The program (module "tail_program") defines, besides tail_setup and tail_value (see psis/tail_select.wgsl):
//   fn tail_reported(i: u32, out: ptr<function, array<vec4<f32>, RV>>)
//       the R reported values of draw i (lanes past R are ignored). It is called right after tail_value(i)
//       for the same i, and only for draws of weight > 0, so it may reuse what tail_value left in
//       var<private> state (e.g. the draw z) instead of recomputing it.
// A draw's weight w = tail_weights[j] if i = tail_indices[j] (the Pareto-smoothed tail, indices sorted
// ascending, found by binary search), else exp(v - max_value) for a finite v = tail_value(i), else 0.
// The draws are taken in batches of count draws, i = batch_first + k for k in [0, count).
// Entry points:
//   tail_moments_rows (MOMENT_ROWS only; grid: workgroups): grid-stride over k: row_weights[k] = w, and for
//       w > 0 rows[k RV + b] = reported block b - centers[b], each draw computed once for all its blocks.
//   tail_moments (grid: workgroups x MOMENT_CHUNKS): grid-stride over k; workgroup (x, c) takes the reported
//       blocks [c MOMENT_CHUNK, (c + 1) MOMENT_CHUNK) and accumulates, compensated, slot 0: (w, 0, 0, 0);
//       slots 1 .. MOMENT_CHUNK: w (r - c); then w (r - c)^2, with c = centers (q's mean, say: shifting keeps
//       the f32 sums of squares free of cancellation). Without MOMENT_ROWS it computes each draw itself; with
//       it, it reads the batch's rows. It writes (accumulate = 0) or adds to (accumulate = 1, the later
//       batches) REDUCE_V4 = 1 + 2 MOMENT_CHUNK partials at ((c * workgroups) + x) * REDUCE_V4.
//       Why chunks: one thread's sums of all 2 RV + 1 slots outgrew the stack (dogs, R = 2253: SwiftShader's
//       LLVM aborted the process). Why rows when there is more than one chunk: each chunk recomputing its
//       draws made dogs' moments (18 chunks) take 400 s of a 460 s diagnosis on SwiftShader.
//   tail_moments_partials (grid: MOMENT_CHUNKS workgroups, one per chunk): totals in the layout 1 + 2 RV (slot
//       0: w; 1 .. RV: w (r - c); RV + 1 .. 2 RV: w (r - c)^2) = fixed-order sums of every workgroup's partials.
// Bindings (group 0):
//   0 uniform MomentParams { count, tail_count, max_value: f32, partial_count, batch_first, accumulate }
//   1 storage read tail_indices: array<u32>     2 storage read tail_weights: array<f32> (relative to max, <= 1)
//   3 storage read centers: array<vec4<f32>> (RV)   4 storage rw partials: array<SumPair> (workgroups * REDUCE_V4)
//   5 storage rw totals: array<SumPair> (REDUCE_V4)
//   6 storage rw rows: array<vec4<f32>> (batch * RV)   7 storage rw row_weights: array<f32> (batch)
//   (6 and 7 are read only with MOMENT_ROWS; bind any buffers otherwise)
// Constants: WG_SIZE, MOMENT_CHUNK (<= RV), MOMENT_CHUNKS = ceil(RV / MOMENT_CHUNK), REDUCE_V4 = 1 + 2 MOMENT_CHUNK,
// MOMENT_ROWS: bool, and the program's, which must include R and RV = ceil(R / 4).

struct MomentParams {
  count: u32,
  tail_count: u32,
  max_value: f32,
  partial_count: u32,
  batch_first: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> moment_params: MomentParams;
@group(0) @binding(1) var<storage, read> moment_tail_indices: array<u32>;
@group(0) @binding(2) var<storage, read> moment_tail_weights: array<f32>;
@group(0) @binding(3) var<storage, read> moment_centers: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> moment_partials: array<SumPair>;
@group(0) @binding(5) var<storage, read_write> moment_totals: array<SumPair>;
@group(0) @binding(6) var<storage, read_write> moment_rows: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> moment_row_weights: array<f32>;

// The position of draw i among the sorted tail indices, or tail_count when it is not in the tail.
fn moment_tail_slot(i: u32) -> u32 {
  var lo = 0u;
  var hi = moment_params.tail_count;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (moment_tail_indices[mid] < i) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  if (lo < moment_params.tail_count && moment_tail_indices[lo] == i) {
    return lo;
  }
  return moment_params.tail_count;
}

// The weight of draw i (tail_value(i) is evaluated, so tail_reported(i) may follow).
fn moment_weight(i: u32) -> f32 {
  let bits = tail_sanitized_bits(bitcast<u32>(tail_value(i)));
  let slot = moment_tail_slot(i);
  if (slot < moment_params.tail_count) {
    return moment_tail_weights[slot];
  }
  if (bits != TAIL_NEG_INF_BITS) {
    return exp(bitcast<f32>(bits) - moment_params.max_value);
  }
  return 0.0;
}

@compute @workgroup_size(WG_SIZE)
fn tail_moments_rows(ids: ReduceBuiltins, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  tail_setup();
  let stride = groups.x * WG_SIZE;
  for (var k = wg.x * WG_SIZE + ids.lid; k < moment_params.count; k = k + stride) {
    let i = moment_params.batch_first + k;
    let w = moment_weight(i);
    moment_row_weights[k] = w;
    if (w > 0.0) {
      var reported: array<vec4<f32>, RV>;
      tail_reported(i, &reported);
      for (var b = 0u; b < RV; b = b + 1u) {
        moment_rows[k * RV + b] = reported[b] - moment_centers[b];
      }
    }
  }
}

// Adds a draw of weight w to block j's first and second moments (d: the block minus its centre).
fn moment_add(acc: ptr<function, array<SumPair, REDUCE_V4>>, j: u32, w: f32, d: vec4<f32>) {
  (*acc)[1u + j] = sum_pair_add((*acc)[1u + j], w * d);
  (*acc)[1u + MOMENT_CHUNK + j] = sum_pair_add((*acc)[1u + MOMENT_CHUNK + j], w * d * d);
}

@compute @workgroup_size(WG_SIZE)
fn tail_moments(ids: ReduceBuiltins, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  tail_setup();
  let first = wg.y * MOMENT_CHUNK;
  var acc: array<SumPair, REDUCE_V4>;
  var centers: array<vec4<f32>, MOMENT_CHUNK>;
  // Blocks past RV (the last chunk's tail) repeat block RV - 1; their sums are never written to the totals.
  for (var j = 0u; j < MOMENT_CHUNK; j = j + 1u) {
    centers[j] = moment_centers[min(first + j, RV - 1u)];
  }
  let stride = groups.x * WG_SIZE;
  for (var k = wg.x * WG_SIZE + ids.lid; k < moment_params.count; k = k + stride) {
    if (MOMENT_ROWS) {
      // The batch's rows, centred already.
      let w = moment_row_weights[k];
      if (w > 0.0) {
        acc[0] = sum_pair_add(acc[0], vec4<f32>(w, 0.0, 0.0, 0.0));
        for (var j = 0u; j < MOMENT_CHUNK; j = j + 1u) {
          moment_add(&acc, j, w, moment_rows[k * RV + min(first + j, RV - 1u)]);
        }
      }
    } else {
      let i = moment_params.batch_first + k;
      let w = moment_weight(i);
      if (w > 0.0) {
        var reported: array<vec4<f32>, RV>;
        tail_reported(i, &reported);
        acc[0] = sum_pair_add(acc[0], vec4<f32>(w, 0.0, 0.0, 0.0));
        for (var j = 0u; j < MOMENT_CHUNK; j = j + 1u) {
          moment_add(&acc, j, w, reported[min(first + j, RV - 1u)] - centers[j]);
        }
      }
    }
  }
  workgroup_sum_slots(&acc, ids);
  if (ids.lid == 0u) {
    let base = (wg.y * groups.x + wg.x) * REDUCE_V4;
    for (var j = 0u; j < REDUCE_V4; j = j + 1u) {
      var total = acc[j];
      if (moment_params.accumulate != 0u) {
        total = sum_pair_merge(moment_partials[base + j], total);
      }
      moment_partials[base + j] = total;
    }
  }
}

// The first partial of the chunk that tail_moments_partials is summing.
var<private> moment_chunk_base: u32;

fn reduce_partial_at(p: u32, slot: u32) -> SumPair {
  return moment_partials[moment_chunk_base + p * REDUCE_V4 + slot];
}

@compute @workgroup_size(WG_SIZE)
fn tail_moments_partials(ids: ReduceBuiltins, @builtin(workgroup_id) wg: vec3<u32>) {
  let chunk = wg.x;
  let first = chunk * MOMENT_CHUNK;
  moment_chunk_base = chunk * moment_params.partial_count * REDUCE_V4;
  for (var j = 0u; j < REDUCE_V4; j = j + 1u) {
    let total = sum_partials_slot(j, moment_params.partial_count, ids);
    // Local slot j > 0 is block first + (j - 1) % MOMENT_CHUNK, its first moment or (past MOMENT_CHUNK) its second;
    // slot 0 (the weights) is written by chunk 0, and blocks past RV by nobody.
    let block = first + (j - 1u) % MOMENT_CHUNK;
    let slot = select(1u + block + select(0u, RV, j > MOMENT_CHUNK), 0u, j == 0u);
    let owned = select(block < RV, chunk == 0u, j == 0u);
    if (ids.lid == 0u && owned) {
      moment_totals[slot] = total;
    }
  }
}
