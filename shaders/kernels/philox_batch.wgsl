// shaders/kernels/philox_batch.wgsl — Philox4x32-10 on a batch of (counter, key) pairs, for checking the
// generator against a reference implementation on any adapter.
//
// requires: rng/philox
// Entry point: philox_batch (one thread per pair, grid-stride).
// Bindings (group 0):
//   0 storage, read        inputs: array<vec4<u32>>, 2 per pair: counter, then key in .xy (.zw ignored)
//   1 storage, read_write  words: array<vec4<u32>>, 1 per pair
// Constants: WG_SIZE: u32.

@group(0) @binding(0) var<storage, read> inputs: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> words: array<vec4<u32>>;

@compute @workgroup_size(WG_SIZE)
fn philox_batch(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let count = arrayLength(&words);
  for (var i = gid.x; i < count; i = i + groups.x * WG_SIZE) {
    words[i] = philox4x32_10(inputs[2u * i], inputs[2u * i + 1u].xy);
  }
}
