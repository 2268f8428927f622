// shaders/objectives/kl.wgsl — the KL objective: maximise the ELBO = E_q[log p(X, z) - log q(z)].
//
// Objective contract (every module bound to "objective" supplies it; src/vi/objectives/types.ts describes it):
//   OBJECTIVE_V4: u32                vec4 blocks of per-thread value accumulators (a constant the engine
//                                    emits from the objective's descriptor)
//   OBJECTIVE_GROUP: u32             samples per estimate (ObjectiveDescriptor.group, 1 by default):
//                                    elbo_step gives each thread whole groups of consecutive samples, in order
//   fn objective_accumulate(count, eps, z, g, lp, logdet, shift, value_acc, grad_acc)
//       For the first `count` samples of a model batch (eps, z, g = d/dz log p, lp = log p, logdet from
//       family_sample): adds the value statistics to value_acc and, through family_vjp, each sample's
//       weighted d/dlambda to grad_acc. `shift` is the previous step's centre (keeps f32 sums of squares
//       free of cancellation). Samples past `count` were drawn but must not be counted.
//   fn objective_value(totals: array<vec4<f32>, OBJECTIVE_V4>, samples: u32, shift: f32) -> ObjectiveValue
//       In the finalize pass, from the step's summed value accumulators: the bound, its
//       Monte Carlo standard error, the next centre, and the factor that turns the summed raw gradient into
//       the gradient of the bound.
// Here (KL): the per-sample value is f = log p (plus the closed-form entropy once, when the family has one)
// or f = log p - log q otherwise; the gradient is the reparameterisation gradient: d/dz log p through the
// family's vector-Jacobian product, with the entropy's pathwise term at weight 1 ("entropy" estimator) or,
// with KL_STL, d/dz log q subtracted instead and the entropy term dropped (sticking the landing: same
// expectation, zero variance where q is exact).
// A sample whose log density or gradient is not finite (a rejection, an ODE solve that failed, an overflow in
// q's far tail) is left out of the step, as Stan's ADVI leaves such draws out of its ELBO: the estimate and
// the gradient are the means over the samples kept, and objective_value says how many were dropped. A step
// that keeps fewer than KL_MIN_KEPT of its samples is unusable (skipped): the region where log p fails
// is then not a tail of q, and a mean over what is left would describe another distribution.
// value_acc[0] = (sum of f - shift, sum of (f - shift)^2, samples kept, 0).
// requires: family, kernels/elbo_interfaces
// Constants: OBJECTIVE_V4 = 1, OBJECTIVE_GROUP = 1 (each sample its own estimate), KL_STL: bool
// (src/vi/objectives/kl.ts); MODEL_BATCH, DV (engine).

const KL_MIN_KEPT: f32 = 0.5;

fn kl_finite_sample(f: f32, g: ptr<function, array<vec4<f32>, DV>>) -> bool {
  var finite = elbo_is_finite(f);
  for (var b = 0u; b < DV; b = b + 1u) {
    finite = finite & elbo_all_finite((*g)[b]);
  }
  return finite;
}

fn objective_accumulate(
  count: u32,
  eps: ptr<function, array<array<vec4<f32>, FAMILY_EV>, MODEL_BATCH>>,
  z: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  g: ptr<function, array<array<vec4<f32>, DV>, MODEL_BATCH>>,
  lp: ptr<function, array<f32, MODEL_BATCH>>,
  logdet: ptr<function, array<f32, MODEL_BATCH>>,
  shift: f32,
  value_acc: ptr<function, array<vec4<f32>, OBJECTIVE_V4>>,
  grad_acc: ptr<function, array<vec4<f32>, FAMILY_PV>>,
) {
  // Kept a loop for a batched model, as in elbo_step.wgsl's draw loop.
  // @unroll-at-most(1)
  for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
    if (p < count) {
      var f = (*lp)[p];
      if (!FAMILY_HAS_ENTROPY) {
        f = f - family_log_q(&(*eps)[p], &(*z)[p], (*logdet)[p]);
      }
      if (kl_finite_sample(f, &(*g)[p])) {
        let centred = f - shift;
        (*value_acc)[0] = (*value_acc)[0] + vec4<f32>(centred, centred * centred, 1.0, 0.0);
        if (KL_STL) {
          var score: array<vec4<f32>, DV>;
          family_score(&(*eps)[p], &(*z)[p], &score);
          for (var b = 0u; b < DV; b = b + 1u) {
            (*g)[p][b] = (*g)[p][b] - score[b];
          }
        }
        family_vjp(&(*eps)[p], &(*g)[p], select(1.0, 0.0, KL_STL), grad_acc);
      }
    }
  }
}

fn objective_value(totals: array<vec4<f32>, OBJECTIVE_V4>, samples: u32, shift: f32) -> ObjectiveValue {
  let stats = totals[0];
  // The samples kept: an exact count in f32 up to 2^24 samples per step.
  let kept = stats.z;
  let n = max(kept, 1.0);
  let centred_mean = stats.x / n;
  let variance = max(stats.y / n - centred_mean * centred_mean, 0.0);
  let centre = shift + centred_mean;
  let entropy = select(0.0, family_entropy(), FAMILY_HAS_ENTROPY);
  let mcse = sqrt(variance / max(n - 1.0, 1.0));
  let dropped = f32(samples) - kept;
  return ObjectiveValue(centre + entropy, centred_mean, entropy, mcse, centre, 1.0 / n, dropped, kept >= KL_MIN_KEPT * f32(samples));
}
