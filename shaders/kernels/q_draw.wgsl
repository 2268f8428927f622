// shaders/kernels/q_draw.wgsl — draw i of q regenerated from its index, with the log densities that the PSIS
// diagnostic and the Stan CSV need.
//
// requires: rng/philox, family, model_batch
// Contract:
//   struct QDraw { log_p: f32, log_q: f32, log_g: f32 }
//   fn q_draw(i: u32, stream: u32, key: vec2<u32>, zero_noise: bool, z: ptr<function, array<vec4<f32>, DV>>) -> QDraw
//       eps block b = philox_normal4(counter = (i, b, 0xFFFFFFFF, stream), key), b < FAMILY_EV (or 0 when
//       zero_noise: z = T_lambda(0), q's mean for a Gaussian family); z = T_lambda(eps) (family_sample);
//       log_p = log p(X, z) on the unconstrained space, Jacobian included (model_log_joint_batch at
//       MODEL_BATCH = 1; the gradient is discarded); log_q = family_log_q(eps, z, log|det|);
//       log_g = Stan's log_g__: -0.5 sum(eps^2) when Q_LOG_G_STANDARD_NORMAL (its definition for Gaussian
//       families: log q up to a constant), else log_q.
//   fn q_log_ratio(d: QDraw, centre: f32) -> f32    (log_p - centre) - log_q, in this order: the PSIS tail
//       program and the draw_densities kernel must give the same bits for the same draw.
// Streams (counter word 3): 0 the optimizer steps (word 2 is the step there), 1 draw_reported (the summaries'
// draws: stream 1 here gives the same draws), 2 the diagnostic's.
// The program defines fn lambda_block(i: u32) -> vec4<f32> (the family reads lambda through it) and calls
// family_load() before the first draw.
// Constants: D, DV, MODEL_BATCH = 1, Q_LOG_G_STANDARD_NORMAL: bool, the family's and the model's own.

const_assert MODEL_BATCH == 1u;

struct QDraw {
  log_p: f32,
  log_q: f32,
  log_g: f32,
}

fn q_draw(i: u32, stream: u32, key: vec2<u32>, zero_noise: bool, z: ptr<function, array<vec4<f32>, DV>>) -> QDraw {
  var eps: array<vec4<f32>, FAMILY_EV>;
  for (var b = 0u; b < FAMILY_EV; b = b + 1u) {
    eps[b] = select(philox_normal4(vec4<u32>(i, b, 0xFFFFFFFFu, stream), key), vec4<f32>(0.0), zero_noise);
  }
  let logdet = family_sample(&eps, z);
  var zb: array<array<vec4<f32>, DV>, MODEL_BATCH>;
  var gb: array<array<vec4<f32>, DV>, MODEL_BATCH>;
  var lp: array<f32, MODEL_BATCH>;
  zb[0] = *z;
  model_log_joint_batch(&zb, &gb, &lp);
  let log_q = family_log_q(&eps, z, logdet);
  var log_g = log_q;
  if (Q_LOG_G_STANDARD_NORMAL) {
    // family_sample zeroed the lanes it does not use.
    var ss = 0.0;
    for (var b = 0u; b < FAMILY_EV; b = b + 1u) {
      ss = ss + dot(eps[b], eps[b]);
    }
    log_g = -0.5 * ss;
  }
  return QDraw(lp[0], log_q, log_g);
}

fn q_log_ratio(d: QDraw, centre: f32) -> f32 {
  return (d.log_p - centre) - d.log_q;
}
