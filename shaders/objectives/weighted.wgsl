// shaders/objectives/weighted.wgsl — the importance-weighted bound (Burda et al. 2016) and the Renyi-alpha bound
// (Li & Turner 2016), estimated from groups of OBJECTIVE_GROUP = K consecutive samples.
//
// Objective contract: see shaders/objectives/kl.wgsl (OBJECTIVE_V4, objective_accumulate, objective_value),
// plus OBJECTIVE_GROUP: elbo_step hands each thread whole groups (K consecutive samples, in order, MODEL_BATCH
// dividing K, settings.samples a multiple of K), so a group is reduced in registers with no per-sample memory.
// Per sample, log w = log p(z) - log q(z) (family_log_q); per group, with a = 1 - WEIGHTED_ALPHA
// (WEIGHTED_ALPHA = 0 for iw):
//   bound_g = (1 / a) log( (1/K) sum_k w_k^a ),
// computed as (m + log(S / K)) / a with m the group's largest a log w_k and S = sum exp(a log w_k - m) (so the
// largest term is 1 and S is in [1, K]: no overflow, no underflow of the whole sum). The value is the mean
// of bound_g over the groups; its MCSE is from their spread. A group whose log w is not finite (log q or log p
// of -inf or NaN) makes the step's value non-finite, and the step is skipped.
// Gradients, with the self-normalised weights wn_k = exp(a log w_k - m) / S:
//   "entropy": sum_k wn_k d/dlambda log w(T_lambda(eps_k)), through family_vjp with entropy weight wn_k: needs
//     the family's pathwise entropy term (FamilyDescriptor.entropyTerm), which an invertible T has.
//   "dreg" (doubly reparameterised, Tucker et al. 2019; for alpha != 0 the same derivation gives the
//     coefficient below): sum_k (alpha wn_k + (1 - alpha) wn_k^2) (g_k - score_k) . dT/dlambda, the entropy
//     term dropped: unbiased for any family with family_score, and zero-variance in the limit q = p.
// The running sums are rescaled by exp(m_old - m_new) (and its square for the wn^2 sum) when a later sample
// raises the group's maximum; the group's contribution (already normalised) is added to grad_acc once it ends,
// so the finalize pass's grad_scale is 1 / groups.
// value_acc[0] = (sum of bound_g - shift, sum of (bound_g - shift)^2, groups, 0).
// requires: family, kernels/elbo_interfaces
// Constants: OBJECTIVE_V4 = 1, OBJECTIVE_GROUP = K, WEIGHTED_ALPHA: f32, WEIGHTED_DREG: bool
// (src/vi/objectives/weighted.ts); MODEL_BATCH, DV (engine).

var<private> weighted_pos: u32;
var<private> weighted_max: f32;
var<private> weighted_sum: f32;
var<private> weighted_sum_sq: f32;
// 0, or NaN once the group has met a non-finite log w.
var<private> weighted_poison: f32;
// sum_k exp(a log w_k - m) (the per-sample gradient), and its squared-weight twin for dreg.
var<private> weighted_g1: array<vec4<f32>, FAMILY_PV>;
var<private> weighted_g2: array<vec4<f32>, FAMILY_PV>;

fn weighted_reset() {
  for (var j = 0u; j < FAMILY_PV; j = j + 1u) {
    weighted_g1[j] = vec4<f32>(0.0);
    weighted_g2[j] = vec4<f32>(0.0);
  }
}

