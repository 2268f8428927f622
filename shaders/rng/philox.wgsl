// shaders/rng/philox.wgsl — counter-based random numbers (Random123's Philox4x32-10) and normals.
//
// Contract (self-contained: paste this file unchanged into any WGSL program; it needs nothing else):
//   fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>
//       Random123's Philox4x32 with 10 rounds; bit-exact with the reference implementation
//       (known-answer vectors in test/gpu/philox.test.ts).
//   fn philox_mulhilo(a: u32, b: u32) -> vec2<u32>
//       The full 64-bit product a*b as (hi, lo). WGSL has no 32x32->64 multiply, so the high word is
//       built from 16-bit halves with their carries.
//   fn philox_uniform01(bits: u32) -> f32
//       A uniform float in the OPEN interval (0, 1): (top 23 bits + 0.5) / 2^23, so never 0 and never 1
//       (every value is exactly representable in f32; the extremes are 2^-24 and 1 - 2^-24).
//   fn philox_uniform4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32>
//   fn philox_box_muller(u1: f32, u2: f32) -> vec2<f32>
//       Two independent standard normals from two open-interval uniforms (both outputs are used).
//   fn philox_normal4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32>
//       Four standard normals per counter: one Philox call, two Box-Muller pairs.
// Bindings: none. Assumptions: none (no extensions, no constants).
// Streams: a distinct (counter, key) pair gives an independent block of 4 words; callers build the counter
// from (sample index, dimension block, step, ...) and the key from the seed, so runs are reproducible.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xFFFFu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_lo = a_hi * b_lo;
  let hi_hi = a_hi * b_hi;
  // Bits 16..47 of the product: each term < 2^16, so their sum (< 3 * 2^16) cannot overflow.
  let middle = (lo_lo >> 16u) + (lo_hi & 0xFFFFu) + (hi_lo & 0xFFFFu);
  let hi = hi_hi + (lo_hi >> 16u) + (hi_lo >> 16u) + (middle >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox_round(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let p0 = philox_mulhilo(PHILOX_M0, ctr.x);
  let p1 = philox_mulhilo(PHILOX_M1, ctr.z);
  return vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let bump = vec2<u32>(PHILOX_W0, PHILOX_W1);
  var c = counter;
  var k = key;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k); k += bump;
  c = philox_round(c, k);
  return c;
}

fn philox_uniform01(bits: u32) -> f32 {
  return (f32(bits >> 9u) + 0.5) * 1.1920928955078125e-7; // 2^-23
}

fn philox_uniform4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let r = philox4x32_10(counter, key);
  return vec4<f32>(philox_uniform01(r.x), philox_uniform01(r.y), philox_uniform01(r.z), philox_uniform01(r.w));
}

fn philox_box_muller(u1: f32, u2: f32) -> vec2<f32> {
  // u1 >= 2^-24 keeps log finite; the largest radius is sqrt(2 * 24 ln 2) ~ 5.77.
  let radius = sqrt(-2.0 * log(u1));
  let angle = 6.283185307179586 * u2;
  return radius * vec2<f32>(cos(angle), sin(angle));
}

fn philox_normal4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
  let u = philox_uniform4(counter, key);
  return vec4<f32>(philox_box_muller(u.x, u.y), philox_box_muller(u.z, u.w));
}
