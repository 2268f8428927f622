// shaders/psis/tail_keys.wgsl — f32 values as order-preserving u32 keys, with invalid values ranked as -inf.
//
// Contract:
//   const TAIL_NEG_INF_BITS: u32                the bits of -inf
//   fn tail_bits_invalid(bits: u32) -> bool     NaN or +inf (a broken log density: weight 0, counted apart)
//   fn tail_sanitized_bits(bits: u32) -> u32    NaN and +inf -> -inf, -0 -> +0, other bits unchanged
//   fn tail_order_key(bits: u32) -> u32         a < b as f32 (sanitised)  <=>  key(a) < key(b) as u32
//   fn tail_key_value(key: u32) -> f32          the inverse of tail_order_key
// Why integer operations on the bits: a compiler may assume no NaN or signed zero in float comparisons
// (fast-math), never in integer ones, and the keys let atomics (atomicMax) and radix digits order floats.
// The same mapping is in src/gpu/radix-select.ts (f32OrderKey).
// Bindings: none. Constants: none.

const TAIL_NEG_INF_BITS: u32 = 0xff800000u;

fn tail_bits_invalid(bits: u32) -> bool {
  let exponent_all_ones = (bits & 0x7f800000u) == 0x7f800000u;
  let nan = exponent_all_ones && (bits & 0x007fffffu) != 0u;
  return nan || bits == 0x7f800000u;
}

fn tail_sanitized_bits(bits: u32) -> u32 {
  if (tail_bits_invalid(bits)) {
    return TAIL_NEG_INF_BITS;
  }
  return select(bits, 0u, bits == 0x80000000u);
}

fn tail_order_key(bits: u32) -> u32 {
  return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

fn tail_key_value(key: u32) -> f32 {
  return bitcast<f32>(select(~key, key & 0x7fffffffu, (key & 0x80000000u) != 0u));
}
