// shaders/kernels/elbo_settings.wgsl — the structs shared by the ELBO kernels and the host (src/vi/layout.ts
// writes and reads them; keep the two in step).
//
// Settings (uniform, written once per fit):
//   samples            Monte Carlo samples per step
//   partial_count      workgroups of elbo_step (partials to reduce)
//   seed               Philox key
//   lr, beta1, beta2, epsilon   Adam
//   clip               gradient-norm clip (0: none)
//   metrics_ring       entries in the metrics ring
// EngineState (storage, advanced by elbo_finalize on the GPU so that many steps can be encoded per submit):
//   step               optimizer steps taken (applied or skipped); the RNG counter's step word
//   adam_t             steps applied (Adam's bias-correction exponent)
//   skipped            steps skipped because the gradient or the ELBO was not finite
//   lp_shift           the last finite mean log joint (centre for the next step's sums)
// Metrics ring entry (2 vec4 per step, at (step % metrics_ring)):
//   (step, elbo, mcse, grad_norm), (skipped, applied (1/0), mean log joint, entropy)

struct Settings {
  samples: u32,
  partial_count: u32,
  seed: vec2<u32>,
  lr: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  clip: f32,
  metrics_ring: u32,
  pad0: u32,
  pad1: u32,
}

struct EngineState {
  step: u32,
  adam_t: u32,
  skipped: u32,
  lp_shift: f32,
}

// Per-thread accumulator blocks: (lp - shift, (lp - shift)^2, 0, 0), then the family's lambda-gradient blocks.
const ACC_V4: u32 = 1u + FAMILY_PV;
