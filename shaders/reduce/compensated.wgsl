// shaders/reduce/compensated.wgsl — compensated (float-float) sums of vec4<f32>.
//
// Contract:
//   struct SumPair { hi: vec4<f32>, lo: vec4<f32> }   the value is hi + lo; lo holds what f32 rounding dropped
//   fn sum_pair(x: vec4<f32>) -> SumPair
//   fn sum_pair_add(a: SumPair, x: vec4<f32>) -> SumPair      a + x, the rounding error kept in lo
//   fn sum_pair_merge(a: SumPair, b: SumPair) -> SumPair      a + b; commutative bit for bit
//   fn sum_pair_value(a: SumPair) -> vec4<f32>                rounded once to f32
// Why: a plain f32 tree loses the small terms next to a large one (one huge value among many tiny ones
// lost 1.3e-6 relative over 10^7 values); with the error carried, the result is within a few f32 roundings
// of the exact sum. Knuth's TwoSum is exact as long as no value overflows and the compiler does not
// reassociate floating-point arithmetic (WGSL does not permit it).
// Bindings: none. Constants: none.

struct SumPair {
  hi: vec4<f32>,
  lo: vec4<f32>,
}

fn sum_pair(x: vec4<f32>) -> SumPair {
  return SumPair(x, vec4<f32>(0.0));
}

// The exact rounding error of s = a + b (Knuth's TwoSum, branch-free).
fn two_sum_error(a: vec4<f32>, b: vec4<f32>, s: vec4<f32>) -> vec4<f32> {
  let b_virtual = s - a;
  let a_virtual = s - b_virtual;
  return (a - a_virtual) + (b - b_virtual);
}

fn sum_pair_add(a: SumPair, x: vec4<f32>) -> SumPair {
  let s = a.hi + x;
  return SumPair(s, a.lo + two_sum_error(a.hi, x, s));
}

fn sum_pair_merge(a: SumPair, b: SumPair) -> SumPair {
  let s = a.hi + b.hi;
  return SumPair(s, (a.lo + b.lo) + two_sum_error(a.hi, b.hi, s));
}

fn sum_pair_value(a: SumPair) -> vec4<f32> {
  return a.hi + a.lo;
}
