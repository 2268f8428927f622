// shaders/families/flow.wgsl — a RealNVP normalizing flow on the unconstrained space (Dinh, Sohl-Dickstein &
// Bengio 2017): z = mu + sigma * (C_{L-1} o ... o C_0)(eps), eps ~ N(0, I_D), with FL_L affine coupling layers
// C_l and a final elementwise affine layer (mu, omega = log sigma), so it contains the mean-field Gaussian.
//
// Family contract: see shaders/families/meanfield.wgsl (FAMILY_PV, FAMILY_EV, FAMILY_HAS_ENTROPY, family_load,
// family_sample, family_log_q, family_score, family_vjp, family_gradient, family_entropy, family_valid).
// Coupling layer l: the conditioning lanes are i < D with (i + l) even (layers alternate halves), the other
// lanes are transformed. With x_c = x masked to the conditioning lanes,
//   h = tanh(W1 x_c + b1)                        (FL_H hidden units)
//   s = FL_S_BOUND * tanh((Ws h + bs) / FL_S_BOUND), t = Wt h + bt   (both masked to the transformed lanes)
//   x' = x * exp(s) + t,  log|det dx'/dx| = sum(s)
// so the log-scale is bounded (|s| < FL_S_BOUND per layer: one layer cannot blow a scale up) and the
// conditioning lanes pass through (s = t = 0 there). For D = 1 every even layer is the identity and every odd
// layer an affine map of its one lane (its MLP sees no input): the family is then a reparameterised Gaussian.
// log q(z) = log N(eps) - sum_l sum(s_l) - sum(omega) (change of variables). No closed form for the entropy:
// FAMILY_HAS_ENTROPY = false, so the objective uses the Monte Carlo -log q per sample.
// lambda layout (vec4 blocks): [0, DV) mu, [DV, 2 DV) omega (meanfield's, and its initial values: 0); then layer
// l at FL_BASE + l FL_LB, FL_BASE = 2 DV, FL_LB = 3 FL_H DV + FL_HV + 2 DV:
//   + j DV + b                       W1 row j (weights from x into hidden unit j), j < FL_H
//   + FL_H DV + c                    b1 (FL_HV blocks, lane j % 4 of block j / 4)
//   + FL_H DV + FL_HV + j DV + b     Ws column j (weights from hidden unit j into s)
//   + 2 FL_H DV + FL_HV + b          bs
//   + 2 FL_H DV + FL_HV + DV + j DV + b   Wt column j
//   + 3 FL_H DV + FL_HV + DV + b     bt
// Ws and Wt start at 0 (every coupling the identity: q starts as meanfield's N(0, I)). Lanes past D (and past
// FL_H in b1) are 0 in lambda and in every gradient (the masks keep them out).
// Weights are read through lambda_block where they are used (uniform across threads, so the reads broadcast),
// not copied into registers: L layers of O(H D) weights would not fit.
// family_vjp recomputes the forward pass from eps (a model batch samples several eps before any vjp, so
// nothing from family_sample can be kept), keeping each layer's input x_l in a per-thread array of FL_L DV
// vec4s, then runs backwards: acc += d/dlambda [gz . z + w sum log|det|], whose second part is this sample's
// pathwise d/dlambda of -log q(T_lambda(eps)) (-log N(eps) does not depend on lambda): entropyTerm 'pathwise'.
// family_score (d/dz log q, for STL and DReG) recomputes the forward pass too: one backward pass for the
// gradient of log|det| in eps, then J^-T layer by layer (each coupling's transpose is block triangular).
// Constants: D, DV (engine); FL_L, FL_H, FL_HV = ceil(FL_H / 4), FL_LB, FL_BASE, FL_S_BOUND; FAMILY_PV =
// FL_BASE + FL_L FL_LB, FAMILY_EV = DV, FAMILY_HAS_ENTROPY = false (from src/vi/families/flow.ts).

var<private> family_mu: array<vec4<f32>, DV>;
var<private> family_sigma: array<vec4<f32>, DV>;
var<private> family_sum_omega: f32;

fn family_lane_mask(block: u32) -> vec4<f32> {
  let lane = vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), lane < vec4<u32>(D));
}

// 1 on layer l's conditioning lanes (i < D, i + l even).
fn flow_cond_mask(l: u32, block: u32) -> vec4<f32> {
  let lane = vec4<u32>(4u * block) + vec4<u32>(0u, 1u, 2u, 3u);
  let even = ((lane + vec4<u32>(l)) % vec4<u32>(2u)) == vec4<u32>(0u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), even & (lane < vec4<u32>(D)));
}

// 1 on layer l's transformed lanes (i < D, i + l odd).
fn flow_tran_mask(l: u32, block: u32) -> vec4<f32> {
  return family_lane_mask(block) - flow_cond_mask(l, block);
}

