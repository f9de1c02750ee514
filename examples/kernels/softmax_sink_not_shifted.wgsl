// BROKEN: the attention sink enters the denominator as exp(sink) instead of exp(sink − max).
// The naive row softmax with sinks otherwise. Every term of the denominator is taken relative to the
// row max M = max(sink, max s); the sink’s term left out of that subtraction is off by a factor e^M
// (and overflows once the sink passes 88).

const LOWEST: f32 = -3.4028234663852886e38;
const FLAG_SINKS: u32 = 32u;
const SUPPORTS_SINKS = true;

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
@group(0) @binding(3) var<storage, read> sinks: array<f32>;

fn is_masked(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

@compute @workgroup_size(1, 64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.x * 64u + lid.y;
  let head = wid.y;
  if (row >= params.n) { return; }
  let base = (head * params.n + row) * params.m;
  let has_sink = (params.flags & FLAG_SINKS) != 0u;
  var row_max = LOWEST;
  var visible = false;
  if (has_sink) { row_max = sinks[head]; }
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    if (!is_masked(s)) {
      row_max = max(row_max, s);
      visible = true;
    }
  }
  var row_sum = 0.0;
  if (has_sink) { row_sum = exp(sinks[head]); }
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    if (!is_masked(s)) { row_sum += exp(s - row_max); }
  }
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    var p = 0.0;
    if (visible && !is_masked(s)) { p = exp(s - row_max) / row_sum; }
    probs[base + j] = p;
  }
}
