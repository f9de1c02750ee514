// BROKEN: a row whose keys are all masked sums to 0, and exp(-inf - max) / 0 = 0/0 = NaN.
// The naive softmax otherwise (one invocation per row). Masked scores are -inf and exp(-inf) = 0,
// so partly masked rows come out right; only a fully masked row (an explicit mask, or causal
// with more queries than keys) divides by a zero sum.

const LOWEST: f32 = -3.4028234663852886e38;

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
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;

fn is_masked(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

@compute @workgroup_size(1, 64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.x * 64u + lid.y;
  if (row >= params.n) { return; }
  let base = (wid.y * params.n + row) * params.m;
  var row_max = LOWEST;
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    if (!is_masked(s)) { row_max = max(row_max, s); }
  }
  var row_sum = 0.0;
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    row_sum += exp(s - row_max); // exp(-inf) = 0, so masked keys add nothing
  }
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    probs[base + j] = exp(s - row_max) / row_sum;
  }
}
