// BROKEN: computes exp(s) instead of exp(s - row_max), so exp overflows to Inf once scores pass ~88.
// The tiled softmax otherwise (one workgroup of 256 per row, tree reductions). The row max is still
// computed, just never subtracted: with small scores the result is right, with scores around
// ±1e3 exp() gives Inf and Inf/Inf gives NaN.

const WG: u32 = 256u;
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
@group(0) @binding(1) var<storage, read> scores: array<f32>;     // heads × n × m
@group(0) @binding(2) var<storage, read_write> probs: array<f32>; // heads × n × m

var<workgroup> partial: array<f32, WG>;

// Compare bits, not values: −∞ arithmetic is not guaranteed under fast-math GPU compilers.
fn is_masked(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

fn reduce_max(lane: u32) -> f32 {
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (lane < width) { partial[lane] = max(partial[lane], partial[lane + width]); }
    workgroupBarrier();
  }
  return partial[0];
}

fn reduce_sum(lane: u32) -> f32 {
  for (var width = WG / 2u; width > 0u; width /= 2u) {
    if (lane < width) { partial[lane] = partial[lane] + partial[lane + width]; }
    workgroupBarrier();
  }
  return partial[0];
}

@compute @workgroup_size(WG, 1)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let lane = lid.x;
  let base = (wid.y * params.n + wid.x) * params.m;

  var local_max = LOWEST;
  for (var j = lane; j < params.m; j += WG) {
    let s = scores[base + j];
    if (!is_masked(s)) { local_max = max(local_max, s); }
  }
  partial[lane] = local_max;
  workgroupBarrier();
  let row_max = reduce_max(lane);
  workgroupBarrier(); // everyone has read partial[0] before it is overwritten

  var local_sum = 0.0;
  for (var j = lane; j < params.m; j += WG) {
    let s = scores[base + j];
    if (!is_masked(s)) { local_sum += exp(s); }
  }
  partial[lane] = local_sum;
  workgroupBarrier();
  let row_sum = reduce_sum(lane);

  // Every visible row has sum >= 1 (its max contributes exp(0)); 0 means every key was masked.
  for (var j = lane; j < params.m; j += WG) {
    let s = scores[base + j];
    var p = 0.0;
    if (row_sum > 0.0 && !is_masked(s)) { p = exp(s) / row_sum; }
    probs[base + j] = p;
  }
}
