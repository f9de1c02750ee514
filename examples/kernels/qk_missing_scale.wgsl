// BROKEN: never multiplies by params.scale, so every score is 1/scale (= √dk by default) times too large.
// The naive QKᵀ otherwise (one invocation per score). With dk = 1 the default scale is 1 and the
// kernel happens to be right; every other case is off by the same factor in every element.

const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;

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
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;

fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  let row = gid.y;
  let head = gid.z;
  if (row >= params.n || col >= params.m) { return; }
  let stride = params.heads * params.dk;
  var acc = 0.0;
  for (var d = head * params.dk; d < (head + 1u) * params.dk; d++) {
    acc += q[row * stride + d] * k[col * stride + d];
  }
  var s = acc / params.temperature;
  let hidden_by_causal = (params.flags & FLAG_CAUSAL) != 0u && i32(col) > i32(row) + params.causal_shift;
  let hidden_by_mask = (params.flags & FLAG_MASK) != 0u && mask[row * params.m + col] == 0u;
  if (hidden_by_causal || hidden_by_mask) { s = neg_inf(); }
  scores[(head * params.n + row) * params.m + col] = s;
}
