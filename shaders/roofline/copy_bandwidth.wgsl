// Roofline microbenchmark, memory side: copy one storage buffer into another, one vec4 per
// invocation. Every byte is read once and written once, so bytes moved = 2 × buffer size.
// The grid may be 2-D when the buffer needs more than maxComputeWorkgroupsPerDimension groups.

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.y * groups.x * WG + gid.x;
  if (i < arrayLength(&dst)) {
    dst[i] = src[i];
  }
}