// tanh with its argument clamped: some implementations compute tanh through exp and return NaN far out.
fn flow_tanh(x: f32) -> f32 {
  return tanh(clamp(x, -15.0, 15.0));
}

fn flow_tanh4(x: vec4<f32>) -> vec4<f32> {
  return tanh(clamp(x, vec4<f32>(-15.0), vec4<f32>(15.0)));
}

fn flow_w1(l: u32, j: u32, b: u32) -> u32 {
  return FL_BASE + l * FL_LB + j * DV + b;
}
fn flow_b1(l: u32, c: u32) -> u32 {
  return FL_BASE + l * FL_LB + FL_H * DV + c;
}
fn flow_ws(l: u32, j: u32, b: u32) -> u32 {
  return FL_BASE + l * FL_LB + FL_H * DV + FL_HV + j * DV + b;
}
fn flow_bs(l: u32, b: u32) -> u32 {
  return FL_BASE + l * FL_LB + 2u * FL_H * DV + FL_HV + b;
}
fn flow_wt(l: u32, j: u32, b: u32) -> u32 {
  return FL_BASE + l * FL_LB + 2u * FL_H * DV + FL_HV + DV + j * DV + b;
}
fn flow_bt(l: u32, b: u32) -> u32 {
  return FL_BASE + l * FL_LB + 3u * FL_H * DV + FL_HV + DV + b;
}

// Layer l's hidden units at input x.
fn flow_hidden(l: u32, x: ptr<function, array<vec4<f32>, DV>>, h: ptr<function, array<f32, FL_H>>) {
  // The input masked once, not once per hidden unit.
  var xc: array<vec4<f32>, DV>;
  for (var b = 0u; b < DV; b = b + 1u) {
    xc[b] = (*x)[b] * flow_cond_mask(l, b);
  }
  for (var j = 0u; j < FL_H; j = j + 1u) {
    var a = lambda_block(flow_b1(l, j / 4u))[j % 4u];
    for (var b = 0u; b < DV; b = b + 1u) {
      a = a + dot(lambda_block(flow_w1(l, j, b)), xc[b]);
    }
    (*h)[j] = flow_tanh(a);
  }
}

// Layer l's log-scale s and shift t from its hidden units (0 off the transformed lanes).
fn flow_scale_shift(
  l: u32,
  h: ptr<function, array<f32, FL_H>>,
  s: ptr<function, array<vec4<f32>, DV>>,
  t: ptr<function, array<vec4<f32>, DV>>,
) {
  for (var b = 0u; b < DV; b = b + 1u) {
    var rs = lambda_block(flow_bs(l, b));
    var rt = lambda_block(flow_bt(l, b));
    for (var j = 0u; j < FL_H; j = j + 1u) {
      rs = rs + (*h)[j] * lambda_block(flow_ws(l, j, b));
      rt = rt + (*h)[j] * lambda_block(flow_wt(l, j, b));
    }
    let mask = flow_tran_mask(l, b);
    (*s)[b] = FL_S_BOUND * flow_tanh4(rs / FL_S_BOUND) * mask;
    (*t)[b] = rt * mask;
  }
}

// x <- C_l(x); returns log|det| of the layer, sum(s).
fn flow_layer(l: u32, x: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  var h: array<f32, FL_H>;
  var s: array<vec4<f32>, DV>;
  var t: array<vec4<f32>, DV>;
  flow_hidden(l, x, &h);
  flow_scale_shift(l, &h, &s, &t);
  var log_det = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    (*x)[b] = (*x)[b] * exp(s[b]) + t[b];
    log_det = log_det + dot(s[b], vec4<f32>(1.0));
  }
  return log_det;
}

fn family_load() {
  var sum_omega = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    let mask = family_lane_mask(b);
    family_mu[b] = lambda_block(b) * mask;
    let omega = lambda_block(DV + b) * mask;
    family_sigma[b] = exp(omega) * mask;
    sum_omega = sum_omega + dot(omega, vec4<f32>(1.0));
  }
  family_sum_omega = sum_omega;
}

fn family_sample(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>) -> f32 {
  var x: array<vec4<f32>, DV>;
  for (var b = 0u; b < DV; b = b + 1u) {
    (*eps)[b] = (*eps)[b] * family_lane_mask(b);
    x[b] = (*eps)[b];
  }
  var log_det = family_sum_omega;
  for (var l = 0u; l < FL_L; l = l + 1u) {
    log_det = log_det + flow_layer(l, &x);
  }
  for (var b = 0u; b < DV; b = b + 1u) {
    (*z)[b] = family_mu[b] + family_sigma[b] * x[b];
  }
  return log_det;
}

