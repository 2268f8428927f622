// shaders/optimizers/adam.wgsl — Adam (Kingma & Ba 2015) on lambda, in the finalize pass, ascending the bound,
// with Polyak-Ruppert averaging of lambda over windows of steps.
//
// Optimizer contract (every module bound to "optimizer" supplies it; src/vi/optimizers/types.ts describes it):
//   fn optimizer_update(ids: ReduceBuiltins, value: f32, finite: bool) -> OptimizerReport
//       Called once per step by every thread of the finalize workgroup, in uniform control flow, after the
//       step's gradient is known. Reads it block by block through the program's
//       finalize_gradient(b: u32) -> vec4<f32> (b < FAMILY_PV; the ascent direction, already clipped),
//       updates `lambda` in place unless `finite` is false or a proposed block is not family_valid (a bad
//       step must not poison lambda), and keeps its own state in `optimizer_state`; it may read `state`
//       (the engine state: state.step is this step's index). `finite` may be non-uniform to WGSL's analysis:
//       never put a barrier under a branch on it.
// Here: optimizer_state[0] = (t, n, 0, 0): t the steps applied (the bias-correction exponent), n the steps
// averaged in the current window; [1, 1 + PV) the first moment m; [1 + PV, 1 + 2 PV) the second moment v;
// [1 + 2 PV, 1 + 3 PV) the running mean of lambda over the current window of settings.average_window steps
// (restarted at every step index that is a multiple of it: the host reads it at window ends and reports it).
// At step settings.restart_step the moments start afresh (t = 0, m = v = 0): the host sets it when it lowers
// the learning rate, so that v no longer remembers the large gradients of the start, which would shrink every
// later step far below lr and leave lambda creeping towards the optimum.
// Settings fields (generated from src/vi/optimizers/adam.ts): lr, beta1, beta2, epsilon, average_window,
// restart_step.
// Bindings used: settings, state, lambda (read_write), optimizer_state (read_write).
// requires: kernels/elbo_interfaces, reduce/workgroup
// Constants: WG_SIZE, FAMILY_PV.

const ADAM_M: u32 = 1u;
const ADAM_V: u32 = 1u + FAMILY_PV;
const ADAM_AVERAGE: u32 = 1u + 2u * FAMILY_PV;

// The proposed step for block b: (new m, new v, new lambda).
struct AdamProposal {
  m: vec4<f32>,
  v: vec4<f32>,
  lambda: vec4<f32>,
}

fn adam_propose(b: u32, bias1: f32, bias2: f32, fresh: bool) -> AdamProposal {
  let g = finalize_gradient(b);
  let m0 = select(optimizer_state[ADAM_M + b], vec4<f32>(0.0), fresh);
  let v0 = select(optimizer_state[ADAM_V + b], vec4<f32>(0.0), fresh);
  let m = settings.beta1 * m0 + (1.0 - settings.beta1) * g;
  let v = settings.beta2 * v0 + (1.0 - settings.beta2) * g * g;
  // Ascent: the bound is maximised.
  let next = lambda[b] + settings.lr * (m / bias1) / (sqrt(v / bias2) + settings.epsilon);
  return AdamProposal(m, v, next);
}

fn optimizer_update(ids: ReduceBuiltins, value: f32, finite: bool) -> OptimizerReport {
  let header = optimizer_state[0];
  let fresh = state.step == settings.restart_step;
  let t = select(header.x, 0.0, fresh) + 1.0;
  let bias1 = 1.0 - pow(settings.beta1, t);
  let bias2 = 1.0 - pow(settings.beta2, t);
  // First pass: would every block stay usable? A huge step (a learning rate far too large) is refused
  // whole, as a non-finite one is.
  var invalid = 0.0;
  for (var b = ids.lid; b < FAMILY_PV; b = b + WG_SIZE) {
    let next = adam_propose(b, bias1, bias2, fresh).lambda;
    invalid = invalid + select(1.0, 0.0, family_valid(b, next));
  }
  let invalid_total = sum_pair_value(workgroup_sum(sum_pair(vec4<f32>(invalid, 0.0, 0.0, 0.0)), ids)).x;
  let apply = finite && invalid_total == 0.0;
  let restart = state.step % settings.average_window == 0u;
  let n = select(header.y + 1.0, 1.0, restart);
  for (var b = ids.lid; b < FAMILY_PV; b = b + WG_SIZE) {
    var current = lambda[b];
    if (apply) {
      let proposal = adam_propose(b, bias1, bias2, fresh);
      optimizer_state[ADAM_M + b] = proposal.m;
      optimizer_state[ADAM_V + b] = proposal.v;
      current = proposal.lambda;
      lambda[b] = current;
    }
    let mean = select(optimizer_state[ADAM_AVERAGE + b], vec4<f32>(0.0), restart);
    optimizer_state[ADAM_AVERAGE + b] = mean + (current - mean) / n;
  }
  // Every thread has read the header above; only now may it change.
  storageBarrier();
  if (ids.lid == 0u) {
    optimizer_state[0] = vec4<f32>(select(header.x, t, apply), n, 0.0, 0.0);
  }
  return OptimizerReport(apply, settings.lr);
}
