// Stage 2, naive: one invocation walks a whole row (max, sum, normalise), 64 rows per workgroup.
// It is the formula written down directly; the workgroup-parallel kernel is measured against it.
// With attention sinks (FLAG_SINKS) head h's sink logit joins the max and the sum as one more term.
// Interface: docs/kernel-interface.md.

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
  if (row >= params.n) { return; }
  let base = (wid.y * params.n + row) * params.m;
  let has_sink = (params.flags & FLAG_SINKS) != 0u;
  var row_max = LOWEST;
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    if (!is_masked(s)) { row_max = max(row_max, s); }
  }
  var row_sum = 0.0;
  if (has_sink) {
    let sink = sinks[wid.y];
    row_max = max(row_max, sink);
    row_sum = exp(sink - row_max);
  }
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    if (!is_masked(s)) { row_sum += exp(s - row_max); }
  }
  for (var j = 0u; j < params.m; j++) {
    let s = scores[base + j];
    var p = 0.0;
    if (row_sum > 0.0 && !is_masked(s)) { p = exp(s - row_max) / row_sum; }
    probs[base + j] = p;
  }
}