fn weighted_scale(scale1: f32, scale2: f32) {
  for (var j = 0u; j < FAMILY_PV; j = j + 1u) {
    weighted_g1[j] = weighted_g1[j] * scale1;
    weighted_g2[j] = weighted_g2[j] * scale2;
  }
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
  let a = 1.0 - WEIGHTED_ALPHA;
  // Kept a loop for a batched model, as in elbo_step.wgsl's draw loop.
  // @unroll-at-most(1)
  for (var p = 0u; p < MODEL_BATCH; p = p + 1u) {
    if (p < count) {
      let log_w = (*lp)[p] - family_log_q(&(*eps)[p], &(*z)[p], (*logdet)[p]);
      let t = a * log_w;
      if (weighted_pos == 0u) {
        weighted_max = t;
        weighted_sum = 0.0;
        weighted_sum_sq = 0.0;
        weighted_poison = 0.0;
        weighted_reset();
      } else if (t > weighted_max) {
        let r = exp(weighted_max - t);
        weighted_sum = weighted_sum * r;
        weighted_sum_sq = weighted_sum_sq * r * r;
        weighted_scale(r, r * r);
        weighted_max = t;
      }
      // A non-finite log w must not be hidden by exp(-inf) = 0: it poisons the group's value (t - t is NaN
      // for an infinite or NaN t, 0 otherwise).
      weighted_poison = weighted_poison + (t - t);
      let c = select(1.0, exp(t - weighted_max), t == t && abs(t) <= 3.0e38);
      weighted_sum = weighted_sum + c;
      weighted_sum_sq = weighted_sum_sq + c * c;
      // This sample's term, times c, in a zeroed accumulator of its own (family_vjp adds into a function-scope
      // array; zeroed by hand: SwiftShader was seen to keep a loop-body declaration's previous values).
      var d: array<vec4<f32>, DV>;
      if (WEIGHTED_DREG) {
        var score: array<vec4<f32>, DV>;
        family_score(&(*eps)[p], &(*z)[p], &score);
        for (var b = 0u; b < DV; b = b + 1u) {
          d[b] = ((*g)[p][b] - score[b]) * c;
        }
      } else {
        for (var b = 0u; b < DV; b = b + 1u) {
          d[b] = (*g)[p][b] * c;
        }
      }
      var one: array<vec4<f32>, FAMILY_PV>;
      for (var j = 0u; j < FAMILY_PV; j = j + 1u) {
        one[j] = vec4<f32>(0.0);
      }
      family_vjp(&(*eps)[p], &d, select(c, 0.0, WEIGHTED_DREG), &one);
      for (var j = 0u; j < FAMILY_PV; j = j + 1u) {
        weighted_g1[j] = weighted_g1[j] + one[j];
        weighted_g2[j] = weighted_g2[j] + one[j] * c;
      }
      weighted_pos = weighted_pos + 1u;
      if (weighted_pos == OBJECTIVE_GROUP) {
        weighted_pos = 0u;
        let bound = (weighted_max + log(weighted_sum / f32(OBJECTIVE_GROUP))) / a + weighted_poison;
        let centred = bound - shift;
        (*value_acc)[0] = (*value_acc)[0] + vec4<f32>(centred, centred * centred, 1.0, 0.0);
        let inv = 1.0 / weighted_sum;
        for (var j = 0u; j < FAMILY_PV; j = j + 1u) {
          var contribution = weighted_g1[j] * inv;
          if (WEIGHTED_DREG) {
            contribution = WEIGHTED_ALPHA * contribution + (1.0 - WEIGHTED_ALPHA) * weighted_g2[j] * inv * inv;
          }
          (*grad_acc)[j] = (*grad_acc)[j] + contribution;
        }
      }
    }
  }
}

fn objective_value(totals: array<vec4<f32>, OBJECTIVE_V4>, samples: u32, shift: f32) -> ObjectiveValue {
  let n = f32(samples / OBJECTIVE_GROUP);
  let stats = totals[0];
  let centred_mean = stats.x / n;
  let variance = max(stats.y / n - centred_mean * centred_mean, 0.0);
  let mcse = sqrt(variance / max(n - 1.0, 1.0));
  return ObjectiveValue(shift + centred_mean, centred_mean, 0.0, mcse, shift + centred_mean, 1.0 / n, 0.0, true);
}