fn family_log_q(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, logdet: f32) -> f32 {
  var ss = 0.0;
  for (var b = 0u; b < DV; b = b + 1u) {
    ss = ss + dot((*eps)[b], (*eps)[b]);
  }
  return -0.5 * ss - 0.5 * f32(D) * log(6.283185307179586) - logdet;
}

// One coupling layer backwards at its input xl: gx holds the adjoint of the layer's output and becomes that of
// its input, for the objective gx . x' + w log|det| of the layer; h, s, grs (the adjoint of s's pre-activation,
// through the bounded tanh), gt (of t) and ga (of the hidden pre-activations) are left for the lambda-gradient.
// grs and gt are 0 off the transformed lanes, where s = t = 0 and exp(s) = 1, so gx passes the conditioning
// lanes through and adds the MLP's pull-back there.
fn flow_layer_backward(
  l: u32,
  xl: ptr<function, array<vec4<f32>, DV>>,
  gx: ptr<function, array<vec4<f32>, DV>>,
  w: f32,
  h: ptr<function, array<f32, FL_H>>,
  s: ptr<function, array<vec4<f32>, DV>>,
  grs: ptr<function, array<vec4<f32>, DV>>,
  gt: ptr<function, array<vec4<f32>, DV>>,
  ga: ptr<function, array<f32, FL_H>>,
) {
  var t: array<vec4<f32>, DV>;
  flow_hidden(l, xl, h);
  flow_scale_shift(l, h, s, &t);
  for (var b = 0u; b < DV; b = b + 1u) {
    let mask = flow_tran_mask(l, b);
    let es = exp((*s)[b]);
    let ratio = (*s)[b] / FL_S_BOUND;
    (*gt)[b] = (*gx)[b] * mask;
    (*grs)[b] = ((*gx)[b] * (*xl)[b] * es + vec4<f32>(w)) * mask * (vec4<f32>(1.0) - ratio * ratio);
    (*gx)[b] = (*gx)[b] * es;
  }
  for (var j = 0u; j < FL_H; j = j + 1u) {
    var gh = 0.0;
    for (var b = 0u; b < DV; b = b + 1u) {
      gh = gh + dot(lambda_block(flow_ws(l, j, b)), (*grs)[b]) + dot(lambda_block(flow_wt(l, j, b)), (*gt)[b]);
    }
    let hj = (*h)[j];
    let g = gh * (1.0 - hj * hj);
    (*ga)[j] = g;
    for (var b = 0u; b < DV; b = b + 1u) {
      (*gx)[b] = (*gx)[b] + g * lambda_block(flow_w1(l, j, b)) * flow_cond_mask(l, b);
    }
  }
}

// eps through the coupling layers: x = their output, inputs[l DV + b] = layer l's input.
fn flow_forward_keep(
  eps: ptr<function, array<vec4<f32>, FAMILY_EV>>,
  inputs: ptr<function, array<vec4<f32>, FL_L * DV>>,
  x: ptr<function, array<vec4<f32>, DV>>,
) {
  for (var b = 0u; b < DV; b = b + 1u) {
    (*x)[b] = (*eps)[b] * family_lane_mask(b);
  }
  for (var l = 0u; l < FL_L; l = l + 1u) {
    for (var b = 0u; b < DV; b = b + 1u) {
      (*inputs)[l * DV + b] = (*x)[b];
    }
    flow_layer(l, x);
  }
}

