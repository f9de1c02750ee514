// BROKEN: the RoPE pair layout flag is ignored: pairs are always (2p, 2p + 1), never (p, p + r/2).
// The built-in RoPE kernel otherwise. FLAG_ROPE_HALF (128) selects Hugging Face’s rotate_half layout,
// which pairs dimension p with p + r/2; Meta’s interleaved layout pairs 2p with 2p + 1.

const PAIRS: u32 = 32u; // pairs per workgroup along x
const ROWS: u32 = 8u;   // rows per workgroup along y
const FLAG_ROPE_HALF: u32 = 128u;
const TWO_PI: f32 = 6.283185307179586;
const SUPPORTS_KV_HEADS = true;

struct Params {
  n: u32,
  m: u32,
  dk: u32,
  dv: u32,
  heads: u32,
  flags: u32,
  causal_shift: i32,
  scale: f32,
  temperature: f32,
  d_model: u32,
  kv_heads: u32,
  window: u32,
  softcap: f32,
  rope_base: f32,
  rope_dims: u32,        // r: rotated dimensions per head (even, ≤ dk)
  position_offset: i32,  // position of key 0
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;            // n × (heads·dk)
@group(0) @binding(2) var<storage, read> k: array<f32>;            // m × (kv_heads·dk)
@group(0) @binding(3) var<storage, read_write> q_rot: array<f32>;  // n × (heads·dk)
@group(0) @binding(4) var<storage, read_write> k_rot: array<f32>;  // m × (kv_heads·dk)

// The two dimensions pair p rotates, within the head.
fn pair_dims(p: u32) -> vec2u {
  return vec2u(2u * p, 2u * p + 1u);
}

// cos and sin of position · θ_p, the angle reduced into [−π, π] first.
fn rotation(position: i32, p: u32) -> vec2f {
  let theta = exp2(-(f32(2u * p) / f32(params.rope_dims)) * log2(params.rope_base));
  let angle = f32(position) * theta;
  let reduced = angle - TWO_PI * round(angle / TWO_PI);
  return vec2f(cos(reduced), sin(reduced));
}

@compute @workgroup_size(PAIRS, ROWS)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let p = gid.x;
  let row = gid.y;
  let head = gid.z;
  let is_query = row < params.n;
  let head_count = select(params.kv_heads, params.heads, is_query);
  if (2u * p >= params.dk || row >= params.n + params.m || head >= head_count) { return; }
  var base: u32;
  var position: i32;
  if (is_query) {
    base = (row * params.heads + head) * params.dk;
    position = params.position_offset + i32(row) + params.causal_shift;
  } else {
    base = ((row - params.n) * params.kv_heads + head) * params.dk;
    position = params.position_offset + i32(row - params.n);
  }
  if (2u * p >= params.rope_dims) {
    // Past the rotated dimensions: copied (dims 2p and 2p + 1, the second only if it exists).
    for (var d = 2u * p; d < min(2u * p + 2u, params.dk); d++) {
      if (is_query) { q_rot[base + d] = q[base + d]; } else { k_rot[base + d] = k[base + d]; }
    }
    return;
  }
  let dims = pair_dims(p);
  let cs = rotation(position, p);
  var a: f32;
  var b: f32;
  if (is_query) { a = q[base + dims.x]; b = q[base + dims.y]; } else { a = k[base + dims.x]; b = k[base + dims.y]; }
  let ra = a * cs.x - b * cs.y;
  let rb = a * cs.y + b * cs.x;
  if (is_query) {
    q_rot[base + dims.x] = ra;
    q_rot[base + dims.y] = rb;
  } else {
    k_rot[base + dims.x] = ra;
    k_rot[base + dims.y] = rb;
  }
}
