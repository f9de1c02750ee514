// Roofline microbenchmark, workgroup-memory side: each workgroup fills 16 KiB of workgroup memory
// (1024 vec4f, within WebGPU's default limit), then every invocation reads 4 vec4f per loop
// iteration at addresses that change with the iteration (so no read can be hoisted) and adds them
// up. Bytes read from workgroup memory = groups × 256 × iterations × 4 × 16; one add per float read
// keeps the arithmetic far below the FMA roof. The sum is stored so the loop is not dead code.

struct Params {
  iterations: u32,
}

const WG: u32 = 256u;
const WORDS: u32 = 1024u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

var<workgroup> tile: array<vec4f, WORDS>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(global_invocation_id) gid: vec3u) {
  for (var i = lid; i < WORDS; i += WG) {
    tile[i] = vec4f(f32(i), f32(i) + 0.25, f32(i) + 0.5, f32(i) + 0.75) * 1e-3;
  }
  workgroupBarrier();
  var a0 = vec4f(0.0);
  var a1 = vec4f(0.0);
  var a2 = vec4f(0.0);
  var a3 = vec4f(0.0);
  for (var i = 0u; i < params.iterations; i++) {
    // Consecutive invocations read consecutive vec4s (no bank conflicts); the offset walks the tile.
    let base = lid + i * 68u;
    a0 += tile[base & (WORDS - 1u)];
    a1 += tile[(base + 256u) & (WORDS - 1u)];
    a2 += tile[(base + 512u) & (WORDS - 1u)];
    a3 += tile[(base + 768u) & (WORDS - 1u)];
  }
  let s = a0 + a1 + a2 + a3;
  out[gid.x] = s.x + s.y + s.z + s.w;
}