// d/dz log q(z) = J^-T (-eps - d/deps log|det J|), J = dz/deps = diag(sigma) J_{L-1} ... J_0. The gradient of
// log|det| in eps is one backward pass (objective: the log-determinants alone); J^-T applies J_0^-T first:
// J_l^T = [[I, A^T], [0, diag(exp(s))]] (rows: conditioning, transformed lanes; A = d x'_T / d x_C), so
// u_T = v_T exp(-s) and u_C = v_C - A^T u_T, where A^T u_T is the layer's backward pass of u_T without the
// log-determinant.
fn family_score(eps: ptr<function, array<vec4<f32>, FAMILY_EV>>, z: ptr<function, array<vec4<f32>, DV>>, out: ptr<function, array<vec4<f32>, DV>>) {
  var inputs: array<vec4<f32>, FL_L * DV>;
  var x: array<vec4<f32>, DV>;
  flow_forward_keep(eps, &inputs, &x);
  var h: array<f32, FL_H>;
  var s: array<vec4<f32>, DV>;
  var grs: array<vec4<f32>, DV>;
  var gt: array<vec4<f32>, DV>;
  var ga: array<f32, FL_H>;
  // The adjoint starts at 0: the composer writes every `var x: T;` as `var x = T();` (src/gpu/wgsl.ts,
  // zeroInitialise), which SwiftShader needs for a declaration that runs once per sample of a batch.
  var g: array<vec4<f32>, DV>;
  for (var k = 0u; k < FL_L; k = k + 1u) {
    let l = FL_L - 1u - k;
    var xl: array<vec4<f32>, DV>;
    for (var b = 0u; b < DV; b = b + 1u) {
      xl[b] = inputs[l * DV + b];
    }
    flow_layer_backward(l, &xl, &g, 1.0, &h, &s, &grs, &gt, &ga);
  }
  var v: array<vec4<f32>, DV>;
  for (var b = 0u; b < DV; b = b + 1u) {
    v[b] = -(*eps)[b] * family_lane_mask(b) - g[b];
  }
  for (var l = 0u; l < FL_L; l = l + 1u) {
    var xl: array<vec4<f32>, DV>;
    var t: array<vec4<f32>, DV>;
    for (var b = 0u; b < DV; b = b + 1u) {
      xl[b] = inputs[l * DV + b];
    }
    flow_hidden(l, &xl, &h);
    flow_scale_shift(l, &h, &s, &t);
    var u: array<vec4<f32>, DV>;
    for (var b = 0u; b < DV; b = b + 1u) {
      u[b] = v[b] * exp(-s[b]) * flow_tran_mask(l, b);
    }
    var pulled = u;
    flow_layer_backward(l, &xl, &pulled, 0.0, &h, &s, &grs, &gt, &ga);
    for (var b = 0u; b < DV; b = b + 1u) {
      let cond = flow_cond_mask(l, b);
      v[b] = u[b] + (v[b] - pulled[b]) * cond;
    }
  }
  for (var b = 0u; b < DV; b = b + 1u) {
    let mask = family_lane_mask(b);
    (*out)[b] = v[b] * mask / select(family_sigma[b], vec4<f32>(1.0), mask == vec4<f32>(0.0));
  }
}

fn family_vjp(
  eps: ptr<function, array<vec4<f32>, FAMILY_EV>>,
  gz: ptr<function, array<vec4<f32>, DV>>,
  entropy_weight: f32,
  acc: ptr<function, array<vec4<f32>, FAMILY_PV>>,
) {
  // Forward again, keeping each layer's input.
  var inputs: array<vec4<f32>, FL_L * DV>;
  var x: array<vec4<f32>, DV>;
  flow_forward_keep(eps, &inputs, &x);
  // The affine layer: z = mu + sigma * x; gx is the adjoint of x, the coupling layers' output.
  var gx: array<vec4<f32>, DV>;
  for (var b = 0u; b < DV; b = b + 1u) {
    let g = (*gz)[b];
    (*acc)[b] = (*acc)[b] + g;
    (*acc)[DV + b] = (*acc)[DV + b] + g * family_sigma[b] * x[b] + entropy_weight * family_lane_mask(b);
    gx[b] = g * family_sigma[b];
  }
  var h: array<f32, FL_H>;
  var s: array<vec4<f32>, DV>;
  var grs: array<vec4<f32>, DV>;
  var gt: array<vec4<f32>, DV>;
  var ga: array<f32, FL_H>;
  for (var k = 0u; k < FL_L; k = k + 1u) {
    let l = FL_L - 1u - k;
    var xl: array<vec4<f32>, DV>;
    for (var b = 0u; b < DV; b = b + 1u) {
      xl[b] = inputs[l * DV + b];
    }
    flow_layer_backward(l, &xl, &gx, entropy_weight, &h, &s, &grs, &gt, &ga);
    for (var b = 0u; b < DV; b = b + 1u) {
      (*acc)[flow_bs(l, b)] = (*acc)[flow_bs(l, b)] + grs[b];
      (*acc)[flow_bt(l, b)] = (*acc)[flow_bt(l, b)] + gt[b];
    }
    for (var j = 0u; j < FL_H; j = j + 1u) {
      let hj = h[j];
      let gj = ga[j];
      for (var b = 0u; b < DV; b = b + 1u) {
        let i_s = flow_ws(l, j, b);
        let i_t = flow_wt(l, j, b);
        let i_w = flow_w1(l, j, b);
        (*acc)[i_s] = (*acc)[i_s] + hj * grs[b];
        (*acc)[i_t] = (*acc)[i_t] + hj * gt[b];
        (*acc)[i_w] = (*acc)[i_w] + gj * xl[b] * flow_cond_mask(l, b);
      }
      let ib = flow_b1(l, j / 4u);
      (*acc)[ib] = (*acc)[ib] + gj * select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<u32>(j % 4u) == vec4<u32>(0u, 1u, 2u, 3u));
    }
  }
}

fn family_gradient(block: u32, mean_raw: vec4<f32>) -> vec4<f32> {
  return mean_raw;
}

fn family_entropy() -> f32 {
  return 0.0;
}

fn family_valid(block: u32, value: vec4<f32>) -> bool {
  let limit = select(3.0e38, 40.0, block >= DV && block < 2u * DV);
  return all(abs(value) <= vec4<f32>(limit));
}
