// shaders/kernels/rng_fill.wgsl — fill a buffer with standard normals or open-interval uniforms.
//
// requires: rng/philox
// Entry points: fill_normals, fill_uniforms (grid-stride; any dispatch size covers the buffer).
//   Element block i (4 values) comes from philox4x32_10(counter = (i, 0, stream, 0), key = params.key).
// Bindings (group 0):
//   0 uniform FillParams { blocks: u32 (number of vec4 blocks), stream: u32, key: vec2<u32> }
//   1 storage, read_write  out: array<vec4<f32>>, blocks entries
// Constants: WG_SIZE: u32.

struct FillParams {
  blocks: u32,
  stream: u32,
  key: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: FillParams;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG_SIZE)
fn fill_normals(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WG_SIZE;
  for (var i = gid.x; i < params.blocks; i = i + stride) {
    out[i] = philox_normal4(vec4<u32>(i, 0u, params.stream, 0u), params.key);
  }
}

@compute @workgroup_size(WG_SIZE)
fn fill_uniforms(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * WG_SIZE;
  for (var i = gid.x; i < params.blocks; i = i + stride) {
    out[i] = philox_uniform4(vec4<u32>(i, 0u, params.stream, 0u), params.key);
  }
}
